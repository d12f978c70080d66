/** The sensitivity table: one line per module in proxy order, as markdown, CSV or JSON. */
import type { MeasuredChange, SensitivityResult } from './sensitivity.js';
import { csvTable, markdownTable, signedBleu } from './text-table.js';
import type { TableFormat } from './results-table.js';

const HEADER = ['Rank', 'Module', 'Type', 'Proxy', 'Δ BLEU, only this INT8 (95% CI)', 'Δ BLEU, only this FP32 (95% CI)'];

/** "−0.42 (−0.80, −0.05)", or "—" when not measured. */
export function formatChange(c: MeasuredChange | undefined): string {
  if (!c) return '—';
  return c.ci95 ? `${signedBleu(c.delta)} (${signedBleu(c.ci95[0])}, ${signedBleu(c.ci95[1])})` : signedBleu(c.delta);
}

export function renderSensitivity(result: SensitivityResult, format: TableFormat): string {
  if (format === 'json') return JSON.stringify(result, null, 2) + '\n';
  if (format === 'csv') {
    return csvTable(
      ['rank', 'module', 'type', 'proxy', 'int8_only_delta', 'int8_only_ci_low', 'int8_only_ci_high', 'fp32_only_delta', 'fp32_only_ci_low', 'fp32_only_ci_high'],
      result.modules.map((e) => [
        e.rank, e.module, e.type, e.proxy_error,
        ...changeCells(e.quantized_only), ...changeCells(e.fp32_only),
      ]),
    );
  }
  const lines: string[] = [];
  if (result.fp32 && result.base) {
    lines.push(`FP32 BLEU ${result.fp32.bleu.toFixed(2)}, base config BLEU ${result.base.bleu.toFixed(2)} (${signedBleu(result.base.bleu - result.fp32.bleu)}). ` +
      'Only this INT8: against FP32. Only this FP32: against the base (positive = leaving it FP32 helps).\n');
  }
  lines.push(result.proxy.kind === 'kl'
    ? `Proxy: KL divergence (nats per token) of the output distribution from FP32's with only the module INT8, on ${result.proxy.lines} sentences.\n`
    : `Proxy: relative L2 error of each module's output in the base config, on ${result.proxy.lines} sentences.\n`);
  lines.push(markdownTable(HEADER, ['r', 'l', 'l', 'r', 'r', 'r'], result.modules.map((e) => [
    String(e.rank), e.module, e.type, e.proxy_error === null ? 'not called' : e.proxy_error.toPrecision(3), formatChange(e.quantized_only), formatChange(e.fp32_only),
  ])));
  return lines.join('\n');
}

function changeCells(c: MeasuredChange | undefined): (number | null)[] {
  if (!c) return [null, null, null];
  return [round(c.delta), c.ci95 ? round(c.ci95[0]) : null, c.ci95 ? round(c.ci95[1]) : null];
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
