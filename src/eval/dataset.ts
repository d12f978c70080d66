/**
 * Source side of the evaluation data path (gnmt-inference.md §1.3, §3): segmenting lines into ids,
 * batches of consecutive lines in file order, stable sort by decreasing source length inside a batch,
 * zero padding.
 */
export const PAD = 0;
export const UNK = 1;
export const BOS = 2;
export const EOS = 3;

/** The reference's dataset length filter (lengths count BOS and EOS). */
export const MAX_SOURCE_LENGTH = 150;

/** token → id from idx2tok (the checkpoint's authoritative vocabulary); first occurrence wins. */
export function tokenIds(vocab: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  vocab.forEach((tok, i) => {
    if (!map.has(tok)) map.set(tok, i);
  });
  return map;
}

/** Tokenizer.segment: strip, split on whitespace runs, unknown → UNK, then BOS … EOS. */
export function segment(line: string, tok2idx: ReadonlyMap<string, number>): Int32Array {
  const toks = line.trim().split(/\s+/).filter((t) => t !== '');
  const ids = new Int32Array(toks.length + 2);
  ids[0] = BOS;
  toks.forEach((t, i) => (ids[i + 1] = tok2idx.get(t) ?? UNK));
  ids[toks.length + 1] = EOS;
  return ids;
}

/** One padded, sorted source batch. */
export interface SourceBatch {
  /** File position (index into the input lines) of each row, rows sorted by length (stable). */
  positions: Int32Array;
  /** (B, T) ids, row-major, 0-padded. */
  src: Int32Array;
  lengths: Int32Array;
  /** Padded length = longest source in the batch. */
  T: number;
}

/**
 * The batch of sequences seqs[start..end) (file order): rows sorted by decreasing length, ties in
 * file order (stable), padded with PAD.
 */
export function makeBatch(seqs: readonly Int32Array[], start: number, end: number): SourceBatch {
  const order = Array.from({ length: end - start }, (_, i) => start + i);
  order.sort((a, b) => seqs[b]!.length - seqs[a]!.length || a - b);
  const B = order.length;
  const T = B === 0 ? 0 : seqs[order[0]!]!.length;
  const src = new Int32Array(B * T);
  const lengths = new Int32Array(B);
  order.forEach((p, r) => {
    src.set(seqs[p]!, r * T);
    lengths[r] = seqs[p]!.length;
  });
  return { positions: Int32Array.from(order), src, lengths, T };
}

/** [start, end) ranges of consecutive batches of `batchSize` (last one may be shorter). */
export function batchRanges(n: number, batchSize: number): Array<[number, number]> {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += batchSize) out.push([s, Math.min(n, s + batchSize)]);
  return out;
}
