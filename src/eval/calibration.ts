/**
 * Activation statistics as a library call: Distiller's calibration pass (a full FP32 evaluation with
 * the statistics collector on every op) over pre-processed lines, on the fastest backend.
 */
import { SEARCH_DEFAULTS } from '../decode/search-options.js';
import type { GnmtCheckpoint } from '../io/checkpoint.js';
import type { Stats } from '../quant/stats.js';
import { selectBackend } from '../tensor/backend.js';
import { fp32Model, openCheckpoint } from './models.js';
import { calibrate } from './sweep.js';

export interface CalibrationOptions {
  /** Checkpoint path or an opened checkpoint. */
  model: string | GnmtCheckpoint;
  /** Tokenized + BPE'd source lines (the evaluated set, as the notebook calibrates on it). */
  lines: readonly string[];
  /** @default 10 */
  beam?: number;
  /** @default 128 */
  batch?: number;
  /** @default 80 */
  maxLen?: number;
  threads?: number;
  backend?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Statistics for `quant` configs (save them with `saveStats` from 'qnmt/quant' or pass them as `stats`). */
export async function collectActivationStats(options: CalibrationOptions): Promise<Stats> {
  await selectBackend(options.backend, options.threads, () => undefined);
  const ckpt = typeof options.model === 'string' ? await openCheckpoint(options.model) : options.model;
  return calibrate(fp32Model(ckpt), ckpt.vocab, options.lines, {
    beam: options.beam ?? SEARCH_DEFAULTS.beam,
    batch: options.batch ?? 128,
    maxLen: options.maxLen ?? SEARCH_DEFAULTS.maxLen,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
