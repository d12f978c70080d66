/**
 * Quantized EltwiseMult (spec §6.4; R `RangeLinearQuantEltwiseMultWrapper`).
 *
 * s_a = Π_i s_i (float32 product in input order); A = Π_i (Q(x_i) + z_i) with broadcasting (in
 * SYMMETRIC mode the zero points are 0), clamped to the accumulator range;
 * q_out = clamp(round(fround(fround(r·A) − z_y)), lo, hi) with r = fround(s_y / s_a).
 * Two inputs (all of GNMT's): one 256×256 table lookup per element (fast-ops.ts), filled from the
 * formula above; other input counts: exact integer loops.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { EltwiseMult } from '../../model/ops.js';
import { clamp, requantize, type IntRange } from '../qtypes.js';
import type { QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, productParams, quantizeArray, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { broadcastCombine } from './int-ops.js';
import { PairTableOp, toInt32 } from './fast-ops.js';

export class QuantEltwiseMult extends QuantWrapper<EltwiseMult> {
  readonly type = 'EltwiseMult' as const;
  readonly inputParams: readonly QParams[];
  readonly outputParams: QParams;
  readonly accumScale: number;
  readonly requantScale: number;
  private readonly actRange: IntRange;
  private readonly accRange: IntRange;
  /** The two-input table form (undefined for other input counts). */
  readonly pair?: PairTableOp;

  constructor(wrapped: EltwiseMult, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    const pp = productParams(moduleName, settings, stats);
    this.inputParams = pp.inputParams;
    this.outputParams = pp.outputParams;
    this.accumScale = pp.accumScale;
    this.requantScale = pp.requantScale;
    this.actRange = pp.actRange;
    this.accRange = pp.accRange;
    if (this.inputParams.length === 2) {
      const [p0, p1] = this.inputParams as [QParams, QParams];
      const acc = this.accRange;
      const { lo, hi } = this.actRange;
      const zy = this.outputParams.zeroPoint;
      const r = this.requantScale;
      // Products of two 8-bit integers are exact in float64.
      this.pair = new PairTableOp([p0, p1], this.actRange, this.outputParams, (q0, q1) =>
        requantize(clamp((q0 + p0.zeroPoint) * (q1 + p1.zeroPoint), acc.lo, acc.hi), r, zy, lo, hi));
    }
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, this.inputParams.length);
    if (this.pair) {
      const { data, shape } = this.pair.run(inputs[0]!, inputs[1]!, false);
      return { data: toInt32(data), shape };
    }
    const parts = inputs.map((x, i) => {
      const p = this.inputParams[i]!;
      const q = quantizeArray(x.data, p, this.actRange);
      for (let e = 0; e < q.length; e++) q[e]! += p.zeroPoint;
      return { data: q as ArrayLike<number>, shape: x.shape };
    });
    // Products of integers stay exact in float64 for two 8-bit operands (and far beyond).
    const prod = parts.slice(1).reduce((s, t) => broadcastCombine(s.data, s.shape, t.data, t.shape, (a, b) => a * b), parts[0]!);
    const { lo, hi } = this.actRange;
    const acc = this.accRange;
    const zy = this.outputParams.zeroPoint;
    const out = new Int32Array(prod.data.length);
    for (let i = 0; i < out.length; i++) out[i] = requantize(clamp(prod.data[i]!, acc.lo, acc.hi), this.requantScale, zy, lo, hi);
    return { data: out, shape: prod.shape };
  }

  override forward(...inputs: Tensor[]): Tensor {
    this.checkInputCount(inputs, this.inputParams.length);
    if (!this.pair) return super.forward(...inputs);
    const { data, shape } = this.pair.run(inputs[0]!, inputs[1]!, true);
    return new Tensor(data, shape);
  }

  describe(): WrapperDescription {
    return {
      ...this.describeActivations(this.inputParams),
      accum_scale: this.accumScale,
      output_requant_scale: this.requantScale,
    };
  }
}
