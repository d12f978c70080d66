/**
 * Beam search exactly as MLPerf v0.5 / Distiller SequenceGenerator.beam_search (gnmt-inference.md §4),
 * quirks included: only the first beam expands at step 1; finished beams continue with one EOS
 * candidate of log-probability 0; coverage is NOT reordered with the hypotheses; length
 * normalisation and coverage penalty are applied only to sentences whose beams had all finished at
 * the start of an iteration; scores are float32; top-k ties go to the lower flat index.
 *
 * Bookkeeping uses typed arrays; rows are reordered by index lists.
 */
import type { Gnmt, GenerateResult } from '../model/gnmt.js';
import type { AttentionKeys } from '../model/attention.js';
import { selectStateRows, type DecoderState } from '../model/decoder.js';
import { BOS, EOS, SEARCH_DEFAULTS, type SearchOptions, type SearchResult } from './search-options.js';
import { greedySearch } from './greedy.js';

const fr = Math.fround;

/**
 * Beam search over one encoded batch; beam 1 runs the greedy search, as translate.py does.
 *
 * When the model says its rows are independent (`rowsIndependent`, plain FP32), only the rows whose
 * outputs are read are decoded: unfinished beams, and at step 1 the first beam of each sentence (the
 * others are identical copies whose candidates are masked). Finished beams only ever feed finished
 * beams (their one candidate is EOS), so leaving them out changes no number. Quantized or observed
 * models decode every row, as the reference does (their ranges and statistics see the whole batch).
 */
