/**
 * One self-contained HTML page for a sweep: the study's table, BLEU per configuration, per-module
 * activation ranges from the stats YAML, and per-module quantization error when rows carry it.
 * Chart.js is inlined from node_modules (no CDN, works offline). Animation is off so charts are drawn
 * synchronously; after each draw the page records the drawn pixel count on the canvas
 * (`data-rendered`, `data-drawn-pixels`) and in `#render-status`, which tests read from the DOM.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { displayCells, tableHeader } from '../eval/results-table.js';
import type { ResultRow } from '../eval/results-store.js';
import type { StatsRanges } from './stats-ranges.js';
import type { ReportSection } from './report-section.js';

export interface ReportContent {
  readonly title: string;
  readonly rows: readonly ResultRow[];
  readonly stats?: { readonly path: string; readonly ranges: StatsRanges };
  /** Shown in the header (e.g. the results folder). */
  readonly source?: string;
  readonly generatedAt?: Date;
  /** Sections of search commands (sensitivity, tuning), drawn after the sweep's. */
  readonly sections?: readonly ReportSection[];
}

/** Chart ids present in a page built from `content` (tests and --json use this). */
export function chartIds(content: ReportContent): string[] {
  const ids: string[] = [];
  if (content.rows.length > 0) ids.push('chart-bleu');
  if (content.stats && content.stats.ranges.modules.some((m) => m.called)) ids.push('chart-ranges');
  if (content.rows.some((r) => r.module_errors && Object.keys(r.module_errors).length > 0)) ids.push('chart-errors');
  for (const s of content.sections ?? []) ids.push(...s.chartIds);
  return ids;
}

let chartJsSource: string | undefined;

/** The Chart.js UMD build from node_modules, read at run time. */
export function chartJs(): string {
  if (chartJsSource === undefined) {
    const require = createRequire(import.meta.url);
    // The package's exports map hides dist/chart.umd.js, so go through the main entry's folder.
    const main = require.resolve('chart.js');
    chartJsSource = readFileSync(join(dirname(main), 'chart.umd.js'), 'utf8');
  }
  return chartJsSource;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside <script>: no `</script>`, no `<!--`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function chartData(content: ReportContent): unknown {
  const rows = content.rows;
  const fp32 = rows.find((r) => r.precision.toUpperCase() === 'FP32');
  const bleu = rows.length > 0
    ? { labels: rows.map((r) => r.config), values: rows.map((r) => r.bleu), precision: rows.map((r) => r.precision), fp32: fp32?.bleu ?? null }
    : null;
  const called = content.stats?.ranges.modules.filter((m) => m.called) ?? [];
  const ranges = called.length > 0
    ? {
        labels: called.map((m) => m.name),
        minmax: called.map((m) => [m.min, m.max]),
        avg: called.map((m) => (m.avg_min !== null && m.avg_max !== null ? [m.avg_min, m.avg_max] : null)),
      }
    : null;
  const withErrors = rows.filter((r) => r.module_errors && Object.keys(r.module_errors).length > 0);
  let errors = null;
  if (withErrors.length > 0) {
    const modules: string[] = [];
    const seen = new Set<string>();
    for (const r of withErrors) for (const m of Object.keys(r.module_errors!)) if (!seen.has(m)) (seen.add(m), modules.push(m));
    errors = { modules, datasets: withErrors.map((r) => ({ label: r.config, values: modules.map((m) => r.module_errors![m] ?? null) })) };
  }
  return { bleu, ranges, errors };
}

function tableHtml(rows: readonly ResultRow[]): string {
  const cells = displayCells(rows);
  const head = ['Config', ...tableHeader].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r, i) => {
      const c = cells[i]!;
      const tds = [r.config, ...c].map((v, j) => `<td${j >= 5 ? ' class="num"' : ''}>${escapeHtml(v)}</td>`).join('');
      return `<tr title="${escapeHtml(r.bleu_line)}">${tds}</tr>`;
    })
    .join('\n');
  return `<table id="results-table"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function detailsHtml(rows: readonly ResultRow[]): string {
  if (rows.length === 0) return '';
  const items = rows
    .map((r) => `<tr><td>${escapeHtml(r.config)}</td><td><code>${escapeHtml(r.bleu_line)}</code></td><td><code>${escapeHtml(r.settings_hash)}</code></td><td>${escapeHtml(r.finished_at)}</td><td><code>${escapeHtml(r.hyp_path)}</code></td></tr>`)
    .join('\n');
  const hashes = new Set(rows.map((r) => r.settings_hash));
  const warning = hashes.size > 1 ? `<p class="warn">Rows come from ${hashes.size} different settings (model/input/beam): they are not directly comparable.</p>` : '';
  return `${warning}<details><summary>Score lines and settings per configuration</summary><table class="small"><thead><tr><th>Config</th><th>BLEU line</th><th>Settings hash</th><th>Finished</th><th>Hypotheses</th></tr></thead><tbody>\n${items}\n</tbody></table></details>`;
}

function statsNote(stats: ReportContent['stats']): string {
  if (!stats) return '<p class="note">No activation-stats YAML was found in the folder (pass <code>--stats FILE</code>).</p>';
  const mods = stats.ranges.modules;
  const never = mods.filter((m) => !m.called).map((m) => m.name);
  const nan = mods.filter((m) => m.called && (m.std === null || m.mean === null)).map((m) => m.name);
  let html = `<p class="note">From <code>${escapeHtml(stats.path)}</code>: ${mods.length} modules with output statistics. Light bars span min…max, dark bars avg_min…avg_max (the AVG clipping range).</p>`;
  if (never.length > 0) html += `<p class="note">${never.length} never-called modules (min/max still at ±1.797e308) are not drawn: ${never.map((n) => `<code>${escapeHtml(n)}</code>`).join(', ')}.</p>`;
  if (nan.length > 0) html += `<p class="note">NaN mean/std (single sample) in: ${nan.map((n) => `<code>${escapeHtml(n)}</code>`).join(', ')}.</p>`;
  return html;
}

const css = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:.9em}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}table.small{font-size:.8em}
.chart{position:relative;width:100%}.note{color:#555;font-size:.85em}.warn{color:#a40}#render-status{display:none}
`;

