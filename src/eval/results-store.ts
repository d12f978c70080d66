/**
 * Where a sweep keeps its results: one JSON file per finished configuration, `DIR/rows/<config>.json`,
 * written atomically (temp file in the same folder, fsync, rename) the moment the configuration is
 * done. A crashed or interrupted sweep therefore leaves only complete rows (plus maybe a stray temp
 * file, which readers ignore), and a resumed sweep skips configurations that already have a row with
 * the same settings hash (same model, input, reference, beam settings; see `settingsHash`).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NGRAM_ORDER, bleuStatsRow, type BleuStats } from '../metrics/bleu.js';
import { QnmtError } from '../errors.js';
import { isTempName as isTemp, writeFileAtomic } from './atomic-file.js';
import { ensureOutputDir, fsError } from '../io/safe-write.js';

export { tempNameFor } from './atomic-file.js';

/** One finished configuration. Keys are snake_case because they are a file format. */
export interface ResultRow {
  /** Configuration name (e.g. the config file's base name), unique within a sweep. */
  config: string;
  /** 'FP32' or 'INT8' (as the study's table says). */
  precision: string;
  /** Distiller mode ('SYMMETRIC', 'ASYMMETRIC_SIGNED', ...), null for FP32. */
  mode: string | null;
  /** per_channel_wts, null for FP32. */
  per_channel: boolean | null;
  /** Global clip_acts ('NONE', 'AVG', ...), null for FP32. */
  clip_acts: string | null;
  /** Distiller overrides in file order (regex → settings), null when none. */
  overrides: Record<string, Record<string, unknown>> | null;
  bleu: number;
  /** The sacrebleu-style score line with its signature. */
  bleu_line: string;
  /** Wall time of the evaluation, seconds. */
  seconds: number;
  /** Where the detokenized hypotheses were written. */
  hyp_path: string;
  /** ISO 8601 time the row was written. */
  finished_at: string;
  /** settingsHash() of what the row depends on besides the config itself. */
  settings_hash: string;
  /** Hash of what the row depends on through its configuration (config file text, statistics). */
  config_hash?: string;
  /** Position of the configuration in the sweep's list (tables sort by it). */
  order?: number;
  /** Optional per-module quantization error (e.g. relative L2 vs FP32 output), charted by the report. */
  module_errors?: Record<string, number | null>;
  /** Quantizable modules the configuration leaves in FP32 (overrides with all bits null); null for the FP32 row. */
  fp32_modules?: string[] | null;
  /** Compute backend and threads the row was timed with, and the machine's host name. */
  backend?: string;
  threads?: number;
  host?: string;
  /** Corpus BLEU statistics (the sum of `line_stats`). */
  bleu_stats?: { counts: number[]; totals: number[]; sys_len: number; ref_len: number };
  /**
   * BLEU statistics of every input line, in input order, each `[c1..c4, t1..t4, sys_len, ref_len]`
   * (matched and total n-grams of orders 1–4, hypothesis and reference length): enough to merge rows
   * of corpus shards and to resample the corpus (paired bootstrap) without the hypotheses.
   */
  line_stats?: number[][];
}

/** Pack line statistics for a row (`line_stats`). */
export function packLineStats(stats: readonly BleuStats[]): number[][] {
  return stats.map(bleuStatsRow);
}

/** A row's line statistics back as BleuStats, or null when the row has none (rows of older versions). */
export function unpackLineStats(row: Pick<ResultRow, 'line_stats'>): BleuStats[] | null {
  return row.line_stats?.map((v) => ({
    counts: v.slice(0, NGRAM_ORDER),
    totals: v.slice(NGRAM_ORDER, 2 * NGRAM_ORDER),
    sysLen: v[2 * NGRAM_ORDER]!,
    refLen: v[2 * NGRAM_ORDER + 1]!,
    tokenizedPeriodLines: 0,
  })) ?? null;
}

export const rowsDirName = 'rows';

/** A file name for a configuration: safe characters kept, anything else replaced, plus a short hash if changed. */
export function rowFileName(config: string): string {
  const safe = config.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  if (safe === config && safe.length > 0 && safe.length <= 120) return `${safe}.json`;
  const hash = createHash('sha256').update(config).digest('hex').slice(0, 8);
  return `${safe.slice(0, 100) || 'config'}-${hash}.json`;
}

/** Canonical JSON (object keys sorted) so that equal settings always hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Hash of everything a row depends on besides its configuration, e.g.
 * `{model_sha256, input_sha256, ref_sha256, beam_size, max_seq_len, batch_size, len_norm_factor, ...}`.
 * 16 hex characters of SHA-256 over canonical JSON (key order does not matter).
 */
export function settingsHash(settings: unknown): string {
  return createHash('sha256').update(canonical(settings)).digest('hex').slice(0, 16);
}

