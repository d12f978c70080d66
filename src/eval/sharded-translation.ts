/**
 * Translation split over shards: a shard translates its whole batches and keeps their output lines;
 * the merge puts every batch back at its place, so the merged file equals the unsharded output
 * (translation is per sentence: any split into whole batches gives the same hypotheses).
 */
import { QnmtError } from '../errors.js';
import { batchRanges } from './dataset.js';
import { checkComplete, readPart, type PartFile, type PlanIdentity } from './shard-parts.js';

export const TRANSLATION_PART = 'translation';

/** A part's output: the lines of each of its batches, file order inside a batch. */
export interface TranslationPayload {
  batches: { index: number; lines: string[] }[];
}

/** Keep the output lines of `batches` from a full-length result (other lines are unset). */
export function translationPayload(lines: readonly string[], batchSize: number, batches: readonly number[]): TranslationPayload {
  const ranges = batchRanges(lines.length, batchSize);
  return { batches: batches.map((index) => ({ index, lines: lines.slice(ranges[index]![0], ranges[index]![1]) })) };
}

export function translationPlan(
  modelSha256: string,
  inputSha256: string,
  settings: Record<string, unknown>,
  shards: number,
  batches: number,
): PlanIdentity {
  return { kind: TRANSLATION_PART, model_sha256: modelSha256, input_sha256: inputSha256, settings, shards, batches };
}

/** Read, check and concatenate translation parts in input order. */
export function mergeTranslationParts(paths: readonly string[], kind = TRANSLATION_PART): { lines: string[]; parts: PartFile<TranslationPayload>[] } {
  const parts = paths.map((path) => ({ path, part: readPart<TranslationPayload>(path, kind) }));
  checkComplete(parts);
  return { lines: concatBatches(parts), parts: parts.map((p) => p.part) };
}

/** The lines of every batch in batch order (the parts are known to cover each batch once). */
export function concatBatches(parts: readonly { path: string; part: PartFile<TranslationPayload> }[]): string[] {
  const byIndex = new Map<number, string[]>();
  for (const { path, part } of parts) {
    for (const b of part.payload?.batches ?? []) {
      if (!Array.isArray(b?.lines) || !b.lines.every((l) => typeof l === 'string') || !part.batches.includes(b.index)) {
        throw new QnmtError('shard/bad-part', `${path}: batch ${String(b?.index)} is malformed; rerun its shard.`);
      }
      byIndex.set(b.index, b.lines);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < byIndex.size; i++) {
    const lines = byIndex.get(i);
    if (!lines) throw new QnmtError('shard/bad-part', `batch ${i} has no lines in any part; rerun the shard that holds it.`);
    out.push(...lines);
  }
  return out;
}
