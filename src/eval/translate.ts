/**
 * The evaluation loop of the Distiller notebook / MLPerf translate.py (gnmt-inference.md §3):
 * segment → batches of `batch` lines in file order → sort by source length inside the batch →
 * encoder → beam search → ids[1 : length−1] → BPE join → file order.
 *
 * Line alignment is always kept (output line i belongs to input line i):
 * - an empty (or blank) line is segmented to BOS EOS and translated like any other sentence — the
 *   reference does exactly this (its length filter 0..150 keeps it);
 * - a line longer than the reference's filter (more than 148 tokens, 150 with BOS/EOS) would be dropped
 *   by the reference, shifting all later lines; qnmt translates it anyway and reports it through
 *   `onWarning`;
 * - a line longer than the documented maximum (limits: tokensPerLine, 256 tokens) is cut to its first
 *   256 tokens with a warning, and still gives output line i, so memory and time stay bounded.
 */
import type { Gnmt } from '../model/gnmt.js';
import { beamSearch } from '../decode/beam-search.js';
import { SEARCH_DEFAULTS, type SearchOptions } from '../decode/search-options.js';
import { bpeJoin } from '../text/bpe-join.js';
import { MAX_SOURCE_LENGTH, batchRanges, makeBatch, segment, tokenIds } from './dataset.js';
import { limitEnvName, limits } from '../limits.js';

export interface TranslateOptions extends SearchOptions {
  /** Sentences per batch (file order). @default 128 */
  batch?: number;
  /** Called after each batch with the number of sentences done so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Called for inputs the reference would treat differently (over-long lines). */
  onWarning?: (message: string) => void;
  /**
   * Run only these batches (indices into the unsharded run's batches, ascending): a shard's share.
   * Lines of other batches are left ''. @default every batch
   */
  batches?: readonly number[];
  /** Called before each batch runs, with its index in the unsharded run. */
  onBatch?: (index: number) => void;
}

export interface TranslateResult {
  /** Output BPE tokens per line (ids[1 : length−1] joined with spaces), file order. */
  bpe: string[];
  /** The same after BPE joining: what translate.py writes (still Moses-tokenized). */
  joined: string[];
  /** Decoder iterations per batch (the reference's counter). */
  iterations: number[];
}

/** One finished batch: input lines [start, end) in file order. */
export interface TranslatedBatch {
  start: number;
  end: number;
  /** Output BPE tokens of lines start..end−1 (ids[1 : length−1] joined with spaces). */
  bpe: string[];
  /** Decoder iterations of this batch (the reference's counter). */
  iterations: number;
}

/**
 * The loop itself, one batch at a time: batches are taken in file order, so every yielded batch
 * completes the lines before it and a consumer can write output line by line as it arrives.
 * `onProgress` is not called here (the consumer knows how far it is).
 */
export async function* translateBatches(
  model: Gnmt,
  vocab: readonly string[],
  lines: readonly string[],
  options: TranslateOptions = {},
): AsyncGenerator<TranslatedBatch> {
  const batchSize = options.batch ?? 128;
  const search: SearchOptions = {
    beam: options.beam ?? SEARCH_DEFAULTS.beam,
    maxLen: options.maxLen ?? SEARCH_DEFAULTS.maxLen,
    lenNormFactor: options.lenNormFactor ?? SEARCH_DEFAULTS.lenNormFactor,
    lenNormConst: options.lenNormConst ?? SEARCH_DEFAULTS.lenNormConst,
    covPenaltyFactor: options.covPenaltyFactor ?? SEARCH_DEFAULTS.covPenaltyFactor,
  };
  const tok2idx = tokenIds(vocab);
  const maxTokens = limits().tokensPerLine;
  const seqs = lines.map((l) => segment(l, tok2idx));
  seqs.forEach((s, i) => {
    if (s.length - 2 > maxTokens) {
      options.onWarning?.(
        `line ${i + 1} has ${s.length - 2} tokens; only its first ${maxTokens} are translated (qnmt's limit per line; raise it with ${limitEnvName('tokensPerLine')}=N).`,
      );
      const cut = s.slice(0, maxTokens + 2);
      cut[maxTokens + 1] = s[s.length - 1]!;
      seqs[i] = cut;
    } else if (s.length > MAX_SOURCE_LENGTH) {
      options.onWarning?.(
        `line ${i + 1} has ${s.length - 2} tokens; the reference drops sources longer than ${MAX_SOURCE_LENGTH - 2} tokens, qnmt translates it to keep the lines aligned.`,
      );
    }
  });
  const ranges = batchRanges(lines.length, batchSize);
  const selected = options.batches ?? ranges.map((_, i) => i);
  for (const index of selected) {
    const [start, end] = ranges[index]!;
    options.onBatch?.(index);
    const batch = makeBatch(seqs, start, end);
    const keys = model.encode(batch.src, batch.lengths, batch.T);
    const result = beamSearch(model, keys, search);
    const bpe = new Array<string>(end - start).fill('');
    result.translations.forEach((row, r) => {
      const ids = row.subarray(1, Math.max(1, result.lengths[r]! - 1));
      bpe[batch.positions[r]! - start] = Array.from(ids, (id) => vocab[id] ?? '<unk>').join(' ');
    });
    yield { start, end, bpe, iterations: result.iterations };
    // Let timers (progress bar redraws, signals, stream consumers) run between batches.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export async function translateLines(
  model: Gnmt,
  vocab: readonly string[],
  lines: readonly string[],
  options: TranslateOptions = {},
): Promise<TranslateResult> {
  const bpe = new Array<string>(lines.length).fill('');
  const iterations: number[] = [];
  const ranges = batchRanges(lines.length, options.batch ?? 128);
  const total = (options.batches ?? ranges.map((_, i) => i)).reduce((n, i) => n + ranges[i]![1] - ranges[i]![0], 0);
  let done = 0;
  for await (const batch of translateBatches(model, vocab, lines, options)) {
    batch.bpe.forEach((line, i) => (bpe[batch.start + i] = line));
    iterations.push(batch.iterations);
    done += batch.end - batch.start;
    options.onProgress?.(done, total);
  }
  return { bpe, joined: bpe.map((l) => bpeJoin(l)), iterations };
}
