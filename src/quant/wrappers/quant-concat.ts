/**
 * Quantized Concat (spec §6.6; R `RangeLinearQuantConcatWrapper`).
 *
 * Per input i: r_i = fround(s_y / s_i); R_i = clamp(round(fround(fround(r_i·(Q(x_i) + z_i)) − z_y)), lo, hi)
 * — clamped to the *activation* range, output zero point applied here; the R_i concatenated along
 * the op's dim are the output integers (requantization factor 1, zero point 0); y = D(q; s_y, z_y).
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Concat } from '../../model/ops.js';
import { intRange, requantize, type IntRange } from '../qtypes.js';
import { approxScale, type QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, qparamsJson, quantizeArray, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { concatInt } from './int-ops.js';

export class QuantConcat extends QuantWrapper<Concat> {
  readonly type = 'Concat' as const;
  readonly inputParams: readonly QParams[];
  readonly outputParams: QParams;
  /** r_i = fround(s_y / s_i). */
  readonly inputRequantScales: readonly number[];
  private readonly actRange: IntRange;

  constructor(wrapped: Concat, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    this.inputParams = stats.inputs.map((r, i) => activationParams(r, settings, `${moduleName}.inputs.${i}`));
    this.outputParams = activationParams(stats.output, settings, `${moduleName}.output`);
    this.inputRequantScales = this.inputParams.map((p) => approxScale(Math.fround(this.outputParams.scale / p.scale), settings.scaleApproxMultBits));
    this.actRange = intRange(settings.mode, settings.bitsActivations);
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, this.inputParams.length);
    const { lo, hi } = this.actRange;
    const zy = this.outputParams.zeroPoint;
    const parts = inputs.map((x, i) => {
      const p = this.inputParams[i]!;
      const r = this.inputRequantScales[i]!;
      const q = quantizeArray(x.data, p, this.actRange);
      for (let e = 0; e < q.length; e++) q[e] = requantize(q[e]! + p.zeroPoint, r, zy, lo, hi);
      return { data: q, shape: x.shape };
    });
    return concatInt(parts, this.wrapped.dim);
  }

  describe(): WrapperDescription {
    return {
      wrapper: this.type,
      mode: this.settings.mode,
      clip_acts: this.settings.clipActs,
      inputs: Object.fromEntries(this.inputParams.map((p, i) => [String(i), qparamsJson(p)])),
      output: qparamsJson(this.outputParams),
      input_requant_scales: [...this.inputRequantScales],
    };
  }
}
