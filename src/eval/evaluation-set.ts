/**
 * What every evaluation of a run shares: the source and reference lines (checked line-aligned), the
 * search settings, the settings hash of model + data + search that every row of the run carries, and
 * the activation statistics — a given file, or collected on the input as the notebook does (saved as
 * DIR/stats.yaml and reused by a resumed run).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { GnmtCheckpoint } from '../io/checkpoint.js';
import type { Gnmt } from '../model/gnmt.js';
import { hashFile } from '../data/hash-file.js';
import { formatStats, parseStats, type Stats } from '../quant/stats.js';
import { collectStats } from '../quant/collector.js';
import { readLines, joinLines } from '../text/text-lines.js';
import { QnmtError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { settingsHash } from './results-store.js';
import type { ResultRow } from './results-store.js';
import { translateLines, type TranslateOptions } from './translate.js';
import { fp32Model } from './models.js';

export const STATS_FILE = 'stats.yaml';
/** What identifies statistics collected on the evaluated input (which the settings hash covers). */
const CALIBRATED_STATS = 'calibrated-on-input';

export type SweepEvent =
  | { kind: 'start'; config: string; sentences: number; task: 'translate' | 'calibrate' }
  | { kind: 'progress'; config: string; done: number; total: number }
  | { kind: 'done'; config: string; row?: ResultRow; seconds: number }
  | { kind: 'skip'; config: string; row?: ResultRow; reason: string }
  | { kind: 'warning'; message: string };

export interface EvaluationSetOptions {
  model: string;
  input: string;
  ref: string;
  /** Activation statistics (Distiller YAML); collected on `input` when absent. */
  stats?: string;
  beam: number;
  batch: number;
  maxLen: number;
}

export interface EvaluationSet {
  readonly lines: readonly string[];
  readonly refs: readonly string[];
  readonly refName: string;
  readonly search: { beam: number; batch: number; maxLen: number };
  /** Model, input, reference and search settings (hashed into `settingsHash`). */
  readonly common: Record<string, unknown>;
  /** The settings hash every row of the run shares. */
  readonly settingsHash: string;
  /** The statistics file's path and text, or null when they are collected on the input. */
  readonly statsFile: { readonly path: string; readonly text: string } | null;
  /** What identifies the statistics in a job hash. */
  readonly statsId: string;
}

export async function readEvaluationSet(options: EvaluationSetOptions): Promise<EvaluationSet> {
  const lines = readLines(options.input);
  const refs = readLines(options.ref);
  if (lines.length !== refs.length) {
    throw new QnmtError(
      'sweep/line-count',
      `${options.ref} has ${refs.length} lines but ${options.input} has ${lines.length}; they must be line-aligned.`,
    );
  }
  const statsFile = options.stats === undefined ? null : { path: options.stats, text: readFileSync(options.stats, 'utf8') };
  const search = { beam: options.beam, batch: options.batch, maxLen: options.maxLen };
  const common = {
    model_sha256: (await hashFile(options.model)).sha256,
    input_sha256: sha256(joinLines(lines)),
    ref_sha256: sha256(joinLines(refs)),
    beam_size: search.beam,
    batch_size: search.batch,
    max_seq_len: search.maxLen,
  };
  return {
    lines, refs, refName: options.ref, search, common, settingsHash: settingsHash(common),
    statsFile, statsId: statsFile === null ? CALIBRATED_STATS : sha256(statsFile.text),
  };
}

/**
 * The statistics for quantized jobs: the given file, or DIR/stats.yaml from an earlier run with the
 * same model/input/search settings, or a calibration pass now (saved before it is used).
 */
export async function statsFor(set: EvaluationSet, ckpt: GnmtCheckpoint, out: string, emit: (e: SweepEvent) => void): Promise<Stats> {
  if (set.statsFile) return parseStats(set.statsFile.text, set.statsFile.path);
  const { common, search, lines } = set;
  const statsPath = join(out, STATS_FILE);
  const metaPath = `${statsPath}.json`;
  const calibrationHash = settingsHash({ ...common, calibration: 'distiller-r-collector' });
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { settings_hash?: string };
    if (meta.settings_hash === calibrationHash) {
      const text = readFileSync(statsPath, 'utf8');
      emit({ kind: 'skip', config: 'calibration', reason: `statistics already collected (${statsPath})` });
      return parseStats(text, statsPath);
    }
  } catch {
    /* no earlier calibration: collect now */
  }
  emit({ kind: 'start', config: 'calibration', sentences: lines.length, task: 'calibrate' });
  const t0 = performance.now();
  const stats = await calibrate(fp32Model(ckpt), ckpt.vocab, lines, progressOptions('calibration', search, emit));
  const seconds = (performance.now() - t0) / 1000;
  const text = formatStats(stats);
  await writeFileAtomic(statsPath, text);
  await writeFileAtomic(metaPath, JSON.stringify({ settings_hash: calibrationHash, seconds, ...common }, null, 2) + '\n');
  emit({ kind: 'done', config: 'calibration', seconds });
  return stats;
}

/**
 * Distiller's calibration (quantization.md §1.3, §3): a full FP32 evaluation of `lines` with the
 * statistics collector on every leaf op.
 */
export async function calibrate(model: Gnmt, vocab: readonly string[], lines: readonly string[], options: TranslateOptions): Promise<Stats> {
  return collectStats(model, async () => {
    await translateLines(model, vocab, lines, options);
  });
}

function progressOptions(config: string, search: TranslateOptions, emit: (e: SweepEvent) => void): TranslateOptions {
  return {
    ...search,
    onProgress: (done, total) => emit({ kind: 'progress', config, done, total }),
    onWarning: (message) => emit({ kind: 'warning', message }),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
