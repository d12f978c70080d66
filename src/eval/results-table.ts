/**
 * The study's table (spec/results-table.md §1): Precision | Mode | Per-Channel | Clip Activations | BLEU |
 * Time (s) | vs FP32, rendered from result rows as markdown, JSON or CSV. Wording follows the Distiller
 * example README ("Asymmetric", "AVG in all layers except attention block and final classifier").
 */
import type { ResultRow } from './results-store.js';

export type TableFormat = 'md' | 'json' | 'csv';
export const tableFormats: readonly TableFormat[] = ['md', 'json', 'csv'];

export interface TableRow {
  readonly config: string;
  readonly precision: string;
  readonly mode: string;
  readonly per_channel: string;
  readonly clip_activations: string;
  readonly bleu: number;
  readonly seconds: number;
  /** BLEU minus the FP32 row's BLEU; null when there is no FP32 row. 0 for the FP32 row itself. */
  readonly vs_fp32: number | null;
  readonly bleu_line: string;
  readonly settings_hash: string;
}

/** README names of the override patterns the study uses (spec/results-table.md §4). */
const knownPatterns: Record<string, string> = {
  '.*att_rnn.attn.*': 'attention block',
  'decoder.classifier.classifier': 'final classifier',
};

export function describeMode(mode: string | null): string {
  if (mode === null) return 'N/A';
  const m = mode.toUpperCase();
  if (m === 'SYMMETRIC') return 'Symmetric';
  if (m === 'ASYMMETRIC_SIGNED') return 'Asymmetric';
  if (m === 'ASYMMETRIC_UNSIGNED') return 'Asymmetric (unsigned)';
  return mode;
}

export function describePerChannel(v: boolean | null): string {
  return v === null ? 'N/A' : v ? 'Yes' : 'No';
}

/** "No", "AVG in all layers", "AVG in all layers except attention block and final classifier", ... */
export function describeClip(clip: string | null, overrides: ResultRow['overrides']): string {
  if (clip === null) return 'N/A';
  const except: string[] = [];
  const other: string[] = [];
  for (const [pattern, settings] of Object.entries(overrides ?? {})) {
    const c = settings?.['clip_acts'];
    if (c === undefined) continue;
    const name = knownPatterns[pattern] ?? pattern;
    if (String(c).toUpperCase() === 'NONE') except.push(name);
    else other.push(`${String(c)} in ${name}`);
  }
  const base = clip.toUpperCase() === 'NONE' ? (except.length > 0 || other.length > 0 ? 'No clipping' : 'No') : `${clip} in all layers`;
  let text = base;
  if (except.length > 0 && clip.toUpperCase() !== 'NONE') text += ` except ${joinWords(except)}`;
  if (other.length > 0) text += `; ${other.join('; ')}`;
  return text;
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Rows in the order given; vs FP32 against the first FP32 row. */
export function tableRows(rows: readonly ResultRow[]): TableRow[] {
  const fp32 = rows.find((r) => r.precision.toUpperCase() === 'FP32');
  return rows.map((r) => ({
    config: r.config,
    precision: r.precision,
    mode: describeMode(r.mode),
    per_channel: describePerChannel(r.per_channel),
    clip_activations: describeClip(r.clip_acts, r.overrides),
    bleu: r.bleu,
    seconds: r.seconds,
    vs_fp32: fp32 ? round2(r.bleu - fp32.bleu) : null,
    bleu_line: r.bleu_line,
    settings_hash: r.settings_hash,
  }));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100 + 0; // + 0 turns -0 into 0
}

function signed(x: number | null, isBaseline: boolean): string {
  if (x === null) return 'N/A';
  if (isBaseline) return '—';
  return x > 0 ? `+${x.toFixed(2)}` : x.toFixed(2);
}

export const tableHeader = ['Precision', 'Mode', 'Per-Channel', 'Clip Activations', 'BLEU', 'Time (s)', 'vs FP32'] as const;

/** Cells of the table as displayed (shared by markdown and the HTML report). */
export function displayCells(rows: readonly ResultRow[]): string[][] {
  const fp32Index = rows.findIndex((r) => r.precision.toUpperCase() === 'FP32');
  return tableRows(rows).map((t, i) => [
    t.precision,
    t.mode,
    t.per_channel,
    t.clip_activations,
    t.bleu.toFixed(2),
    t.seconds.toFixed(1),
    signed(t.vs_fp32, i === fp32Index),
  ]);
}

export function renderMarkdown(rows: readonly ResultRow[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${tableHeader.join(' | ')} |`, '|---|---|---|---|---:|---:|---:|'];
  for (const cells of displayCells(rows)) lines.push(`| ${cells.map(esc).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

export function renderJson(rows: readonly ResultRow[]): string {
  const fp32 = rows.find((r) => r.precision.toUpperCase() === 'FP32');
  return JSON.stringify({ fp32_bleu: fp32?.bleu ?? null, rows: tableRows(rows) }, null, 2) + '\n';
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(rows: readonly ResultRow[]): string {
  const header = ['config', 'precision', 'mode', 'per_channel', 'clip_activations', 'bleu', 'seconds', 'vs_fp32', 'settings_hash'];
  const lines = [header.join(',')];
  for (const t of tableRows(rows)) {
    lines.push([t.config, t.precision, t.mode, t.per_channel, t.clip_activations, t.bleu.toFixed(2), t.seconds.toFixed(3), t.vs_fp32 === null ? null : t.vs_fp32.toFixed(2), t.settings_hash].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

export function renderTable(rows: readonly ResultRow[], format: TableFormat): string {
  switch (format) {
    case 'md':
      return renderMarkdown(rows);
    case 'json':
      return renderJson(rows);
    case 'csv':
      return renderCsv(rows);
  }
}

/**
 * One sentence a person can read at the end of a sweep: FP32 against the best quantized row, with
 * BLEU and times, e.g. "FP32: BLEU 34.33 in 60.1 s. Best INT8: int8-asym-… BLEU 34.10 (−0.23) in 31.0 s (1.94× faster)."
 */
export function renderSummary(rows: readonly ResultRow[]): string {
  const fp32 = rows.find((r) => r.precision.toUpperCase() === 'FP32');
  const quantized = rows.filter((r) => r !== fp32);
  const best = quantized.reduce<ResultRow | undefined>((b, r) => (!b || r.bleu > b.bleu ? r : b), undefined);
  const parts: string[] = [];
  if (fp32) parts.push(`FP32: BLEU ${fp32.bleu.toFixed(2)} in ${fp32.seconds.toFixed(1)} s.`);
  if (best) {
    let text = `Best ${best.precision}: ${best.config}, BLEU ${best.bleu.toFixed(2)}`;
    if (fp32) text += ` (${signed(round2(best.bleu - fp32.bleu), false)})`;
    text += ` in ${best.seconds.toFixed(1)} s`;
    if (fp32 && best.seconds > 0) {
      const ratio = fp32.seconds / best.seconds;
      text += ratio >= 1 ? ` (${ratio.toFixed(2)}× faster than FP32)` : ` (${(1 / ratio).toFixed(2)}× slower than FP32)`;
    }
    parts.push(`${text}.`);
  }
  return parts.join(' ') + '\n';
}
