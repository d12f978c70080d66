/** Evaluation: dataset → translate → score, the sweep, and its result store and tables. */
export { PAD, UNK, MAX_SOURCE_LENGTH, tokenIds, segment, makeBatch, batchRanges } from './dataset.js';
export type { SourceBatch } from './dataset.js';
export { translateLines } from './translate.js';
export type { TranslateOptions, TranslateResult } from './translate.js';
export { NOTEBOOK_BLEU, scoreJoined } from './score.js';
export type { ScoredOutput } from './score.js';
export { openCheckpoint, fp32Model, quantizedModel } from './models.js';
export { runSweep, calibrate, configName, FP32_CONFIG, STATS_FILE, MODULE_ERROR_LINES } from './sweep.js';
export type { SweepOptions, SweepEvent } from './sweep.js';
export { planJobs, runJob, dropFinished, configHash, describeConfig } from './sweep-jobs.js';
export type { SweepJob, NamedConfig, PlanOptions, JobContext, RowDescription } from './sweep-jobs.js';
export { writeFileAtomic } from './atomic-file.js';
export { writeRow, loadRows, packLineStats, unpackLineStats, loadFinished, settingsHash, rowFileName, validateRow, removeStaleTemps } from './results-store.js';
export type { ResultRow } from './results-store.js';
export { renderTable, renderSummary, renderMarkdown, renderJson, renderCsv, tableRows, tableFormats } from './results-table.js';
export type { TableFormat, TableRow } from './results-table.js';
