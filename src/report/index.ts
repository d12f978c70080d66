/** `qnmt report`: a self-contained HTML page with the results table and charts. */
export { renderReportHtml } from './html-report.js';
export type { ReportContent } from './html-report.js';
export { findStatsYaml, loadReportInput } from './load-report-input.js';
export type { ReportInput } from './load-report-input.js';
export { readStatsRanges } from './stats-ranges.js';
export type { ModuleRange, StatsRanges } from './stats-ranges.js';
