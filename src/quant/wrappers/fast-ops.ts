/**
 * Building blocks of the wrappers' fast paths. They compute exactly the integers of the spec
 * formulas (qtypes.ts), only in fewer passes:
 *
 * - `ByteQuantizer`: Q(x) − lo into bytes through the native `quantizeU8` kernel (bit-exact by the
 *   kernel contract) when the parameters are float32 values, else the scalar formula.
 * - Lookup tables: with at most 8 bits an input integer takes at most 256 values, so every
 *   element-wise wrapper with one or two inputs is a function of one or two bytes. The tables are
 *   filled once by evaluating the scalar formulas on every possible input, so a table lookup gives
 *   the same integer (and the same dequantized float32) as the per-element formula.
 * - `pairLookup`: the broadcasting walk of two byte operands through a 256×256 table.
 *
 * Scratch buffers are owned by each wrapper and reused between calls (no allocation per call except
 * the output tensor).
 */
import { kernels } from '../../tensor/backend.js';
import { broadcastShape, forEachBroadcast } from '../../tensor/ops.js';
import { numel } from '../../tensor/tensor.js';
import { dequantize, quantize, type IntRange } from '../qtypes.js';
import type { QParams } from '../qparams.js';

/** A byte buffer of at least n elements, reusing `buf` when it is large enough. */
export function growU8(buf: Uint8Array, n: number): Uint8Array {
  return buf.length >= n ? buf : new Uint8Array(Math.max(n, Math.ceil(buf.length * 1.5)));
}

export function growI32(buf: Int32Array, n: number): Int32Array {
  return buf.length >= n ? buf : new Int32Array(Math.max(n, Math.ceil(buf.length * 1.5)));
}

export function growF64(buf: Float64Array, n: number): Float64Array {
  return buf.length >= n ? buf : new Float64Array(Math.max(n, Math.ceil(buf.length * 1.5)));
}

/** True when v is a float32 value (the native kernels round their scalar parameters to float32). */
export function isF32(v: number): boolean {
  return Math.fround(v) === v;
}

/** Q(x; s, z, lo, hi) − lo of each element, as bytes (spec §2.1). */
export class ByteQuantizer {
  private readonly native: boolean;

  constructor(readonly params: QParams, readonly range: IntRange) {
    this.native = isF32(params.scale) && isF32(params.zeroPoint) && range.hi - range.lo <= 255;
  }

  run(x: Float32Array, count: number, out: Uint8Array): void {
    const { scale, zeroPoint } = this.params;
    const { lo, hi } = this.range;
    if (this.native) {
      kernels().quantizeU8(x, count, scale, zeroPoint, lo, hi, -lo, out);
      return;
    }
    for (let i = 0; i < count; i++) out[i] = quantize(x[i]!, scale, zeroPoint, lo, hi) - lo;
  }
}

/**
 * Output side shared by the wrappers: the requantized integer q (in [lo, hi]) as a float32 value
 * for the integer path (exact: |q| ≤ 2^22), or D(q; s_y, z_y) for the dequantized path.
 */
export function outputValues(p: QParams, r: IntRange, dequantized: boolean): Float32Array {
  const t = new Float32Array(r.hi - r.lo + 1);
  for (let q = r.lo; q <= r.hi; q++) t[q - r.lo] = dequantized ? dequantize(q, p.scale, p.zeroPoint) : q;
  return t;
}

/**
 * 256×256 table of an element-wise function of two quantized inputs: entry (u0 << 8) | u1 is the
 * output for the integers q0 = u0 + lo, q1 = u1 + lo. `f` returns the output integer;
 * `values` maps it to the stored float32 (index q − lo).
 */
export function pairTable(r: IntRange, f: (q0: number, q1: number) => number, values: Float32Array): Float32Array {
  const t = new Float32Array(65536);
  for (let q0 = r.lo; q0 <= r.hi; q0++) {
    for (let q1 = r.lo; q1 <= r.hi; q1++) t[((q0 - r.lo) << 8) | (q1 - r.lo)] = values[f(q0, q1) - r.lo]!;
  }
  return t;
}

/** 256-entry table of a function of one quantized input (index q − lo). */
export function singleTable(r: IntRange, f: (q: number) => number, values: Float32Array): Float32Array {
  const t = new Float32Array(256);
  for (let q = r.lo; q <= r.hi; q++) t[q - r.lo] = values[f(q) - r.lo]!;
  return t;
}