const clientScript = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var status = {};
  var statusEl = document.getElementById('render-status');
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  // After every draw: count non-transparent pixels so a headless browser can check the chart was drawn.
  Chart.register({
    id: 'qnmtRenderCheck',
    afterRender: function (chart) {
      var c = chart.canvas;
      var px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      var n = 0;
      for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) n++;
      c.setAttribute('data-rendered', 'true');
      c.setAttribute('data-drawn-pixels', String(n));
      status[c.id] = n;
      statusEl.textContent = JSON.stringify(status);
      document.body.setAttribute('data-charts-rendered', String(Object.keys(status).length));
    }
  });
  var valueLabels = {
    id: 'qnmtValueLabels',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.font = '12px sans-serif';
      ctx.fillStyle = '#222';
      ctx.textAlign = 'center';
      chart.getDatasetMeta(0).data.forEach(function (bar, i) {
        ctx.fillText(chart.data.datasets[0].data[i].toFixed(2), bar.x, bar.y - 4);
      });
      ctx.restore();
    }
  };
  if (data.bleu) {
    var fp32Line = {
      id: 'qnmtFp32Line',
      afterDatasetsDraw: function (chart) {
        if (data.bleu.fp32 === null) return;
        var y = chart.scales.y.getPixelForValue(data.bleu.fp32);
        var ctx = chart.ctx;
        ctx.save();
        ctx.setLineDash([6, 4]);
        ctx.strokeStyle = '#555';
        ctx.beginPath();
        ctx.moveTo(chart.chartArea.left, y);
        ctx.lineTo(chart.chartArea.right, y);
        ctx.stroke();
        ctx.restore();
      }
    };
    new Chart(document.getElementById('chart-bleu'), {
      type: 'bar',
      data: {
        labels: data.bleu.labels,
        datasets: [{
          label: 'BLEU',
          data: data.bleu.values,
          backgroundColor: data.bleu.precision.map(function (p) { return p.toUpperCase() === 'FP32' ? '#4e79a7' : '#f28e2b'; })
        }]
      },
      options: {
        layout: { padding: { top: 18 } },
        plugins: { legend: { display: false }, title: { display: true, text: 'BLEU per configuration (blue: FP32, orange: INT8; dashed: FP32 level)' } },
        scales: { y: { beginAtZero: true, title: { display: true, text: 'BLEU' } } }
      },
      plugins: [valueLabels, fp32Line]
    });
  }
  if (data.ranges) {
    new Chart(document.getElementById('chart-ranges'), {
      type: 'bar',
      data: {
        labels: data.ranges.labels,
        datasets: [
          { label: 'min … max', data: data.ranges.minmax, backgroundColor: 'rgba(78,121,167,0.35)', grouped: false, barPercentage: 0.9 },
          { label: 'avg_min … avg_max', data: data.ranges.avg, backgroundColor: 'rgba(78,121,167,0.95)', grouped: false, barPercentage: 0.5 }
        ]
      },
      options: {
        indexAxis: 'y',
        plugins: { title: { display: true, text: 'Per-module output activation ranges (calibration statistics)' } },
        scales: { y: { ticks: { autoSkip: false, font: { size: 10 } } }, x: { position: 'top', title: { display: true, text: 'activation value' } } }
      }
    });
  }
  if (data.errors) {
    var palette = ['#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
    new Chart(document.getElementById('chart-errors'), {
      type: 'bar',
      data: {
        labels: data.errors.modules,
        datasets: data.errors.datasets.map(function (d, i) { return { label: d.label, data: d.values, backgroundColor: palette[i % palette.length] }; })
      },
      options: {
        indexAxis: 'y',
        plugins: { title: { display: true, text: 'Per-module quantization error (as recorded by the sweep)' } },
        scales: { y: { ticks: { autoSkip: false, font: { size: 10 } } }, x: { beginAtZero: true, title: { display: true, text: 'error' } } }
      }
    });
  }
})();
`;

export function renderReportHtml(content: ReportContent): string {
  const ids = new Set(chartIds(content));
  const calledModules = content.stats?.ranges.modules.filter((m) => m.called).length ?? 0;
  const errorModules = new Set(content.rows.flatMap((r) => Object.keys(r.module_errors ?? {}))).size;
  const errorConfigs = content.rows.filter((r) => r.module_errors && Object.keys(r.module_errors).length > 0).length;
  const sections: string[] = [];
  if (content.rows.length > 0) {
    sections.push(`<h2>Results</h2>\n${tableHtml(content.rows)}\n${detailsHtml(content.rows)}`);
    sections.push(`<h2>BLEU per configuration</h2><div class="chart" style="height:380px"><canvas id="chart-bleu"></canvas></div>`);
  } else {
    sections.push('<h2>Results</h2><p class="note">No finished configurations yet.</p>');
  }
  sections.push(`<h2>Activation ranges per module</h2>${statsNote(content.stats)}`);
  if (ids.has('chart-ranges')) sections.push(`<div class="chart" style="height:${Math.max(300, calledModules * 16 + 100)}px"><canvas id="chart-ranges"></canvas></div>`);
  if (ids.has('chart-errors')) {
    sections.push(
      `<h2>Per-module quantization error</h2><div class="chart" style="height:${Math.max(300, errorModules * Math.max(14, errorConfigs * 8) + 100)}px"><canvas id="chart-errors"></canvas></div>`,
    );
  }
  for (const s of content.sections ?? []) sections.push(s.html);
  const when = (content.generatedAt ?? new Date()).toISOString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="qnmt report">
<title>${escapeHtml(content.title)}</title>
<style>${css}</style>
</head>
<body data-charts="${[...ids].join(' ')}">
<h1>${escapeHtml(content.title)}</h1>
<p class="meta">Generated ${escapeHtml(when)}${content.source ? ` from <code>${escapeHtml(content.source)}</code>` : ''} by qnmt.</p>
${sections.join('\n')}
<pre id="render-status"></pre>
<script type="application/json" id="report-data">${scriptJson(chartData(content))}</script>
<script>${chartJs().replace(/<\/script/gi, '<\\/script')}</script>
<script>${clientScript}</script>
${(content.sections ?? []).map((s) => `<script>${s.script}</script>`).join('\n')}
</body>
</html>
`;
}
