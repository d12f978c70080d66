/**
 * Quantized Matmul (spec §6.5; R `RangeLinearQuantMatmulWrapper`), as GNMT uses it:
 * (…, K)·(K) → (…) (`matmul_score`).
 *
 * s_a = fround(s_0·s_1); A = (Q(x_0) + z_0) ⊗ (Q(x_1) + z_1) clamped to the accumulator range;
 * q_out = clamp(round(fround(fround(r·A) − z_y)), lo, hi) with r = fround(s_y / s_a).
 *
 * Execution: the vector is a one-row s8 weight of the `gemmU8S8S32` kernel, with the same
 * zero-point decomposition as QuantLinear. `forward`: the activation goes through `quantizeU8`; the
 * vector's integers X1 = Q(x_1) + z_1 are split into s8 rows that sum to X1 (one row when X1 fits s8,
 * else two or three), packed once and reused while the vector's integers stay the same (GNMT passes
 * the same scaled attention vector at every step); then A = Σ_rows u·rowᵀ + cX·Σ_p X1[p] and one
 * `requantizeF32` call, which also dequantizes.
 */
import { Tensor } from '../../tensor/tensor.js';
import { kernels } from '../../tensor/backend.js';
import type { Matmul } from '../../model/ops.js';
import { clamp, quantize, requantize, type IntRange } from '../qtypes.js';
import type { QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, productParams, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { S8Operand, gemmWithZeroPoints } from './int-ops.js';
import { ByteQuantizer, growI32, growU8, isF32 } from './fast-ops.js';

/** The packed split of the vector's integers X1 into s8 rows. */
interface VectorOperand {
  readonly x1: Int32Array;
  readonly sum: number;
  readonly rows: number;
  readonly operand: S8Operand;
}

export class QuantMatmul extends QuantWrapper<Matmul> {
  readonly type = 'Matmul' as const;
  readonly inputParams: readonly [QParams, QParams];
  readonly outputParams: QParams;
  readonly accumScale: number;
  readonly requantScale: number;
  private readonly actRange: IntRange;
  private readonly accRange: IntRange;
  private readonly quantizer: ByteQuantizer;
  private readonly canFast: boolean;
  private readonly factor: Float32Array;
  private vector?: VectorOperand;
  private u: Uint8Array = new Uint8Array(0);
  private acc: Int32Array = new Int32Array(0);
  private accRows: Int32Array = new Int32Array(0);

  constructor(wrapped: Matmul, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    if (stats.inputs.length !== 2) throw new RangeError(`Matmul ${moduleName}: statistics have ${stats.inputs.length} inputs, expected 2`);
    const pp = productParams(moduleName, settings, stats);
    this.inputParams = pp.inputParams as [QParams, QParams];
    this.outputParams = pp.outputParams;
    this.accumScale = pp.accumScale;
    this.requantScale = pp.requantScale;
    this.actRange = pp.actRange;
    this.accRange = pp.accRange;
    this.quantizer = new ByteQuantizer(this.inputParams[0], this.actRange);
    this.factor = Float32Array.of(this.requantScale);
    this.canFast = isF32(this.requantScale) && isF32(this.outputParams.scale) && isF32(this.outputParams.zeroPoint);
  }

  /** X1 = Q(x_1) + z_1 and its s8 split, reused when unchanged. */
  private vectorOperand(b: Float32Array): VectorOperand {
    const k = b.length;
    const { lo, hi } = this.actRange;
    const p1 = this.inputParams[1];
    const x1 = new Int32Array(k);
    for (let p = 0; p < k; p++) x1[p] = quantize(b[p]!, p1.scale, p1.zeroPoint, lo, hi) + p1.zeroPoint;
    const prev = this.vector;
    if (prev && prev.x1.length === k && prev.x1.every((v, p) => v === x1[p])) return prev;
    const parts: Int8Array[] = [];
    const rest = Float64Array.from(x1);
    let sum = 0;
    for (let p = 0; p < k; p++) sum += x1[p]!;
    while (parts.length === 0 || rest.some((v) => v !== 0)) {
      const row = new Int8Array(k);
      for (let p = 0; p < k; p++) {
        const v = rest[p]! < -128 ? -128 : rest[p]! > 127 ? 127 : rest[p]!;
        row[p] = v;
        rest[p]! -= v;
      }
      parts.push(row);
    }
    const v = new Int8Array(parts.length * k);
    parts.forEach((row, r) => v.set(row, r * k));
    this.vector = { x1, sum, rows: parts.length, operand: new S8Operand(v, parts.length, k, new Float64Array(parts.length)) };
    return this.vector;
  }

  /**
   * The accumulators before requantization: acc[i] (+ add when not null) is A[i], and when `add` is
   * null acc already holds A clamped to the accumulator range.
   */
  private accumulate(a: Tensor, b: Tensor): { acc: Int32Array; add: Int32Array | null; m: number } {
    const k = b.numel;
    const m = a.rows;
    this.u = growU8(this.u, m * k);
    const u = this.u.subarray(0, m * k);
    this.quantizer.run(a.data, m * k, u);
    return this.accumulateBytes(u, m, b.data);
  }

  /** `accumulate` for an activation already quantized to bytes u = Q(x_0) − lo, (m, k) row-major. */
  private accumulateBytes(u: Uint8Array, m: number, b: Float32Array): { acc: Int32Array; add: Int32Array | null; m: number } {
    const vec = this.vectorOperand(b);
    const nr = vec.rows;
    this.accRows = growI32(this.accRows, m * nr);
    const g = this.accRows.subarray(0, m * nr);
    const { k: kern, packed } = vec.operand.handle();
    if (m > 0) kern.gemmU8S8S32(u, m, packed, g);
    const base = (this.actRange.lo + this.inputParams[0].zeroPoint) * vec.sum;
    const { lo: alo, hi: ahi } = this.accRange;
    if (nr === 1 && alo === -2147483648 && ahi === 2147483647 && base >= alo && base <= ahi) {
      return { acc: g, add: Int32Array.of(base), m };
    }
    this.acc = growI32(this.acc, m);
    const acc = this.acc.subarray(0, m);
    for (let i = 0; i < m; i++) {
      let s = base;
      for (let r = 0; r < nr; r++) s += g[i * nr + r]!;
      acc[i] = s < alo ? alo : s > ahi ? ahi : s;
    }
    return { acc, add: null, m };
  }

  private checkShapes(a: Tensor, b: Tensor): void {
    if (b.shape.length !== 1 || a.lastDim !== b.numel) {
      throw new RangeError(`matmul: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] are not (…, K)·(K)`);
    }
  }

  /** Whether the u8·s8 products stay exact in int32 (k·255·128 < 2^31). */
  private exactGemm(k: number): boolean {
    return k * 255 * 128 <= 2147483647;
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, 2);
    const [a, b] = inputs as [Tensor, Tensor];
    this.checkShapes(a, b);
    if (!this.exactGemm(b.numel)) return this.forwardQGeneral(a, b);
    const { acc, add, m } = this.accumulate(a, b);
    const { lo, hi } = this.actRange;
    const { lo: alo, hi: ahi } = this.accRange;
    const zy = this.outputParams.zeroPoint;
    const c = add ? add[0]! : 0;
    const out = new Int32Array(m);
    for (let i = 0; i < m; i++) out[i] = requantize(clamp(acc[i]! + c, alo, ahi), this.requantScale, zy, lo, hi);
    return { data: out, shape: a.shape.slice(0, -1) };
  }

  override forward(...inputs: Tensor[]): Tensor {
    this.checkInputCount(inputs, 2);
    const [a, b] = inputs as [Tensor, Tensor];
    this.checkShapes(a, b);
    if (!this.canFast || !this.exactGemm(b.numel)) return super.forward(...inputs);
    const { acc, add, m } = this.accumulate(a, b);
    const { lo, hi } = this.actRange;
    const out = new Float32Array(m);
    kernels().requantizeF32(acc, m, 1, add, null, null, this.factor, this.outputParams.zeroPoint, lo, hi, this.outputParams.scale, out);
    return new Tensor(out, a.shape.slice(0, -1));
  }

  /**
   * D(q_out) for an activation given as bytes u = Q(x_0) − lo (m rows of b.length), as `forward`
   * would compute for the float activation those bytes came from; null when the fast path does not
   * apply (then the caller runs the op). Used by fused callers (quant-attention.ts).
   */
  forwardBytes(u: Uint8Array, m: number, b: Float32Array): Float32Array | null {
    if (!this.canFast || !this.exactGemm(b.length)) return null;
    const { acc, add } = this.accumulateBytes(u, m, b);
    const { lo, hi } = this.actRange;
    const out = new Float32Array(m);
    kernels().requantizeF32(acc, m, 1, add, null, null, this.factor, this.outputParams.zeroPoint, lo, hi, this.outputParams.scale, out);
    return out;
  }

  /** The zero-point decomposition through `gemmWithZeroPoints` (any k). */
  private forwardQGeneral(a: Tensor, b: Tensor): QTensor {
    const k = b.numel;
    const { lo, hi } = this.actRange;
    const [p0, p1] = this.inputParams;
    const m = a.rows;
    const u = new Uint8Array(m * k);
    this.quantizer.run(a.data, m * k, u);
    const v = new Int8Array(k);
    for (let p = 0; p < k; p++) v[p] = quantize(b.data[p]!, p1.scale, p1.zeroPoint, lo, hi) - lo - 128;
    const operand = new S8Operand(v, 1, k, Float64Array.of(lo + 128 + p1.zeroPoint));
    const out = new Int32Array(m);
    const acc = this.accRange;
    const zy = this.outputParams.zeroPoint;
    gemmWithZeroPoints(u, m, lo + p0.zeroPoint, operand, (i, _j, x) => {
      out[i] = requantize(clamp(x, acc.lo, acc.hi), this.requantScale, zy, lo, hi);
    });
    return { data: out, shape: a.shape.slice(0, -1) };
  }

  describe(): WrapperDescription {
    return {
      ...this.describeActivations(this.inputParams),
      accum_scale: this.accumScale,
      output_requant_scale: this.requantScale,
    };
  }
}
