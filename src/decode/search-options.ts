/** Beam search settings (gnmt-inference.md §4, §7); defaults are the Distiller notebook's. */
export interface SearchOptions {
  /** Beam size K; 1 runs the greedy search (§4.4). @default 10 */
  beam?: number;
  /** max_seq_len M: decoder steps 1..M−1, output rows of M positions (BOS included). @default 80 */
  maxLen?: number;
  /** α of the length normalisation. @default 0.6 */
  lenNormFactor?: number;
  /** c of the length normalisation. @default 5 */
  lenNormConst?: number;
  /** β of the coverage penalty. @default 0.1 */
  covPenaltyFactor?: number;
}

export const SEARCH_DEFAULTS: Readonly<Required<SearchOptions>> = Object.freeze({
  beam: 10,
  maxLen: 80,
  lenNormFactor: 0.6,
  lenNormConst: 5,
  covPenaltyFactor: 0.1,
});

/** Result for the N sentences of one encoded batch (in the batch's row order). */
export interface SearchResult {
  /** translation[n] = ids at positions 0..M−1 (BOS first, 0 after the end). */
  translations: Int32Array[];
  /** length[n] as the reference counts it (BOS and the final EOS included, M if EOS never came). */
  lengths: Int32Array;
  /** Decoder iterations executed (the reference's `counter`). */
  iterations: number;
}

export const BOS = 2;
export const EOS = 3;