/** Write `row` atomically to DIR/rows/<config>.json; returns the path. Replaces an older row of the same config. */
export async function writeRow(dir: string, row: ResultRow): Promise<string> {
  validateRow(row, `row for ${String(row?.config)}`);
  ensureOutputDir(dir);
  ensureOutputDir(join(dir, rowsDirName));
  const path = join(dir, rowsDirName, rowFileName(row.config));
  await writeFileAtomic(path, JSON.stringify(row, null, 2) + '\n');
  return path;
}

export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

export interface LoadedRows {
  readonly rows: ResultRow[];
  /** Files in rows/ that are not valid rows (hand-edited, truncated): they are ignored, their configs re-run. */
  readonly skipped: SkippedFile[];
  /** Temp files of writers that did not finish (crash or kill). */
  readonly temps: string[];
}

/** Every valid row in DIR/rows, sorted by `order`, then finish time. A missing folder gives no rows. */
export async function loadRows(dir: string): Promise<LoadedRows> {
  const rowsDir = join(dir, rowsDirName);
  let names: string[];
  try {
    names = await readdir(rowsDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], skipped: [], temps: [] };
    throw fsError('results/unreadable', 'read the results folder', rowsDir, e, `Give --out a folder (new or from an earlier run).`);
  }
  const rows: ResultRow[] = [];
  const skipped: SkippedFile[] = [];
  const temps: string[] = [];
  for (const name of names.sort()) {
    const path = join(rowsDir, name);
    if (isTemp(name)) {
      temps.push(path);
      continue;
    }
    if (!name.endsWith('.json')) continue;
    try {
      rows.push(validateRow(JSON.parse(await readFile(path, 'utf8')), path));
    } catch (e) {
      skipped.push({ file: path, reason: (e as Error).message });
    }
  }
  rows.sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || a.finished_at.localeCompare(b.finished_at) || a.config.localeCompare(b.config));
  return { rows, skipped, temps };
}

/** Rows already finished with the same settings hash: a resumed sweep skips these configs. */
export async function loadFinished(dir: string, hash: string): Promise<ResultRow[]> {
  return (await loadRows(dir)).rows.filter((r) => r.settings_hash === hash);
}

/** Delete temp files left by writers that died; returns their paths. */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const { temps } = await loadRows(dir);
  for (const t of temps) await rm(t, { force: true });
  return temps;
}

const required: Record<string, (v: unknown) => boolean> = {
  config: (v) => typeof v === 'string' && v.length > 0,
  precision: (v) => typeof v === 'string',
  mode: (v) => v === null || typeof v === 'string',
  per_channel: (v) => v === null || typeof v === 'boolean',
  clip_acts: (v) => v === null || typeof v === 'string',
  overrides: (v) => v === null || (typeof v === 'object' && !Array.isArray(v)),
  bleu: (v) => typeof v === 'number' && Number.isFinite(v),
  bleu_line: (v) => typeof v === 'string',
  seconds: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  hyp_path: (v) => typeof v === 'string',
  finished_at: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v as string)),
  settings_hash: (v) => typeof v === 'string' && v.length > 0,
};

/** Check the shape of a row read from `where`; throws QnmtError naming the first bad key. */
export function validateRow(value: unknown, where: string): ResultRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new QnmtError('results/bad-row', `${where}: expected a JSON object with the keys ${Object.keys(required).join(', ')}`);
  }
  const obj = value as Record<string, unknown>;
  for (const [key, ok] of Object.entries(required)) {
    if (!ok(obj[key])) throw new QnmtError('results/bad-row', `${where}: key '${key}' is missing or has the wrong type (found ${JSON.stringify(obj[key])})`);
  }
  if (obj['order'] !== undefined && typeof obj['order'] !== 'number') throw new QnmtError('results/bad-row', `${where}: key 'order' must be a number`);
  if (obj['config_hash'] !== undefined && typeof obj['config_hash'] !== 'string') throw new QnmtError('results/bad-row', `${where}: key 'config_hash' must be a string`);
  const me = obj['module_errors'];
  if (me !== undefined && (me === null || typeof me !== 'object' || Object.values(me).some((v) => typeof v !== 'number' && v !== null))) {
    throw new QnmtError('results/bad-row', `${where}: key 'module_errors' must map module names to numbers (or null)`);
  }
  const fm = obj['fp32_modules'];
  if (fm !== undefined && fm !== null && !(Array.isArray(fm) && fm.every((n) => typeof n === 'string'))) {
    throw new QnmtError('results/bad-row', `${where}: key 'fp32_modules' must be a list of module names (or null)`);
  }
  const ls = obj['line_stats'];
  const lineWidth = 2 * NGRAM_ORDER + 2;
  if (ls !== undefined && !(Array.isArray(ls) && ls.every((l) => Array.isArray(l) && l.length === lineWidth && l.every((x) => Number.isInteger(x) && x >= 0)))) {
    throw new QnmtError('results/bad-row', `${where}: key 'line_stats' must be a list of ${lineWidth} non-negative integers per line`);
  }
  return obj as unknown as ResultRow;
}
