/**
 * Greedy search (gnmt-inference.md §4.4, SequenceGenerator.greedy_search): arg-max token per step,
 * sentences leave the batch as soon as they emit EOS.
 */
import type { Gnmt } from '../model/gnmt.js';
import type { AttentionKeys } from '../model/attention.js';
import { selectStateRows, type DecoderState } from '../model/decoder.js';
import { BOS, EOS, type SearchResult } from './search-options.js';

export function greedySearch(model: Pick<Gnmt, 'generate'>, keys: AttentionKeys, maxLen: number): SearchResult {
  const N = keys.lengths.length;
  const translations = Array.from({ length: N }, () => {
    const row = new Int32Array(maxLen);
    row[0] = BOS;
    return row;
  });
  const lengths = new Int32Array(N).fill(1);
  let active: Int32Array = Int32Array.from({ length: N }, (_, i) => i);
  let words: Int32Array = new Int32Array(N).fill(BOS);
  let state: DecoderState | null = null;
  let iterations = 0;
  for (let step = 1; step < maxLen && active.length > 0; step++) {
    iterations++;
    const gen = model.generate(words, keys, active, state, 1);
    const keep: number[] = [];
    for (let r = 0; r < active.length; r++) {
      const n = active[r]!;
      translations[n]![step] = gen.ids[r]!;
      lengths[n]!++;
      if (gen.ids[r] !== EOS) keep.push(r);
    }
    state = gen.state;
    if (keep.length < active.length) {
      const idx = Int32Array.from(keep);
      active = idx.map((r) => active[r]!);
      words = idx.map((r) => gen.ids[r]!);
      state = selectStateRows(state, idx);
    } else {
      words = gen.ids;
    }
  }
  return { translations, lengths, iterations };
}