export function beamSearch(
  model: Pick<Gnmt, 'generate'> & Partial<Pick<Gnmt, 'rowsIndependent'>>,
  keys: AttentionKeys,
  options: SearchOptions = {},
): SearchResult {
  const o = { ...SEARCH_DEFAULTS, ...options };
  const K = o.beam;
  const M = o.maxLen;
  if (!(Number.isInteger(K) && K >= 1)) throw new RangeError(`beam size must be a positive integer, got ${K}`);
  if (!(Number.isInteger(M) && M >= 2)) throw new RangeError(`max length must be an integer >= 2, got ${M}`);
  if (K === 1) return greedySearch(model, keys, M);

  const N = keys.lengths.length;
  const T = keys.context.shape[1]!;
  const slots = N * K;
  const translation = new Int32Array(slots * M);
  for (let g = 0; g < slots; g++) translation[g * M] = BOS;
  const length = new Int32Array(slots).fill(1);
  const score = new Float32Array(slots);
  const cov = new Float32Array(slots * T);
  // float32 constants, as PyTorch casts Python scalars to the tensor's dtype.
  const normConst = fr(o.lenNormConst);
  const normDen = fr(o.lenNormConst + 1);
  const normFactor = fr(o.lenNormFactor);
  const covFactor = fr(o.covPenaltyFactor);

  let active: Int32Array = Int32Array.from({ length: slots }, (_, i) => i);
  let rowSentence: Int32Array = Int32Array.from({ length: slots }, (_, i) => Math.floor(i / K));
  let words: Int32Array = new Int32Array(slots).fill(BOS);
  // With `compact`, state holds only the decoded rows (those with words[r] != EOS), in row order.
  const compact = model.rowsIndependent?.() ?? false;
  let state: DecoderState | null = null;
  let iterations = 0;

  const KK = K * K;
  const cand = new Float32Array(KK);
  const order = new Int32Array(KK);
  const rowsBuf = new Int32Array(K * M);
  const lenBuf = new Int32Array(K);

  for (let step = 1; step < M && active.length > 0; step++) {
    iterations++;
    const R = active.length;
    const S = R / K;
    const finished = new Uint8Array(R);
    const terminating = new Uint8Array(S);
    for (let r = 0; r < R; r++) finished[r] = words[r] === EOS ? 1 : 0;
    let anyTerminating = false;
    for (let s = 0; s < S; s++) {
      let all = 1;
      for (let b = 0; b < K; b++) all &= finished[s * K + b]!;
      terminating[s] = all;
      if (all) anyTerminating = true;
    }
    for (let r = 0; r < R; r++) if (!finished[r]) length[active[r]!]!++;

    // outRow[r]: the row of the generate outputs that holds row r's outputs (-1: not decoded, finished).
    const outRow = new Int32Array(R);
    let gen: GenerateResult | null;
    if (compact) {
      const live: number[] = [];
      for (let r = 0; r < R; r++) {
        if (step === 1) {
          outRow[r] = Math.floor(r / K);
          if (r % K === 0) live.push(r);
        } else if (finished[r]) {
          outRow[r] = -1;
        } else {
          outRow[r] = live.length;
          live.push(r);
        }
      }
      const idx = Int32Array.from(live);
      gen =
        live.length === 0
          ? null
          : model.generate(
              idx.map((r) => words[r]!),
              keys,
              idx.map((r) => rowSentence[r]!),
              state,
              K,
            );
    } else {
      for (let r = 0; r < R; r++) outRow[r] = r;
      gen = model.generate(words, keys, rowSentence, state, K);
    }
    if (gen) {
      const P = gen.probs.data;
      for (let r = 0; r < R; r++) {
        if (finished[r]) continue; // their attention is zeroed before accumulation
        const co = active[r]! * T;
        const po = outRow[r]! * T;
        for (let j = 0; j < T; j++) cov[co + j] = cov[co + j]! + P[po + j]!;
      }
    }

    const nextWords = new Int32Array(R);
    const stateIndex = new Int32Array(R);
    for (let s = 0; s < S; s++) {
      for (let b = 0; b < K; b++) {
        const r = s * K + b;
        const base = score[active[r]!]!;
        for (let k = 0; k < K; k++) {
          let v: number;
          if (step === 1 && b >= 1) v = -Infinity;
          else if (finished[r]) v = k === 0 ? base : -Infinity;
          else v = fr(base + gen!.logprobs[outRow[r]! * K + k]!);
          cand[b * K + k] = v;
        }
      }
      topKOrder(cand, K, order);
      // Read everything from the pre-step values before writing.
      for (let j = 0; j < K; j++) {
        const g = active[s * K + j]!;
        rowsBuf.set(translation.subarray(g * M, g * M + step), j * M);
        lenBuf[j] = length[g]!;
      }
      for (let j = 0; j < K; j++) {
        const q = order[j]!;
        const src = Math.floor(q / K);
        const rSrc = s * K + src;
        const token = finished[rSrc] ? EOS : gen!.ids[outRow[rSrc]! * K + (q % K)]!;
        const g = active[s * K + j]!;
        score[g] = cand[q]!;
        translation.set(rowsBuf.subarray(src * M, src * M + step), g * M);
        translation[g * M + step] = token;
        length[g] = lenBuf[src]!;
        stateIndex[s * K + j] = rSrc;
        nextWords[s * K + j] = token;
      }
    }
    words = nextWords;
    if (!compact) {
      state = selectStateRows(gen!.state, stateIndex);
    } else if (gen) {
      // Next step's decoded rows: those not ending in EOS (their source rows were decoded).
      const idx: number[] = [];
      for (let j = 0; j < R; j++) if (nextWords[j] !== EOS) idx.push(outRow[stateIndex[j]!]!);
      const rows: number = gen.state.layers[0]!.h.rows;
      state = idx.length === rows && idx.every((v, i) => v === i) ? gen.state : selectStateRows(gen.state, Int32Array.from(idx));
    }

    if (anyTerminating) {
      const keep: number[] = [];
      for (let s = 0; s < S; s++) {
        if (!terminating[s]) {
          for (let b = 0; b < K; b++) keep.push(s * K + b);
          continue;
        }
        for (let b = 0; b < K; b++) {
          const g = active[s * K + b]!;
          const norm = fr(Math.pow(fr(fr(normConst + length[g]!) / normDen), normFactor));
          score[g] = fr(score[g]! / norm);
          let pen = 0;
          for (let j = 0; j < T; j++) {
            const c = Math.min(Math.max(cov[g * T + j]!, 0), 1);
            if (c > 0) pen += fr(Math.log(c));
          }
          score[g] = fr(score[g]! + fr(covFactor * fr(pen)));
        }
      }
      const idx = Int32Array.from(keep);
      active = idx.map((r) => active[r]!);
      rowSentence = idx.map((r) => rowSentence[r]!);
      words = idx.map((r) => words[r]!);
      // Compact state has no rows of the dropped sentences (all their beams end in EOS).
      if (!compact) state = selectStateRows(state!, idx);
    }
  }

  const translations: Int32Array[] = [];
  const lengths = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let best = n * K;
    for (let g = n * K + 1; g < n * K + K; g++) if (score[g]! > score[best]!) best = g;
    translations.push(translation.slice(best * M, best * M + M));
    lengths[n] = length[best]!;
  }
  return { translations, lengths, iterations };
}

/** Indices of the K largest values of cand (length K·K), descending; ties → lower index first. */
function topKOrder(cand: Float32Array, K: number, order: Int32Array): void {
  const n = cand.length;
  for (let i = 0; i < n; i++) order[i] = i;
  // Partial insertion sort of the first K positions (n = K² is small).
  for (let i = 0; i < K; i++) {
    let best = i;
    for (let j = i + 1; j < n; j++) {
      const a = cand[order[j]!]!;
      const b = cand[order[best]!]!;
      if (a > b || (a === b && order[j]! < order[best]!)) best = j;
    }
    const t = order[i]!;
    order[i] = order[best]!;
    order[best] = t;
  }
}
