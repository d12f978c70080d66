/**
 * The reference backend: plain TypeScript loops, never optimised. It is the oracle every other
 * backend is tested against (int8 bit-exact, fp32 within tolerance) and the last-resort fallback.
 */
import type { AllKernels, Backend, PackedF32, PackedS8 } from '../kernels.js';

interface RefPackedF32 extends PackedF32 {
  readonly w: Float32Array;
}
interface RefPackedS8 extends PackedS8 {
  readonly w: Int8Array;
}

export const jsRefKernels: AllKernels = {
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
    checkSize('lstmCellF32 gatesX', gatesX.length, m * 4 * h);
    if (gatesH) checkSize('lstmCellF32 gatesH', gatesH.length, m * 4 * h);
    if (cPrev) checkSize('lstmCellF32 cPrev', cPrev.length, m * h);
    checkSize('lstmCellF32 hOut', hOut.length, m * h);
    checkSize('lstmCellF32 cOut', cOut.length, m * h);
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
    checkSize('quantizeU8 x', x.length, count);
    checkSize('quantizeU8 out', out.length, count);
    checkByteRange(lo, hi, offset);
    const s = Math.fround(scale);
    const z = Math.fround(zeroPoint);
    for (let i = 0; i < count; i++) {
      const t = Math.fround(Math.fround(s * x[i]!) - z);
      // Clamping before rounding gives the same integer (lo, hi are integers and rounding is monotone).
      out[i] = roundHalfEven(t < lo ? lo : t > hi ? hi : t) + offset;
    }
  },

  requantizeF32(acc, m, n, add, rowTerm, colMul, factor, zOut, lo, hi, sOut, out) {
    checkSize('requantizeF32 acc', acc.length, m * n);
    checkSize('requantizeF32 out', out.length, m * n);
    if (add) checkSize('requantizeF32 add', add.length, n);
    if ((rowTerm === null) !== (colMul === null)) throw new TypeError('requantizeF32: pass both rowTerm and colMul, or neither.');
    if (rowTerm) checkSize('requantizeF32 rowTerm', rowTerm.length, m);
    if (colMul) checkSize('requantizeF32 colMul', colMul.length, n);
    if (factor.length !== 1) checkSize('requantizeF32 factor', factor.length, n);
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi && lo >= -4194304 && hi <= 4194304)) {
      throw new RangeError(`requantizeF32: need integers lo <= hi within ±2^22, got lo ${lo}, hi ${hi}.`);
    }
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
};

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Round half to even (torch.round); Math.round rounds halves up. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkByteRange(lo: number, hi: number, offset: number): void {
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(offset) && lo <= hi && lo + offset >= 0 && hi + offset <= 255)) {
    throw new RangeError(
      `quantizeU8: need integers lo <= hi with 0 <= lo + offset and hi + offset <= 255, got lo ${lo}, hi ${hi}, offset ${offset}.`,
    );
  }
}

function checkSize(what: string, actual: number, expected: number): void {
  if (actual < expected) throw new RangeError(`${what}: array length ${actual} is smaller than the required ${expected}.`);
}

export const jsRefBackend: Backend = {
  name: 'js',
  async init() {
    return jsRefKernels;
  },
};
