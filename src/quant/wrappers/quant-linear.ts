/**
 * Quantized Linear (spec §6.2; R `RangeLinearQuantParamLayerWrapper`), executed in integers.
 *
 * Preparation: weight params (per tensor or per output row, never clipped), Wq = Q(W; s_w, z_w);
 * input (s_x, z_x) and output (s_y, z_y) from the stats; accumulator scale s_a = fround(s_x·s_w)
 * (per row when per-channel); Bq = clamp(round(fround(s_a·b)), int32); requantization factor
 * r = fround(s_y / s_a) (per row).
 *
 * Forward: X = Q(x; s_x, z_x) + z_x; A = X·(Wq + z_w)ᵀ + Bq clamped to the accumulator range;
 * q_out = clamp(round(fround(fround(r·A) − z_y)), lo, hi); y = D(q_out; s_y, z_y).
 *
 * Execution: X = u + cX with u = Q − lo in u8 and cX = lo + z_x; Wq + z_w = v + cW with
 * v = Wq − wlo − 128 in s8 and cW = wlo + 128 + z_w; the product u·vᵀ runs in the
 * `gemmU8S8S32` kernel (exact int32) and the zero-point terms are added exactly (int-ops.ts).
 * `forward` is three kernel calls: `quantizeU8` (u), `gemmU8S8S32` (u·vᵀ) and `requantizeF32` with
 * the per-column constant Bq[j] + cX·Σ_p v[j][p] + k·cX·cW[j] and the rank-one term rowSum(u)·cW
 * (int32 clamp = the accumulator clamp for 32-bit accumulators), which also dequantizes.
 */
