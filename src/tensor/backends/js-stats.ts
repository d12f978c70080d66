/**
 * The js reference of the statistics kernels (stats-kernels.ts). Values are those of Distiller's op
 * chain in float32 (every operation rounded, as the ops of src/model compute them), so with this
 * backend the reductions equal those of the per-call observed path exactly, up to float64 summation
 * order.
 */
import { QUAD, LSTM_TAIL_TENSORS, type StatsKernels } from '../stats-kernels.js';

const fr = Math.fround;

/** Adds a stream of values to one quad (min, max, Σ, Σ²) at out[o..o+3]. */
function addTo(out: Float64Array, o: number, v: number): void {
  if (v < out[o]!) out[o] = v;
  if (v > out[o + 1]!) out[o + 1] = v;
  out[o + 2]! += v;
  out[o + 3]! += v * v;
}

function resetQuads(out: Float64Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const o = (from + i) * QUAD;
    out[o] = Infinity;
    out[o + 1] = -Infinity;
    out[o + 2] = 0;
    out[o + 3] = 0;
  }
}

function checkSize(what: string, actual: number, expected: number): void {
  if (actual < expected) throw new RangeError(`${what}: array length ${actual} is smaller than the required ${expected}.`);
}

const sigmoid = (x: number): number => fr(1 / (1 + Math.exp(-x)));

export const jsStatsKernels: Required<StatsKernels> = {
  rowStatsF32(x, rows, cols, out) {
    checkSize('rowStatsF32 x', x.length, rows * cols);
    checkSize('rowStatsF32 out', out.length, rows * QUAD);
    resetQuads(out, 0, rows);
    for (let r = 0; r < rows; r++) {
      const o = r * QUAD;
      for (let i = r * cols, e = i + cols; i < e; i++) addTo(out, o, x[i]!);
    }
  },

  lstmTailStatsF32(m, hidden, gatesX, gatesH, cPrev, out) {
    const h = hidden;
    const N = LSTM_TAIL_TENSORS.length;
    checkSize('lstmTailStatsF32 gatesX', gatesX.length, m * 4 * h);
    if (gatesH) checkSize('lstmTailStatsF32 gatesH', gatesH.length, m * 4 * h);
    if (cPrev) checkSize('lstmTailStatsF32 cPrev', cPrev.length, m * h);
    checkSize('lstmTailStatsF32 out', out.length, m * N * QUAD);
    resetQuads(out, 0, m * N);
    const v = new Float64Array(N);
    for (let r = 0; r < m; r++) {
      const z = r * 4 * h;
      const base = r * N * QUAD;
      for (let j = 0; j < h; j++) {
        for (let k = 0; k < 4; k++) {
          const x = gatesX[z + k * h + j]!;
          v[k] = gatesH ? fr(x + gatesH[z + k * h + j]!) : x;
        }
        v[4] = sigmoid(v[0]!);
        v[5] = sigmoid(v[1]!);
        v[6] = fr(Math.tanh(v[2]!));
        v[7] = sigmoid(v[3]!);
        v[8] = fr(v[5]! * (cPrev ? cPrev[r * h + j]! : 0));
        v[9] = fr(v[4]! * v[6]!);
        v[10] = fr(v[8]! + v[9]!);
        v[11] = fr(Math.tanh(v[10]!));
        v[12] = fr(v[7]! * v[11]!);
        for (let k = 0; k < N; k++) addTo(out, base + k * QUAD, v[k]!);
      }
    }
  },

  attentionScoreStatsF32(rows, T, U, query, keys, rowSentence, bias, att, scores, out) {
    const S = T * U > 0 ? Math.floor(keys.length / (T * U)) : 0;
    checkSize('attentionScoreStatsF32 query', query.length, rows * U);
    checkSize('attentionScoreStatsF32 rowSentence', rowSentence.length, rows);
    checkSize('attentionScoreStatsF32 bias', bias.length, U);
    checkSize('attentionScoreStatsF32 att', att.length, U);
    checkSize('attentionScoreStatsF32 scores', scores.length, rows * T);
    checkSize('attentionScoreStatsF32 out', out.length, rows * 3 * QUAD);
    resetQuads(out, 0, rows * 3);
    for (let r = 0; r < rows; r++) {
      const s = rowSentence[r]!;
      if (!(s >= 0 && s < S)) throw new RangeError('attentionScoreStatsF32: rowSentence out of range');
      const qo = r * U;
      const o = r * 3 * QUAD;
      for (let j = 0; j < T; j++) {
        const ko = (s * T + j) * U;
        let acc = 0;
        for (let h = 0; h < U; h++) {
          const x = fr(query[qo + h]! + keys[ko + h]!);
          const b = fr(x + bias[h]!);
          const t = fr(Math.tanh(b));
          acc += t * att[h]!;
          addTo(out, o, x);
          addTo(out, o + QUAD, b);
          addTo(out, o + 2 * QUAD, t);
        }
        scores[r * T + j] = acc;
      }
    }
  },
};
