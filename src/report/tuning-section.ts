/** The tuning run in the report: trials over time, BLEU against FP32 modules, and the final settings. */
import type { TuneResult } from '../eval/tune.js';
import { renderTuning, settingText } from '../eval/tune-table.js';
import { chartScript, escapeHtml, htmlTable, type ReportSection } from './report-section.js';

export function tuningSection(result: TuneResult): ReportSection {
  const trials = result.trials.filter((t) => t.phase !== 'fp32');
  const budget = result.fp32_bleu - result.max_drop;
  const phases = [...new Set(trials.map((t) => t.phase))];
  const colors: Record<string, string> = { base: '#e15759', settings: '#f28e2b', fallback: '#4e79a7', 'win-back': '#59a14f' };
  const line = (label: string, xs: number[]) => ({
    type: 'line', label, data: xs.map((x) => ({ x, y: budget })), borderColor: '#888', borderDash: [6, 4], pointRadius: 0,
  });
  const byPhase = (x: (t: (typeof trials)[number]) => number) => phases.map((p) => ({
    type: 'scatter', label: p, backgroundColor: colors[p] ?? '#999', pointRadius: 5,
    data: trials.filter((t) => t.phase === p).map((t) => ({ x: x(t), y: t.bleu })),
  }));
  const times = trials.map((t) => t.elapsed / 60);
  const counts = trials.map((t) => t.fp32_modules);
  const scripts = [
    chartScript('chart-tuning-time', {
      type: 'scatter',
      data: { datasets: [...byPhase((t) => t.elapsed / 60), line(`budget (FP32 − ${result.max_drop})`, [0, Math.max(1, ...times)])] },
      options: { scales: { x: { title: { display: true, text: 'minutes since the start of the run' } }, y: { title: { display: true, text: 'BLEU (tuning set)' } } } },
    }),
    chartScript('chart-tuning-fp32', {
      type: 'scatter',
      data: { datasets: [...byPhase((t) => t.fp32_modules), line(`budget (FP32 − ${result.max_drop})`, [0, Math.max(1, ...counts)])] },
      options: { scales: { x: { title: { display: true, text: 'modules left FP32' } }, y: { title: { display: true, text: 'BLEU (tuning set)' } } } },
    }),
  ];
  const summary = renderTuning(result, 'md').split('\n')[0]!;
  const changed = result.modules.filter((m) => m.setting);
  const html = [
    '<h2>Accuracy-driven tuning</h2>',
    `<p>${escapeHtml(summary)}</p>`,
    '<h3>Trials over time</h3><div class="chart" style="height:320px"><canvas id="chart-tuning-time"></canvas></div>',
    '<h3>BLEU against the number of FP32 modules</h3><div class="chart" style="height:320px"><canvas id="chart-tuning-fp32"></canvas></div>',
    '<h3>Final per-module settings (others as the base config)</h3>',
    changed.length === 0 ? '<p class="note">None: the base config itself.</p>'
      : htmlTable(['Module', 'Type', 'Proxy (KL)', 'Setting'], changed.map((m) => [m.name, m.type, m.proxy === null ? '—' : m.proxy.toPrecision(3), settingText(m.setting!)]), new Set([2])),
  ].join('\n');
  return { chartIds: ['chart-tuning-time', 'chart-tuning-fp32'], html, script: scripts.join('\n') };
}
