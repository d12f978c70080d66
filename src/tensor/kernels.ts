/**
 * The kernel seam: every matrix product in qnmt goes through one of these functions.
 *
 * Conventions (ggml-style names spell out the operand types):
 * - Weights W are (n, k) row-major, exactly as PyTorch's nn.Linear stores them, and are packed once
 *   with `packF32` / `packS8` into a backend-specific layout. Products compute C = A · Wᵀ.
 * - A is (m, k) row-major, C is (m, n) row-major and is overwritten.
 * - Integer products accumulate exactly in int32 (u8 × s8 → s32); every backend must return
 *   bit-identical integers. Float products may differ between backends by summation order only.
 * - Calls are synchronous and should cover whole layers or decoder steps (large m), because native
 *   backends pay a fixed cost per call.
 */
export interface PackedF32 {
  readonly n: number;
  readonly k: number;
}

export interface PackedS8 {
  readonly n: number;
  readonly k: number;
}

export interface Kernels {
  /** Pack an (n, k) float32 weight matrix. The input array may be reused by the caller afterwards. */
  packF32(w: Float32Array, n: number, k: number): PackedF32;
  /** C(m, n) = A(m, k) · Wᵀ (+ bias(n) broadcast over rows, when given). */
  gemmF32(a: Float32Array, m: number, w: PackedF32, c: Float32Array, bias?: Float32Array): void;
  /** Pack an (n, k) int8 weight matrix (values in [-128, 127]). */
  packS8(w: Int8Array, n: number, k: number): PackedS8;
  /**
   * C(m, n) = A(m, k) · Wᵀ with A unsigned 8-bit and W signed 8-bit, accumulated exactly in int32.
   * Zero points are the caller's business (see src/quant): this is the raw integer product.
   */
  gemmU8S8S32(a: Uint8Array, m: number, w: PackedS8, c: Int32Array): void;
}

/** A backend: a name, a one-time async initialisation that throws when unavailable, and its kernels. */
export interface Backend {
  readonly name: string;
  init(options: { threads: number }): Promise<Kernels>;
}
