/**
 * The reference backend: plain TypeScript loops, never optimised. It is the oracle every other
 * backend is tested against (int8 bit-exact, fp32 within tolerance) and the last-resort fallback.
 */
import type { Backend, Kernels, PackedF32, PackedS8 } from '../kernels.js';

interface RefPackedF32 extends PackedF32 {
  readonly w: Float32Array;
}
interface RefPackedS8 extends PackedS8 {
  readonly w: Int8Array;
}

export const jsRefKernels: Kernels = {
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
};

function checkSize(what: string, actual: number, expected: number): void {
  if (actual < expected) throw new RangeError(`${what}: array length ${actual} is smaller than the required ${expected}.`);
}

export const jsRefBackend: Backend = {
  name: 'js',
  async init() {
    return jsRefKernels;
  },
};
