/**
 * Integer helpers of the quantized wrappers: broadcasting combine over integer arrays, and the
 * zero-point decomposition around the u8·s8 kernel. Integer values are exact: sums are formed in
 * float64 (exact below 2^53) and clamped to the accumulator range by the callers.
 */
import { broadcastShape, forEachBroadcast } from '../../tensor/ops.js';
import { numel } from '../../tensor/tensor.js';
import { kernels } from '../../tensor/backend.js';
import type { Kernels, PackedS8 } from '../../tensor/kernels.js';

/** out = fn(a, b) element-wise with NumPy broadcasting (general strided walk). */
export function broadcastCombine(
  a: ArrayLike<number>, aShape: readonly number[], b: ArrayLike<number>, bShape: readonly number[],
  fn: (x: number, y: number) => number,
): { data: Float64Array; shape: number[] } {
  const shape = broadcastShape(aShape, bShape);
  const out = new Float64Array(numel(shape));
  if (a.length === out.length && b.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = fn(a[i]!, b[i]!);
    return { data: out, shape };
  }
  forEachBroadcast(aShape, bShape, shape, (i, ia, ib) => {
    out[i] = fn(a[ia]!, b[ib]!);
  });
  return { data: out, shape };
}

/**
 * A weight-side operand of the u8·s8 kernel, in the zero-point decomposition
 *
 *     W'[j][p] = v[j][p] + cW[j]      (v in s8, cW an integer per output row j)
 *
 * with the row sums of v precomputed. The kernel-specific packing is redone when the active backend
 * changes (like the FP32 Linear).
 */
export class S8Operand {
  readonly colSum: Float64Array;
  private packed?: { kernels: Kernels; handle: PackedS8 };

  constructor(readonly v: Int8Array, readonly n: number, readonly k: number, readonly cW: Float64Array) {
    this.colSum = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += v[j * k + p]!;
      this.colSum[j] = s;
    }
  }

  handle(): { k: Kernels; packed: PackedS8 } {
    const k = kernels();
    if (this.packed?.kernels !== k) this.packed = { kernels: k, handle: k.packS8(this.v, this.n, this.k) };
    return { k, packed: this.packed.handle };
  }
}

/**
 * Exact integer product of X (m, k) = u + cX (u in u8, cX one integer) with W'ᵀ:
 *
 *     A[i][j] = Σ_p (u[i][p] + cX)(v[j][p] + cW[j])
 *             = (u·vᵀ)[i][j] + cW[j]·Σ_p u[i][p] + cX·Σ_p v[j][p] + k·cX·cW[j]
 *
 * u·vᵀ comes from `gemmU8S8S32` (exact int32); the correction terms are exact in float64.
 * `consume(i, j, A)` receives each exact accumulator (before any clamping).
 */
export function gemmWithZeroPoints(u: Uint8Array, m: number, cX: number, w: S8Operand, consume: (i: number, j: number, acc: number) => void): void {
  const { n, k } = w;
  const rowSum = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += u[i * k + p]!;
    rowSum[i] = s;
  }
  const g = new Int32Array(m * n);
  const { k: kern, packed } = w.handle();
  kern.gemmU8S8S32(u, m, packed, g);
  for (let j = 0; j < n; j++) {
    const cW = w.cW[j]!;
    const base = cX * w.colSum[j]! + k * cX * cW;
    for (let i = 0; i < m; i++) consume(i, j, g[i * n + j]! + cW * rowSum[i]! + base);
  }
}
