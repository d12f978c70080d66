/** The sensitivity scan in the report: modules sorted by measured BLEU change (and by proxy), and the table. */
import type { SensitivityResult } from '../eval/sensitivity.js';
import { formatChange } from '../eval/sensitivity-table.js';
import { chartScript, escapeHtml, htmlTable, type ReportSection } from './report-section.js';

export function sensitivitySection(result: SensitivityResult): ReportSection {
  const measured = result.modules.filter((m) => m.quantized_only || m.fp32_only)
    .sort((a, b) => (a.quantized_only?.delta ?? 0) - (b.quantized_only?.delta ?? 0) || (b.fp32_only?.delta ?? 0) - (a.fp32_only?.delta ?? 0));
  const proxied = result.modules.filter((m) => m.proxy_error !== null && m.proxy_error > 0);
  const chartIds: string[] = [];
  const parts: string[] = ['<h2>Per-module sensitivity</h2>'];
  const scripts: string[] = [];
  if (result.fp32 && result.base) {
    parts.push(`<p class="note">FP32 BLEU ${result.fp32.bleu.toFixed(2)}; base config BLEU ${result.base.bleu.toFixed(2)}. ` +
      '“Only this INT8”: the model is FP32 except this module (change against FP32). “Only this FP32”: the base config with this module left FP32 (change against the base; positive = leaving it FP32 helps). Error bars: 95 % confidence interval (paired bootstrap).</p>');
  }
  if (measured.length > 0) {
    chartIds.push('chart-sensitivity-bleu');
    parts.push(`<div class="chart" style="height:${Math.max(240, measured.length * 28 + 90)}px"><canvas id="chart-sensitivity-bleu"></canvas></div>`);
    scripts.push(chartScript('chart-sensitivity-bleu', {
      type: 'bar',
      data: {
        labels: measured.map((m) => m.module),
        datasets: [
          { label: 'Δ BLEU, only this INT8 (vs FP32)', data: measured.map((m) => m.quantized_only?.delta ?? null), backgroundColor: '#e15759' },
          { label: 'Δ BLEU, only this FP32 (vs base)', data: measured.map((m) => m.fp32_only?.delta ?? null), backgroundColor: '#59a14f' },
        ],
      },
      options: { indexAxis: 'y', scales: { x: { title: { display: true, text: 'Δ BLEU' } }, y: { ticks: { autoSkip: false } } } },
    }));
  }
  if (proxied.length > 0) {
    const kind = result.proxy.kind === 'kl' ? 'KL divergence of the output (nats/token), only this module INT8' : "relative L2 error of the module's output in the base config";
    chartIds.push('chart-sensitivity-proxy');
    parts.push(`<h3>Proxy ranking: ${escapeHtml(kind)}, ${result.proxy.lines} sentences</h3>`);
    parts.push(`<div class="chart" style="height:${Math.max(240, proxied.length * 14 + 90)}px"><canvas id="chart-sensitivity-proxy"></canvas></div>`);
    scripts.push(chartScript('chart-sensitivity-proxy', {
      type: 'bar',
      data: { labels: proxied.map((m) => m.module), datasets: [{ label: 'proxy', data: proxied.map((m) => m.proxy_error), backgroundColor: '#4e79a7' }] },
      options: { indexAxis: 'y', scales: { x: { type: 'logarithmic', title: { display: true, text: 'proxy (log scale)' } }, y: { ticks: { autoSkip: false } } }, plugins: { legend: { display: false } } },
    }));
  }
  parts.push(`<details><summary>Sensitivity table (${result.modules.length} modules)</summary>` +
    htmlTable(['Rank', 'Module', 'Type', 'Proxy', 'Δ BLEU, only this INT8 (95% CI)', 'Δ BLEU, only this FP32 (95% CI)'],
      result.modules.map((m) => [String(m.rank), m.module, m.type, m.proxy_error === null ? 'not called' : m.proxy_error.toPrecision(3), formatChange(m.quantized_only), formatChange(m.fp32_only)]),
      new Set([0, 3, 4, 5])) + '</details>');
  return { chartIds, html: parts.join('\n'), script: scripts.join('\n') };
}
