/**
 * Quantization formats and formulas of Distiller's range-linear post-training quantization, defined
 * once (spec/quantization.md, version R = Distiller 2c7c4560, Aug 2019). Every other file in
 * src/quant uses these; nothing re-derives a range or a rounding rule.
 *
 * Conventions (spec §2.1):
 * - Scales, zero points and simulated integers are float32 values: every arithmetic step is followed
 *   by `Math.fround`, exactly where PyTorch would store a float32 tensor.
 * - Distiller's zero-point sign convention: z is *subtracted* when quantizing and *added* when
 *   dequantizing.
 * - Rounding is round-half-to-even (`torch.round`), not `Math.round` (half up).
 */

/** Linear quantization modes of Distiller R (`LinearQuantMode`). */
export type QuantMode = 'SYMMETRIC' | 'ASYMMETRIC_UNSIGNED' | 'ASYMMETRIC_SIGNED';
export const QUANT_MODES: readonly QuantMode[] = ['SYMMETRIC', 'ASYMMETRIC_UNSIGNED', 'ASYMMETRIC_SIGNED'];

/**
 * Activation clipping modes (`ClipMode`). NONE/AVG/N_STD exist in R; GAUSS/LAPLACE are the ACIQ
 * modes of Distiller HEAD (spec §12.3), offered as an extension.
 */
export type ClipMode = 'NONE' | 'AVG' | 'N_STD' | 'GAUSS' | 'LAPLACE';
export const CLIP_MODES: readonly ClipMode[] = ['NONE', 'AVG', 'N_STD', 'GAUSS', 'LAPLACE'];

/** The quantized module types of R's replacement table (spec §5.2). */
export type WrapperType = 'Linear' | 'Embedding' | 'EltwiseAdd' | 'EltwiseMult' | 'Matmul' | 'BatchMatmul' | 'Concat';
export const WRAPPER_TYPES: readonly WrapperType[] = [
  'Linear', 'Embedding', 'EltwiseAdd', 'EltwiseMult', 'Matmul', 'BatchMatmul', 'Concat',
];

/** Bit widths accepted for activations and weights: the integer kernels hold them in u8/s8. */
export const MIN_BITS = 2;
export const MAX_BITS = 8;
/** Accumulator widths: values live in Int32Array. */
export const MIN_ACCUM_BITS = 16;
export const MAX_ACCUM_BITS = 32;

/** An inclusive integer range [lo, hi]. */
export interface IntRange {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Integer range of a b-bit quantized value (spec §2.1):
 * - signed modes (SYMMETRIC, ASYMMETRIC_SIGNED): [−2^(b−1), 2^(b−1) − 1], 8 bits → [−128, 127];
 * - ASYMMETRIC_UNSIGNED: [0, 2^b − 1], 8 bits → [0, 255].
 */
export function intRange(mode: QuantMode, bits: number): IntRange {
  checkBits(bits, MIN_BITS, MAX_BITS, 'bits');
  return mode === 'ASYMMETRIC_UNSIGNED' ? { lo: 0, hi: 2 ** bits - 1 } : { lo: -(2 ** (bits - 1)), hi: 2 ** (bits - 1) - 1 };
}

/** Accumulator range: always signed, `bits_accum` bits (32 → [−2^31, 2^31 − 1]). */
export function accumRange(bits: number): IntRange {
  checkBits(bits, MIN_ACCUM_BITS, MAX_ACCUM_BITS, 'bits_accum');
  return { lo: -(2 ** (bits - 1)), hi: 2 ** (bits - 1) - 1 };
}

/**
 * Round half to even, like `torch.round`: −127.5 → −128, 2.5 → 2, −2.5 → −2, 0.5 → 0.
 * Exact for every double (ties only exist below 2^52). NaN stays NaN.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** clamp(v, lo, hi). */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Quantize one value (spec §2.1):
 *
 *     Q(x; s, z, lo, hi) = clamp(round(fround(fround(s·x) − z)), lo, hi)
 *
 * s·x and (… − z) are each rounded to float32 (two float32 tensor operations in PyTorch), then
 * rounded half-to-even. Note the result is not always round(s·x) − z: ties depend on z's parity.
 */
export function quantize(x: number, s: number, z: number, lo: number, hi: number): number {
  return clamp(roundHalfEven(Math.fround(Math.fround(s * x) - z)), lo, hi);
}

/**
 * Dequantize one value (spec §2.1):
 *
 *     D(q; s, z) = fround(fround(q + z) / s)
 */
export function dequantize(q: number, s: number, z: number): number {
  return Math.fround(Math.fround(q + z) / s);
}

/**
 * Requantize an accumulator with a float32 factor r (spec §6.1 step 3):
 *
 *     q_out = clamp(round(fround(fround(r · fround(A)) − z)), lo, hi)
 *
 * A is an exact integer here; the original holds it in a float32 tensor, hence fround(A) (the
 * same value whenever |A| ≤ 2^24, which covers every realistic accumulator of GNMT but not all).
 */
export function requantize(acc: number, r: number, z: number, lo: number, hi: number): number {
  return clamp(roundHalfEven(Math.fround(Math.fround(r * Math.fround(acc)) - z)), lo, hi);
}

/**
 * Python-number-divided-by-float32-tensor, as PyTorch evaluates `n / t` (spec §2.2):
 * reciprocal then multiply, two float32 roundings: fround(fround(1/t)·n).
 */
export function scalarDivF32(n: number, t: number): number {
  return Math.fround(Math.fround(1 / t) * n);
}

function checkBits(bits: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(bits) || bits < min || bits > max) {
    throw new RangeError(`${what} must be an integer in [${min}, ${max}], got ${bits}`);
  }
}

// Invariant checks next to the definitions (ggml's static_assert): the formulas above must keep the
// properties the integer kernels rely on. These run once at module load and cost nothing.
function invariant(cond: boolean, what: string): void {
  if (!cond) throw new Error(`qtypes invariant violated: ${what}`);
}
invariant(roundHalfEven(-127.5) === -128 && roundHalfEven(2.5) === 2 && roundHalfEven(-2.5) === -2, 'half-to-even ties');
invariant(roundHalfEven(0.5) === 0 && roundHalfEven(1.5) === 2 && roundHalfEven(-0.5) === 0, 'half-to-even near 0');
invariant(intRange('SYMMETRIC', 8).lo === -128 && intRange('SYMMETRIC', 8).hi === 127, 'signed 8-bit range');
invariant(intRange('ASYMMETRIC_UNSIGNED', 8).hi - intRange('ASYMMETRIC_UNSIGNED', 8).lo === 255, 'unsigned 8-bit range');
invariant(accumRange(32).lo === -2147483648 && accumRange(32).hi === 2147483647, 'int32 accumulator');
// Every 8-bit range shifted by −lo fits u8 (activations) and by −lo−128 fits s8 (weights).
for (const m of QUANT_MODES) {
  const r = intRange(m, 8);
  invariant(r.hi - r.lo === 255 && r.lo - r.lo - 128 === -128, `u8/s8 offsets for ${m}`);
}
// Spec §10: the asymmetric gate range [−6, 6] has scale 255/12 = 21.25 and zero point 0.
invariant(scalarDivF32(255, 12) === 21.25 && roundHalfEven(Math.fround(21.25 * -6)) + 128 === 0, 'spec §10 example');
