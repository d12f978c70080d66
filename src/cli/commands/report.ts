/** `qnmt report DIR`: one self-contained HTML page with the sweep's table and charts. */
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { writeOutputFile } from '../../io/safe-write.js';
import { renderTable, tableFormats, type TableFormat } from '../../eval/results-table.js';
import { chartIds, renderReportHtml } from '../../report/html-report.js';
import { loadReportInput } from '../../report/load-report-input.js';
import { log, warn } from '../log.js';
import { loadSearchSections } from '../../report/search-sections.js';

interface ReportFlags {
  output?: string;
  stats?: string;
  title: string;
  table?: TableFormat;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('report')
    .description("Write an HTML report (results table, BLEU chart, activation ranges, per-module error) for a 'qnmt sweep' results folder.")
    .argument('<dir>', "results folder of 'qnmt sweep' (holds rows/*.json and, optionally, a stats YAML)")
    .option('-o, --output <file>', 'HTML file to write (default: <dir>/report.html)')
    .option('--stats <file>', 'Distiller activation-stats YAML to chart (default: the first one found in <dir>)')
    .option('--title <text>', 'page title', 'qnmt: GNMT post-training quantization results')
    .addOption(new Option('--table <format>', 'also print the results table on stdout').choices([...tableFormats]))
    .option('--json', 'print a JSON summary on stdout')
    .option('-q, --quiet', 'no log messages on stderr')
    .addHelpText(
      'after',
      `
The page is self-contained (Chart.js is inlined): open it offline or attach it to an issue.
Charts: BLEU per configuration; per-module output ranges (min/max and avg_min/avg_max) from the stats
YAML; per-module quantization error when result rows carry 'module_errors'.

Examples:
  qnmt report runs/demo                         # writes runs/demo/report.html
  qnmt report runs/demo -o report.html --table md
  qnmt report runs/demo --stats calibration/model_stats.yaml --json`,
    )
    .action(async (dir: string, flags: ReportFlags) => {
      const sections = await loadSearchSections(dir);
      const input = await loadReportInput(dir, { ...(flags.stats !== undefined && { statsPath: flags.stats }), hasOtherResults: sections.length > 0 });
      for (const s of input.skippedRows) warn(`ignored ${s.file}: ${s.reason}`);
      if (!input.stats) warn(`no activation-stats YAML found in ${dir}; the activation-range chart is left out (pass --stats FILE).`);
      const content = { title: flags.title, rows: input.rows, source: resolve(dir), sections, ...(input.stats ? { stats: input.stats } : {}) };
      const html = renderReportHtml(content);
      const output = flags.output ?? join(dir, 'report.html');
      await writeOutputFile(output, html);
      const charts = chartIds(content);
      log(`wrote ${output} (${input.rows.length} configurations, charts: ${charts.join(', ') || 'none'})`);
      if (flags.json) {
        process.stdout.write(
          JSON.stringify(
            {
              output,
              bytes: Buffer.byteLength(html),
              rows: input.rows.length,
              stats: input.stats?.path ?? null,
              charts,
              skipped_rows: input.skippedRows,
              ...(flags.table ? { table: JSON.parse(renderTable(input.rows, 'json')) } : {}),
            },
            null,
            2,
          ) + '\n',
        );
      } else if (flags.table) {
        process.stdout.write(renderTable(input.rows, flags.table));
      } else {
        process.stdout.write(`${output}\n`);
      }
    });
}
