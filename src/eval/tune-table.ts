/** The tuning summary: the result line, the trials, and the final per-module settings. */
import type { TrialRecord, TuneResult } from './tune.js';
import { markdownTable, signedBleu } from './text-table.js';

function delta(t: TrialRecord): string {
  return t.ci95 ? `${signedBleu(t.delta)} (${signedBleu(t.ci95[0])}, ${signedBleu(t.ci95[1])})` : signedBleu(t.delta);
}

export function renderTuning(result: TuneResult, format: 'md' | 'json'): string {
  if (format === 'json') return JSON.stringify(result, null, 2) + '\n';
  const b = result.best;
  const int8 = result.modules.length - b.fp32_modules;
  const lines = [
    `Tuned: BLEU ${b.bleu.toFixed(2)}, Δ ${delta(b)} from FP32 ${result.fp32_bleu.toFixed(2)} (budget -${result.max_drop}); ` +
      `${int8} of ${result.modules.length} quantizable modules INT8 (${((100 * int8) / result.modules.length).toFixed(1)} %); ` +
      `${result.trials.length - 1} trials${result.met_budget ? '' : '; NO trial met the budget'}.`,
  ];
  if (b.ci95 && b.ci95[1] - b.ci95[0] > 2 * result.max_drop) {
    lines.push(`The 95 % confidence interval (${signedBleu(b.ci95[0])}, ${signedBleu(b.ci95[1])}) is wider than the budget: the tuning set is too small to tell differences of that size apart.`);
  }
  lines.push('', '### Trials', '');
  lines.push(markdownTable(['#', 'Phase', 'FP32 modules', 'BLEU', 'Δ BLEU (95% CI)', 'Accepted', 'Time (s)'], ['r', 'l', 'r', 'r', 'r', 'l', 'r'],
    result.trials.map((t) => [String(t.trial), t.phase, String(t.fp32_modules), t.bleu.toFixed(2), t.phase === 'fp32' ? '—' : delta(t), t.phase === 'fp32' ? '' : t.accepted ? 'yes' : 'no', t.seconds.toFixed(1)])));
  const changed = result.modules.filter((m) => m.setting);
  lines.push('', '### Per-module settings of the tuned config (others as the base)', '');
  lines.push(changed.length === 0 ? 'None: the base config itself.\n' : markdownTable(['Module', 'Type', 'Proxy (KL)', 'Setting'], ['l', 'l', 'r', 'l'],
    changed.map((m) => [m.name, m.type, m.proxy === null ? '—' : m.proxy.toPrecision(3), settingText(m.setting!)])));
  return lines.join('\n');
}

export function settingText(s: Readonly<Record<string, unknown>>): string {
  if (s['bits_activations'] === null && s['bits_weights'] === null) return 'FP32';
  return Object.entries(s).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
}
