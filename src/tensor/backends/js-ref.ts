/**
 * The reference backend: plain TypeScript loops, never optimised. It is the oracle every other
 * backend is tested against (int8 bit-exact, fp32 within tolerance) and the last-resort fallback.
 */
import type { AllKernels, Backend, PackedF32, PackedS8 } from '../kernels.js';
import {
  checkAttention,
  checkAttentionScores,
  checkLogSoftmaxTopK,
  checkLstmCell,
  checkLstmTail,
  checkPairLookup,
  checkQuantize,
  checkRequantize,
  checkSize,
} from './kernel-checks.js';
import { jsStatsKernels } from './js-stats.js';

interface RefPackedF32 extends PackedF32 {
  readonly w: Float32Array;
}
interface RefPackedS8 extends PackedS8 {
  readonly w: Int8Array;
}

export const jsRefKernels: AllKernels = {
  ...jsStatsKernels,
  packF32(w, n, k): RefPackedF32 {
    checkSize('packF32', w.length, n * k);
    return { n, k, w: Float32Array.from(w) };
  },

  gemmF32(a, m, packed, c, bias) {
    const { n, k, w } = packed as RefPackedF32;
    checkSize('gemmF32 A', a.length, m * k);
    checkSize('gemmF32 C', c.length, m * n);
    for (let i = 0; i < m; i++) {
      const aOff = i * k;
      for (let j = 0; j < n; j++) {
        const wOff = j * k;
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[aOff + p]! * w[wOff + p]!;
        c[i * n + j] = bias ? acc + bias[j]! : acc;
      }
    }
  },

  packS8(w, n, k): RefPackedS8 {
    checkSize('packS8', w.length, n * k);
    return { n, k, w: Int8Array.from(w) };
  },

  gemmU8S8S32(a, m, packed, c) {
    const { n, k, w } = packed as RefPackedS8;
    checkSize('gemmU8S8S32 A', a.length, m * k);
    checkSize('gemmU8S8S32 C', c.length, m * n);
    for (let i = 0; i < m; i++) {
      const aOff = i * k;
      for (let j = 0; j < n; j++) {
        const wOff = j * k;
        let acc = 0;
        // |a·w| ≤ 255·128·k stays far below 2^53, so float64 accumulation is exact; `| 0` wraps to int32.
        for (let p = 0; p < k; p++) acc += a[aOff + p]! * w[wOff + p]!;
        c[i * n + j] = acc | 0;
      }
    }
  },

  lstmCellF32(m, hidden, gatesX, gatesH, cPrev, hOut, cOut) {
    const h = hidden;
    checkLstmCell(m, hidden, gatesX, gatesH, cPrev, hOut, cOut);
    for (let r = 0; r < m; r++) {
      const z = r * 4 * h;
      for (let j = 0; j < h; j++) {
        // The gate sums are float32 tensors in PyTorch, so round them before the nonlinearities.
        const zi = gatesH ? Math.fround(gatesX[z + j]! + gatesH[z + j]!) : gatesX[z + j]!;
        const zf = gatesH ? Math.fround(gatesX[z + h + j]! + gatesH[z + h + j]!) : gatesX[z + h + j]!;
        const zg = gatesH ? Math.fround(gatesX[z + 2 * h + j]! + gatesH[z + 2 * h + j]!) : gatesX[z + 2 * h + j]!;
        const zo = gatesH ? Math.fround(gatesX[z + 3 * h + j]! + gatesH[z + 3 * h + j]!) : gatesX[z + 3 * h + j]!;
        const prev = cPrev ? cPrev[r * h + j]! : 0;
        const c = Math.fround(sigmoid(zf) * prev + sigmoid(zi) * Math.tanh(zg));
        cOut[r * h + j] = c;
        hOut[r * h + j] = sigmoid(zo) * Math.tanh(c);
      }
    }
  },

  quantizeU8(x, count, scale, zeroPoint, lo, hi, offset, out) {
    checkQuantize(x, count, lo, hi, offset, out);
    const s = Math.fround(scale);
    const z = Math.fround(zeroPoint);
    for (let i = 0; i < count; i++) {
      const t = Math.fround(Math.fround(s * x[i]!) - z);
      // Clamping before rounding gives the same integer (lo, hi are integers and rounding is monotone).
      out[i] = roundHalfEven(t < lo ? lo : t > hi ? hi : t) + offset;
    }
  },

  requantizeF32(acc, m, n, add, rowTerm, colMul, factor, zOut, lo, hi, sOut, out) {
    checkRequantize(acc, m, n, add, rowTerm, colMul, factor, lo, hi, out);
    const zo = Math.fround(zOut);
    const so = Math.fround(sOut);
    const perColumn = factor.length !== 1;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let a = acc[i * n + j]! + (add ? add[j]! : 0);
        if (rowTerm) {
          const prod = rowTerm[i]! * colMul![j]!;
          // Exact in float64 below 2^53; beyond, only the sign matters after the int32 clamp (|a| < 2^32).
          a = Math.abs(prod) < 2 ** 53 ? a + prod : prod;
        }
        a = a < -2147483648 ? -2147483648 : a > 2147483647 ? 2147483647 : a;
        const t = Math.fround(Math.fround((perColumn ? factor[j]! : factor[0]!) * Math.fround(a)) - zo);
        const q = roundHalfEven(t < lo ? lo : t > hi ? hi : t);
        out[i * n + j] = Math.fround(q + zo) / so;
      }
    }
  },

  attentionF32(rows, T, U, H, query, keys, bias, att, context, lengths, rowSentence, probs, out) {
    checkAttention(rows, T, U, H, query, keys, bias, att, context, lengths, rowSentence, probs, out);
    const fr = Math.fround;
    const e = new Float32Array(T); // float32 like the softmax op's output buffer
    for (let r = 0; r < rows; r++) {
      const s = rowSentence[r]!;
      const len = lengths[s]!;
      const qo = r * U;
      let max = -Infinity;
      for (let j = 0; j < len; j++) {
        const ko = (s * T + j) * U;
        let acc = 0;
        for (let h = 0; h < U; h++) acc += fr(Math.tanh(fr(fr(query[qo + h]! + keys[ko + h]!) + bias[h]!))) * att[h]!;
        const v = fr(acc);
        e[j] = v;
        if (v > max) max = v;
      }
      // Masked positions hold -65504 → exp underflows to exactly 0, so they are skipped.
      if (len < T && MASKED_SCORE > max) max = MASKED_SCORE;
      let sum = 0;
      for (let j = 0; j < len; j++) {
        const x = Math.exp(e[j]! - max);
        e[j] = x;
        sum += x; // the op sums the unrounded exponentials and divides the rounded ones
      }
      for (let j = 0; j < len; j++) probs[r * T + j] = e[j]! / sum;
      probs.fill(0, r * T + len, r * T + T);
      // context = p · keys, accumulated in float32 in the same order as the bmm op.
      const o = r * H;
      out.fill(0, o, o + H);
      for (let j = 0; j < len; j++) {
        const p = probs[r * T + j]!;
        if (p === 0) continue;
        const ko = (s * T + j) * H;
        for (let h = 0; h < H; h++) out[o + h] = out[o + h]! + p * context[ko + h]!;
      }
    }
  },

  logSoftmaxTopKF32(logits, rows, vocab, k, ids, logprobs) {
    checkLogSoftmaxTopK(logits, rows, vocab, k, ids, logprobs);
    const fr = Math.fround;
    const topV = new Float64Array(k);
    const topI = new Int32Array(k);
    for (let r = 0; r < rows; r++) {
      const off = r * vocab;
      // Pass 1: top-k of the logits (log_softmax is monotone), ties → lower id; topV[0] is the max.
      let filled = 0;
      for (let j = 0; j < vocab; j++) {
        const x = logits[off + j]!;
        if (filled === k && !(x > topV[k - 1]!)) continue;
        let p = filled < k ? filled++ : k - 1;
        while (p > 0 && x > topV[p - 1]!) {
          topV[p] = topV[p - 1]!;
          topI[p] = topI[p - 1]!;
          p--;
        }
        topV[p] = x;
        topI[p] = j;
      }
      const max = topV[0]!;
      // Pass 2: the normaliser.
      let sum = 0;
      for (let j = 0; j < vocab; j++) sum += Math.exp(logits[off + j]! - max);
      const lse = fr(Math.log(sum));
      for (let i = 0; i < filled; i++) {
        // Float32 rounding can make neighbours equal; equal log-probabilities keep the lower id first.
        const lp = fr(fr(topV[i]! - max) - lse);
        let p = i;
        while (p > 0 && lp === logprobs[r * k + p - 1]! && topI[i]! < ids[r * k + p - 1]!) {
          logprobs[r * k + p] = logprobs[r * k + p - 1]!;
          ids[r * k + p] = ids[r * k + p - 1]!;
          p--;
        }
        logprobs[r * k + p] = lp;
        ids[r * k + p] = topI[i]!;
      }
    }
  },

  pairLookupF32(u0, p0, u1, p1, count, table, out) {
    checkPairLookup(u0, p0, u1, p1, count, table, out);
    for (let i = 0; i < count; i++) out[i] = table[(u0[i % p0]! << 8) | u1[i % p1]!]!;
  },

  attentionScoresU8(R, T, U, uq, uk, rowSentence, lengths, ub, codes, chain, ut) {
    checkAttentionScores(R, T, U, uq, uk, rowSentence, lengths, ub, codes, chain, ut);
    for (let r = 0; r < R; r++) {
      const s = rowSentence[r]!;
      const qo = r * U;
      const len = lengths ? Math.min(lengths[s]!, T) : T;
      for (let j = 0; j < len; j++) {
        const ko = (s * T + j) * U;
        const o = (r * T + j) * U;
        for (let h = 0; h < U; h++) ut[o + h] = chain[(ub[h]! << 8) | codes[(uq[qo + h]! << 8) | uk[ko + h]!]!]!;
      }
    }
  },

  lstmTailU8(n, H, ux, uh, uc, gateCodes, forgetCodes, inputCodes, cellCodes, cValues, hValues, hOut, cOut) {
    const G = 4 * H;
    checkLstmTail(n, H, ux, uh, uc, gateCodes, forgetCodes, inputCodes, cellCodes, cValues, hValues, hOut, cOut);
    for (let r = 0; r < n; r++) {
      const go = r * G;
      const co = r * H;
      for (let j = 0; j < H; j++) {
        const gi = go + j;
        const zi = gateCodes[(ux[gi]! << 8) | uh[gi]!]!;
        const zf = gateCodes[(ux[gi + H]! << 8) | uh[gi + H]!]!;
        const zg = gateCodes[(ux[gi + 2 * H]! << 8) | uh[gi + 2 * H]!]!;
        const zo = gateCodes[(ux[gi + 3 * H]! << 8) | uh[gi + 3 * H]!]!;
        const cc = cellCodes[(forgetCodes[(zf << 8) | uc[co + j]!]! << 8) | inputCodes[(zi << 8) | zg]!]!;
        cOut[co + j] = cValues[cc]!;
        hOut[co + j] = hValues[(zo << 8) | cc]!;
      }
    }
  },
};

/** Score of padded source positions in attentionF32 (the float16 minimum, as the reference). */
const MASKED_SCORE = -65504.0;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Round half to even (torch.round); Math.round rounds halves up. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const jsRefBackend: Backend = {
  name: 'js',
  async init() {
    return jsRefKernels;
  },
};
