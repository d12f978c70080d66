/**
 * Scale and zero point from a saturation range (spec §2.2), per-channel weight parameters (§2.3),
 * int32 bias (§6.2) and the scale approximation of `scale_approx_mult_bits` (§2.4).
 *
 * All inputs are converted to float32 first (the original builds float32 tensors from the YAML
 * numbers), and the evaluation order is the original's: `n / a` is `fround(fround(1/a)·n)`.
 */
import { type QuantMode, accumRange, clamp, quantize, roundHalfEven, scalarDivF32 } from './qtypes.js';

/**
 * Quantization parameters of one tensor (or one channel). `satMin`/`satMax` are the range the
 * parameters represent: ±a for SYMMETRIC, (min(m, 0), max(M, 0)) for the asymmetric modes.
 */
export interface QParams {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly satMin: number;
  readonly satMax: number;
}

/**
 * SYMMETRIC (spec §2.2): a = max(|m|, |M|); n = 2^(b−1) − 1; a := n if a == 0;
 * s = fround(fround(1/a)·n); z = 0.
 */
export function symmetricParams(m: number, M: number, bits: number): QParams {
  let a = Math.max(Math.abs(Math.fround(m)), Math.abs(Math.fround(M)));
  const n = 2 ** (bits - 1) - 1;
  const sat = a;
  if (a === 0) a = n;
  return { scale: scalarDivF32(n, a), zeroPoint: 0, satMin: -sat, satMax: sat };
}

/**
 * ASYMMETRIC_UNSIGNED / ASYMMETRIC_SIGNED (spec §2.2): m' = min(m, 0), M' = max(M, 0);
 * n = 2^b − 1; d = fround(M' − m'), d := n if d == 0; s = fround(fround(1/d)·n);
 * z = round(fround(s·m')), plus 2^(b−1) when signed.
 */
export function asymmetricParams(m: number, M: number, bits: number, signed: boolean): QParams {
  // Distiller raises on max < min (checked before zero is added to the range).
  if (Math.fround(M) < Math.fround(m)) throw new RangeError(`asymmetric range: max ${M} is below min ${m}`);
  const lo = Math.min(Math.fround(m), 0);
  const hi = Math.max(Math.fround(M), 0);
  const n = 2 ** bits - 1;
  let d = Math.fround(hi - lo);
  if (d === 0) d = n;
  const scale = scalarDivF32(n, d);
  let zeroPoint = roundHalfEven(Math.fround(scale * lo));
  if (signed) zeroPoint = Math.fround(zeroPoint + 2 ** (bits - 1));
  return { scale, zeroPoint, satMin: lo, satMax: hi };
}

/** Parameters of `mode` for the saturation range (m, M). */
export function paramsFromRange(mode: QuantMode, m: number, M: number, bits: number): QParams {
  if (Number.isNaN(m) || Number.isNaN(M)) throw new RangeError(`saturation range is NaN (${m}, ${M})`);
  return mode === 'SYMMETRIC' ? symmetricParams(m, M, bits) : asymmetricParams(m, M, bits, mode === 'ASYMMETRIC_SIGNED');
}

/**
 * Weight parameters (spec §2.3, §4: weights are never clipped): the tensor's own min/max, or one
 * (s, z) per output row of an (out, in) matrix when `perChannel`.
 */
export function weightParams(w: Float32Array, rows: number, cols: number, mode: QuantMode, bits: number, perChannel: boolean): QParams[] {
  if (w.length !== rows * cols) throw new RangeError(`weight: ${w.length} values do not form a (${rows}, ${cols}) matrix`);
  const span = (from: number, to: number): [number, number] => {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = from; i < to; i++) {
      const v = w[i]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    return [mn, mx];
  };
  if (!perChannel) {
    const [mn, mx] = span(0, w.length);
    return [paramsFromRange(mode, mn, mx, bits)];
  }
  const out: QParams[] = [];
  for (let r = 0; r < rows; r++) {
    const [mn, mx] = span(r * cols, (r + 1) * cols);
    out.push(paramsFromRange(mode, mn, mx, bits));
  }
  return out;
}

/**
 * Integer bias (spec §6.2): Bq = clamp(round(fround(s_a·b)), accumulator range), zero point 0, with
 * s_a per output channel when per-channel.
 */
export function quantizeBias(bias: Float32Array, accumScale: Float32Array, accumBits: number): Int32Array {
  const { lo, hi } = accumRange(accumBits);
  const out = new Int32Array(bias.length);
  for (let j = 0; j < bias.length; j++) {
    const s = accumScale.length === 1 ? accumScale[0]! : accumScale[j]!;
    out[j] = clamp(roundHalfEven(Math.fround(s * bias[j]!)), lo, hi);
  }
  return out;
}

/** Quantize a whole float array with per-row parameters (rows of `cols` values). */
export function quantizeRows(x: Float32Array, cols: number, params: readonly QParams[], lo: number, hi: number, out: Int32Array): void {
  for (let i = 0; i < x.length; i++) {
    const p = params.length === 1 ? params[0]! : params[Math.floor(i / cols)]!;
    out[i] = quantize(x[i]!, p.scale, p.zeroPoint, lo, hi);
  }
}

/**
 * Scale approximation (spec §2.4, Distiller `approx_scale_as_mult_and_shift`): S ≈ A / 2^k with
 * k = floor(log2(fround((2^m − 1) / S))) and A = floor(S · 2^k), in float32 like the original.
 * `multBits` null leaves S unchanged.
 */
export function approxScale(scale: number, multBits: number | null): number {
  if (multBits === null) return scale;
  const k = Math.floor(Math.fround(Math.log2(scalarDivF32(2 ** multBits - 1, scale))));
  const a = Math.floor(Math.fround(scale * 2 ** k));
  return Math.fround(a / 2 ** k);
}
