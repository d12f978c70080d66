/**
 * Quantized Matmul (spec §6.5; R `RangeLinearQuantMatmulWrapper`), as GNMT uses it:
 * (…, K)·(K) → (…) (`matmul_score`).
 *
 * s_a = fround(s_0·s_1); A = (Q(x_0) + z_0) ⊗ (Q(x_1) + z_1) clamped to the accumulator range;
 * q_out = clamp(round(fround(fround(r·A) − z_y)), lo, hi) with r = fround(s_y / s_a).
 *
 * Execution: the vector is a one-row s8 weight of the `gemmU8S8S32` kernel, with the same
 * zero-point decomposition as QuantLinear.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Matmul } from '../../model/ops.js';
import { accumRange, clamp, intRange, quantize, requantize, type IntRange } from '../qtypes.js';
import { approxScale, type QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, qparamsJson, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { S8Operand, gemmWithZeroPoints } from './int-ops.js';

export class QuantMatmul extends QuantWrapper<Matmul> {
  readonly type = 'Matmul' as const;
  readonly inputParams: readonly [QParams, QParams];
  readonly outputParams: QParams;
  readonly accumScale: number;
  readonly requantScale: number;
  private readonly actRange: IntRange;
  private readonly accRange: IntRange;

  constructor(wrapped: Matmul, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    if (stats.inputs.length !== 2) throw new RangeError(`Matmul ${moduleName}: statistics have ${stats.inputs.length} inputs, expected 2`);
    this.inputParams = [
      activationParams(stats.inputs[0]!, settings, `${moduleName}.inputs.0`),
      activationParams(stats.inputs[1]!, settings, `${moduleName}.inputs.1`),
    ];
    this.outputParams = activationParams(stats.output, settings, `${moduleName}.output`);
    this.accumScale = Math.fround(this.inputParams[0].scale * this.inputParams[1].scale);
    this.requantScale = approxScale(Math.fround(this.outputParams.scale / this.accumScale), settings.scaleApproxMultBits);
    this.actRange = intRange(settings.mode, settings.bitsActivations);
    this.accRange = accumRange(settings.bitsAccum);
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, 2);
    const [a, b] = inputs as [Tensor, Tensor];
    const k = b.numel;
    if (b.shape.length !== 1 || a.lastDim !== k) {
      throw new RangeError(`matmul: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] are not (…, K)·(K)`);
    }
    const { lo, hi } = this.actRange;
    const [p0, p1] = this.inputParams;
    const m = a.rows;
    const u = new Uint8Array(m * k);
    for (let i = 0; i < u.length; i++) u[i] = quantize(a.data[i]!, p0.scale, p0.zeroPoint, lo, hi) - lo;
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
      wrapper: this.type,
      mode: this.settings.mode,
      clip_acts: this.settings.clipActs,
      inputs: { '0': qparamsJson(this.inputParams[0]), '1': qparamsJson(this.inputParams[1]) },
      output: qparamsJson(this.outputParams),
      accum_scale: this.accumScale,
      output_requant_scale: this.requantScale,
    };
  }
}