import { Tensor } from '../../tensor/tensor.js';
import { kernels } from '../../tensor/backend.js';
import type { Linear } from '../../model/ops.js';
import { accumRange, clamp, intRange, quantize, requantize, type IntRange } from '../qtypes.js';
import { approxScale, quantizeBias, weightParams, type QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { S8Operand, gemmWithZeroPoints } from './int-ops.js';
import { ByteQuantizer, growI32, growU8, isF32 } from './fast-ops.js';

export class QuantLinear extends QuantWrapper<Linear> {
  readonly type = 'Linear' as const;
  readonly inputParams: QParams;
  readonly outputParams: QParams;
  /** One entry per tensor, or one per output row (per-channel). */
  readonly weightParams: readonly QParams[];
  /** Wq: the quantized weights (out, in), within the weight range. */
  readonly weightQ: Int32Array;
  /** s_a per output row (length 1 when per tensor). */
  readonly accumScale: Float32Array;
  /** Bq, or null when the layer has no bias. */
  readonly biasQ: Int32Array | null;
  /** r = fround(s_y / s_a) per output row (length 1 when per tensor). */
  readonly requantScale: Float32Array;
  private readonly actRange: IntRange;
  private readonly accRange: IntRange;
  private readonly operand: S8Operand;
  private readonly quantizer: ByteQuantizer;
  /** requantizeF32 operands of the fast path, or null when it does not apply (then forward = D(forwardQ)). */
  private readonly fast: { add: Int32Array; colMul: Int32Array | null } | null;
  private u: Uint8Array = new Uint8Array(0);
  private acc: Int32Array = new Int32Array(0);
  private rowSum: Int32Array = new Int32Array(0);

  constructor(wrapped: Linear, moduleName: string, settings: ModuleQuantSettings, stats: { input: StatsRecord; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    const { outFeatures: n, inFeatures: k } = wrapped;
    const wRange = intRange(settings.mode, settings.bitsWeights);
    this.actRange = intRange(settings.mode, settings.bitsActivations);
    this.accRange = accumRange(settings.bitsAccum);
    this.weightParams = weightParams(wrapped.weight.data, n, k, settings.mode, settings.bitsWeights, settings.perChannelWts);
    this.inputParams = activationParams(stats.input, settings, `${moduleName}.inputs.0`);
    this.outputParams = activationParams(stats.output, settings, `${moduleName}.output`);

    const w = wrapped.weight.data;
    this.weightQ = new Int32Array(n * k);
    const v = new Int8Array(n * k);
    const cW = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const p = this.weightParams.length === 1 ? this.weightParams[0]! : this.weightParams[j]!;
      cW[j] = wRange.lo + 128 + p.zeroPoint;
      for (let i = j * k; i < (j + 1) * k; i++) {
        const q = quantize(w[i]!, p.scale, p.zeroPoint, wRange.lo, wRange.hi);
        this.weightQ[i] = q;
        v[i] = q - wRange.lo - 128;
      }
    }
    this.operand = new S8Operand(v, n, k, cW);

    const sx = this.inputParams.scale;
    this.accumScale = Float32Array.from(this.weightParams, (p) => Math.fround(sx * p.scale));
    this.biasQ = wrapped.bias ? quantizeBias(wrapped.bias.data, this.accumScale, settings.bitsAccum) : null;
    const sy = this.outputParams.scale;
    this.requantScale = Float32Array.from(this.accumScale, (sa) => approxScale(Math.fround(sy / sa), settings.scaleApproxMultBits));
    this.quantizer = new ByteQuantizer(this.inputParams, this.actRange);
    this.fast = this.fastOperands();
  }

  private fastOperands(): { add: Int32Array; colMul: Int32Array | null } | null {
    const { outFeatures: n, inFeatures: k } = this.wrapped;
    const { zeroPoint: zy, scale: sy } = this.outputParams;
    if (this.accRange.lo !== -2147483648 || this.accRange.hi !== 2147483647 || !isF32(zy) || !isF32(sy)) return null;
    // The gemm's int32 result must be exact: |u·v| ≤ k·255·128.
    if (k * 255 * 128 > 2147483647) return null;
    const cX = this.actRange.lo + this.inputParams.zeroPoint;
    const add = new Int32Array(n);
    let anyCW = false;
    for (let j = 0; j < n; j++) {
      const cW = this.operand.cW[j]!;
      if (cW !== 0) anyCW = true;
      const a = (this.biasQ ? this.biasQ[j]! : 0) + cX * this.operand.colSum[j]! + k * cX * cW;
      if (a < -2147483648 || a > 2147483647) return null;
      add[j] = a;
    }
    return { add, colMul: anyCW ? Int32Array.from(this.operand.cW) : null };
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, 1);
    const x = inputs[0]!;
    const { inFeatures: k, outFeatures: n } = this.wrapped;
    if (x.lastDim !== k) throw new RangeError(`Linear ${this.moduleName}: input last dimension ${x.lastDim} != in_features ${k}`);
    const m = x.rows;
    const { lo, hi } = this.actRange;
    const zx = this.inputParams.zeroPoint;
    const u = new Uint8Array(m * k);
    this.quantizer.run(x.data, m * k, u);
    const out = new Int32Array(m * n);
    const zy = this.outputParams.zeroPoint;
    const bias = this.biasQ;
    const r = this.requantScale;
    const perRow = r.length > 1;
    const acc = this.accRange;
    gemmWithZeroPoints(u, m, lo + zx, this.operand, (i, j, a) => {
      const total = clamp(a + (bias ? bias[j]! : 0), acc.lo, acc.hi);
      out[i * n + j] = requantize(total, perRow ? r[j]! : r[0]!, zy, lo, hi);
    });
    return { data: out, shape: [...x.shape.slice(0, -1), n] };
  }

  override forward(...inputs: Tensor[]): Tensor {
    if (!this.fast) return super.forward(...inputs);
    this.checkInputCount(inputs, 1);
    const x = inputs[0]!;
    const { inFeatures: k, outFeatures: n } = this.wrapped;
    if (x.lastDim !== k) throw new RangeError(`Linear ${this.moduleName}: input last dimension ${x.lastDim} != in_features ${k}`);
    const m = x.rows;
    const out = new Float32Array(m * n);
    const shape = [...x.shape.slice(0, -1), n];
    if (m === 0) return new Tensor(out, shape);
    this.u = growU8(this.u, m * k);
    this.acc = growI32(this.acc, m * n);
    const u = this.u.subarray(0, m * k);
    const acc = this.acc.subarray(0, m * n);
    this.quantizer.run(x.data, m * k, u);
    const { k: kern, packed } = this.operand.handle();
    kern.gemmU8S8S32(u, m, packed, acc);
    let rowTerm: Int32Array | null = null;
    if (this.fast.colMul) {
      this.rowSum = growI32(this.rowSum, m);
      rowTerm = this.rowSum.subarray(0, m);
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let p = i * k, e = p + k; p < e; p++) s += u[p]!;
        rowTerm[i] = s;
      }
    }
    const { lo, hi } = this.actRange;
    kernels().requantizeF32(acc, m, n, this.fast.add, rowTerm, this.fast.colMul, this.requantScale, this.outputParams.zeroPoint, lo, hi, this.outputParams.scale, out);
    return new Tensor(out, shape);
  }

  describe(): WrapperDescription {
    return {
      ...this.describeActivations([this.inputParams]),
      per_channel_weights: this.settings.perChannelWts,
    };
  }
}
