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
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Linear } from '../../model/ops.js';
import { accumRange, clamp, intRange, quantize, requantize, type IntRange } from '../qtypes.js';
import { approxScale, quantizeBias, weightParams, type QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, qparamsJson, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { S8Operand, gemmWithZeroPoints } from './int-ops.js';

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
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, 1);
    const x = inputs[0]!;
    const { inFeatures: k, outFeatures: n } = this.wrapped;
    if (x.lastDim !== k) throw new RangeError(`Linear ${this.moduleName}: input last dimension ${x.lastDim} != in_features ${k}`);
    const m = x.rows;
    const { lo, hi } = this.actRange;
    const { scale: sx, zeroPoint: zx } = this.inputParams;
    const u = new Uint8Array(m * k);
    const xd = x.data;
    for (let i = 0; i < u.length; i++) u[i] = quantize(xd[i]!, sx, zx, lo, hi) - lo;
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

  describe(): WrapperDescription {
    return {
      wrapper: this.type,
      mode: this.settings.mode,
      clip_acts: this.settings.clipActs,
      inputs: { '0': qparamsJson(this.inputParams) },
      output: qparamsJson(this.outputParams),
      per_channel_weights: this.settings.perChannelWts,
    };
  }
}
