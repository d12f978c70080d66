/**
 * Calibration split over shards: each shard runs its whole batches of the unsharded plan with the
 * statistics collector attached and keeps partial statistics (every call's summaries); the merge
 * replays them in batch order into exactly the records one process would have built.
 */
import type { Gnmt } from '../model/gnmt.js';
import { StatsCollector } from '../quant/collector.js';
import { PartialStats, type PartialStatsJson } from '../quant/partial-stats.js';
import type { Stats } from '../quant/stats.js';
import { checkComplete, readPart, type PartFile, type PlanIdentity } from './shard-parts.js';
import { translateLines, type TranslateOptions } from './translate.js';

export const CALIBRATION_PART = 'calibration';

/** Calibration of `batches` only (indices of the unsharded run's batches of `options.batch` lines). */
export async function calibrateBatches(
  model: Gnmt,
  vocab: readonly string[],
  lines: readonly string[],
  batches: readonly number[],
  options: TranslateOptions,
): Promise<PartialStats> {
  let partial: PartialStats | undefined;
  const collector = new StatsCollector(model, (name, call) => partial!.observe(name, call));
  partial = new PartialStats(collector.modules());
  try {
    await translateLines(model, vocab, lines, { ...options, batches, onBatch: (i) => partial!.beginBatch(i) });
  } finally {
    collector.detach();
  }
  return partial;
}

/** The plan identity of a calibration (what every part of it must agree on). */
export function calibrationPlan(
  modelSha256: string,
  inputSha256: string,
  search: { beam: number; batch: number; maxLen: number },
  shards: number,
  batches: number,
): PlanIdentity {
  return {
    kind: CALIBRATION_PART,
    model_sha256: modelSha256,
    input_sha256: inputSha256,
    settings: { beam_size: search.beam, batch_size: search.batch, max_seq_len: search.maxLen, collector: 'distiller-r-collector' },
    shards,
    batches,
  };
}

/** Read, check and merge calibration parts into Distiller statistics. */
export function mergeCalibrationParts(paths: readonly string[]): { stats: Stats; parts: PartFile<PartialStatsJson>[] } {
  const parts = paths.map((path) => ({ path, part: readPart<PartialStatsJson>(path, CALIBRATION_PART) }));
  checkComplete(parts);
  const partials = parts.map(({ path, part }) => PartialStats.fromJson(part.payload, path));
  const stats = PartialStats.merge(partials, parts[0]!.part.plan.batches);
  return { stats, parts: parts.map((p) => p.part) };
}