/** True if `shape` equals the trailing dimensions of `outShape` once its leading 1s are dropped. */
function isSuffix(shape: readonly number[], outShape: readonly number[]): boolean {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  const rest = shape.length - i;
  if (rest > outShape.length) return false;
  for (let j = 0; j < rest; j++) if (shape[i + j] !== outShape[outShape.length - rest + j]) return false;
  return true;
}

/**
 * out[i] = table[(u0[i0] << 8) | u1[i1]] over the broadcast shape of s0 and s1 (NumPy rules; throws
 * the FP32 op's RangeError when they do not broadcast).
 */
export function pairLookup(
  u0: Uint8Array, s0: readonly number[], u1: Uint8Array, s1: readonly number[], table: Float32Array, out: Float32Array,
): void {
  const shape = broadcastShape(s0, s1);
  const n = numel(shape);
  const n0 = numel(s0);
  const n1 = numel(s1);
  if (n === 0) return;
  // Equal shapes and suffix broadcasts (a bias vector, a scaler) are periodic gathers: one kernel call.
  if (n0 === n && n1 === n) return kernels().pairLookupF32(u0, n, u1, n, n, table, out);
  if (n0 === n && n1 > 0 && isSuffix(s1, shape)) return kernels().pairLookupF32(u0, n, u1, n1, n, table, out);
  if (n1 === n && n0 > 0 && isSuffix(s0, shape)) return kernels().pairLookupF32(u0, n0, u1, n, n, table, out);
  forEachBroadcast(s0, s1, shape, (i, i0, i1) => {
    out[i] = table[(u0[i0]! << 8) | u1[i1]!]!;
  });
}

/** Float32 values holding integers → Int32Array (the integer path's output). */
export function toInt32(v: Float32Array): Int32Array {
  return Int32Array.from(v);
}

/**
 * An element-wise wrapper with two inputs as one table lookup per element: quantize both inputs to
 * bytes, then look up the output integer (`forwardQ`) or its dequantized value (`forward`).
 */
export class PairTableOp {
  readonly quantizers: readonly [ByteQuantizer, ByteQuantizer];
  private tables: [Float32Array | undefined, Float32Array | undefined] = [undefined, undefined];
  private u0: Uint8Array = new Uint8Array(0);
  private u1: Uint8Array = new Uint8Array(0);

  constructor(
    inputParams: readonly [QParams, QParams],
    private readonly range: IntRange,
    private readonly outputParams: QParams,
    /** Output integer for input integers q0, q1 (the spec formula). */
    private readonly f: (q0: number, q1: number) => number,
  ) {
    this.quantizers = [new ByteQuantizer(inputParams[0], range), new ByteQuantizer(inputParams[1], range)];
  }

  /** Output integer − lo for input bytes (u0 << 8) | u1. */
  codes(): Uint8Array {
    if (this.codeTable) return this.codeTable;
    const lo = this.range.lo;
    const t = this.table(false);
    // A plain loop: Uint8Array.from with a map function is ~50× slower (tables of every LSTM cell at load).
    const c = new Uint8Array(t.length);
    for (let i = 0; i < t.length; i++) c[i] = t[i]! - lo;
    return (this.codeTable = c);
  }

  private codeTable?: Uint8Array;

  /** Dequantized output for input bytes (u0 << 8) | u1 (the table `run` gathers from when dequantized). */
  values(): Float32Array {
    return this.table(true);
  }

  private table(dequantized: boolean): Float32Array {
    const i = dequantized ? 1 : 0;
    return (this.tables[i] ??= pairTable(this.range, this.f, outputValues(this.outputParams, this.range, dequantized)));
  }

  run(a: { data: Float32Array; shape: readonly number[] }, b: { data: Float32Array; shape: readonly number[] }, dequantized: boolean): { data: Float32Array; shape: number[] } {
    const shape = broadcastShape(a.shape, b.shape);
    const na = a.data.length;
    const nb = b.data.length;
    this.u0 = growU8(this.u0, na);
    this.u1 = growU8(this.u1, nb);
    this.quantizers[0].run(a.data, na, this.u0);
    this.quantizers[1].run(b.data, nb, this.u1);
    const out = new Float32Array(numel(shape));
    pairLookup(this.u0, a.shape, this.u1, b.shape, this.table(dequantized), out);
    return { data: out, shape };
  }
}
