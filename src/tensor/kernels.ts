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
import type { StatsKernels } from './stats-kernels.js';

export interface PackedF32 {
  readonly n: number;
  readonly k: number;
}

export interface PackedS8 {
  readonly n: number;
  readonly k: number;
}

export interface Kernels extends StatsKernels {
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

  // Elementwise kernels. Optional for a backend: `kernels()` (backend.ts) fills in the js reference
  // version of any a backend leaves out, so callers of `kernels()` can always use them.

  /**
   * One LSTM cell step for m rows (gnmt-model.md §3.1, gate order i, f, g, o):
   * z = gatesX + gatesH (each (m, 4·hidden); gatesH may be null when gatesX already holds the sum);
   * c = sigmoid(z_f)·cPrev + sigmoid(z_i)·tanh(z_g) (cPrev null = zeros); h = sigmoid(z_o)·tanh(c).
   * Writes hOut and cOut (m, hidden). cOut may be the same array as cPrev (in place). Float32
   * tolerance: native versions use polynomial exp with absolute errors around 1e-7.
   */
  lstmCellF32?(
    m: number,
    hidden: number,
    gatesX: Float32Array,
    gatesH: Float32Array | null,
    cPrev: Float32Array | null,
    hOut: Float32Array,
    cOut: Float32Array,
  ): void;
  /**
   * Quantize count values to bytes, bit-exactly as quantization.md §2.1 prescribes:
   * out[i] = clamp(roundHalfEven(f32(f32(scale·x[i]) − zeroPoint)), lo, hi) + offset.
   * scale and zeroPoint are rounded to float32 first; lo, hi, offset are integers with
   * 0 ≤ lo + offset and hi + offset ≤ 255 (unsigned: lo 0, hi 255, offset 0; signed 8-bit values
   * shifted into u8 for gemmU8S8S32: lo −128, hi 127, offset 128). NaN inputs give unspecified bytes.
   */
  quantizeU8?(
    x: Float32Array,
    count: number,
    scale: number,
    zeroPoint: number,
    lo: number,
    hi: number,
    offset: number,
    out: Uint8Array,
  ): void;
  /**
   * Requantize int32 accumulators (m, n) and dequantize them, bit-exactly (quantization.md §6.2):
   * A = clamp_int32(acc[i,j] + add[j] + rowTerm[i]·colMul[j]) (exact integer arithmetic; add: a
   * per-column correction such as bias and zero-point terms, or null; rowTerm/colMul: a rank-one
   * correction such as activation row sums times per-row weight zero points, both or neither null);
   * q = clamp(roundHalfEven(f32(f32(factor[j]·f32(A)) − zOut)), lo, hi); out[i,j] = f32(f32(q + zOut) / sOut).
   * factor has length n (per output channel) or 1; zOut and sOut are rounded to float32; lo, hi are
   * integers within ±2^22.
   */
  requantizeF32?(
    acc: Int32Array,
    m: number,
    n: number,
    add: Int32Array | null,
    rowTerm: Int32Array | null,
    colMul: Int32Array | null,
    factor: Float32Array,
    zOut: number,
    lo: number,
    hi: number,
    sOut: number,
    out: Float32Array,
  ): void;
  /**
   * Fused normalized Bahdanau attention for one decoder step (gnmt-model.md §3.3), rows independent.
   * Row r attends to sentence s = rowSentence[r] with n = lengths[s] valid positions (0 ≤ n ≤ T):
   * e[j] = f32(Σ_h f32(tanh(f32(f32(query[r,h] + keys[s,j,h]) + bias[h]))) · att[h]) for j < n
   * (products and sum in float64); softmax over the T positions with positions j ≥ n scored −65504
   * (the float16 minimum: they only matter for the max, their exp underflows to 0):
   * probs[r,j] = f32(f32(exp(e[j] − max)) / Σ exp(e[j] − max)) (exp and sum in float64), 0 for j ≥ n;
   * out[r,:] = Σ_{j<n, probs≠0} probs[r,j]·context[s,j,:], accumulated in j order, each step
   * f32(out + p·c) with p·c exact in float64. S = lengths.length; query (rows, units), keys (S, T,
   * units), bias and att (units), context (S, T, hidden); probs (rows, T) and out (rows, hidden) are
   * overwritten. Native versions use a float32 polynomial tanh (≈ 1 ulp).
   */
  attentionF32?(
    rows: number,
    T: number,
    units: number,
    hidden: number,
    query: Float32Array,
    keys: Float32Array,
    bias: Float32Array,
    att: Float32Array,
    context: Float32Array,
    lengths: Int32Array,
    rowSentence: Int32Array,
    probs: Float32Array,
    out: Float32Array,
  ): void;
  /**
   * log_softmax over each row of (rows, vocab) logits followed by top-k (GNMT `generate`): ids and
   * logprobs (rows, k), best first. Top-k is selected on the logits (ties → lower id); then
   * lse = f32(log Σ exp(x − max)) (exp and sum in float64) and lp = f32(f32(x − max) − lse) for the k
   * winners, which are reordered so that equal float32 log-probabilities keep the lower id first.
   * Needs 1 ≤ k ≤ vocab.
   */
  logSoftmaxTopKF32?(
    logits: Float32Array,
    rows: number,
    vocab: number,
    k: number,
    ids: Int32Array,
    logprobs: Float32Array,
  ): void;
  /**
   * Gather from a 256×256 table indexed by two byte streams (the quantized element-wise ops' result
   * table): out[i] = table[(u0[i % p0] << 8) | u1[i % p1]] for 0 ≤ i < count (p0, p1 ≥ 1; equal
   * shapes: p0 = p1 = count; a broadcast suffix such as a bias vector: p1 = its length). No
   * arithmetic, so every backend is bit-identical. table has 65536 entries.
   */
  pairLookupF32?(
    u0: Uint8Array,
    p0: number,
    u1: Uint8Array,
    p1: number,
    count: number,
    table: Float32Array,
    out: Float32Array,
  ): void;
  /**
   * The quantized attention score chain's activation bytes (src/quant/wrappers/quant-attention.ts):
   * for each row r < R of sentence s = rowSentence[r] and each position j < min(lengths[s], T)
   * (j < T when lengths is null), for h < U:
   * ut[(r·T + j)·U + h] = chain[(ub[h] << 8) | codes[(uq[r·U + h] << 8) | uk[(s·T + j)·U + h]]].
   * Bytes of positions j ≥ min(lengths[s], T) are left untouched. uq (R, U), uk (S, T, U) with
   * 0 ≤ s < S = ⌊uk.length / (T·U)⌋ (else RangeError), ub (U), codes and chain 65536 entries, ut (R, T, U).
   * No arithmetic, so every backend is bit-identical.
   */
  attentionScoresU8?(
    R: number,
    T: number,
    U: number,
    uq: Uint8Array,
    uk: Uint8Array,
    rowSentence: Int32Array,
    lengths: Int32Array | null,
    ub: Uint8Array,
    codes: Uint8Array,
    chain: Uint8Array,
    ut: Uint8Array,
  ): void;
  /**
   * The quantized LSTM cell tail over bytes (src/quant/wrappers/quant-lstm-tail.ts) for n rows of H
   * units, gate order i, f, g, o: with G = 4·H, g = r·G + j and e = r·H + j (j < H),
   * z_k = gateCodes[(ux[g + k·H] << 8) | uh[g + k·H]] for k = 0..3 (i, f, g, o),
   * cc = cellCodes[(forgetCodes[(z_f << 8) | uc[e]] << 8) | inputCodes[(z_i << 8) | z_g]],
   * cOut[e] = cValues[cc], hOut[e] = hValues[(z_o << 8) | cc].
   * ux, uh (n, G), uc (n, H) bytes; the four tables have 65536 entries (cValues 256); hOut, cOut
   * (n, H). No arithmetic, so every backend is bit-identical.
   */
  lstmTailU8?(
    n: number,
    H: number,
    ux: Uint8Array,
    uh: Uint8Array,
    uc: Uint8Array,
    gateCodes: Uint8Array,
    forgetCodes: Uint8Array,
    inputCodes: Uint8Array,
    cellCodes: Uint8Array,
    cValues: Float32Array,
    hValues: Float32Array,
    hOut: Float32Array,
    cOut: Float32Array,
  ): void;
}

/** Kernels with every optional member present: what `kernels()` returns. */
export type AllKernels = Required<Kernels>;

/** A backend: a name, a one-time async initialisation that throws when unavailable, and its kernels. */
export interface Backend {
  readonly name: string;
  init(options: { threads: number }): Promise<Kernels>;
  /** After a successful init: what variant runs, for the log line (e.g. 'relaxed SIMD'). */
  describe?(): string | undefined;
}
