/**
 * Quantized EltwiseAdd (spec §6.3; R `RangeLinearQuantEltwiseAddWrapper`).
 *
 * Per input i: r_i = fround(s_y / s_i); R_i = clamp(round(fround(r_i·(Q(x_i) + z_i))), accumulator);
 * A = Σ_i R_i left to right with broadcasting (as the FP32 op), clamped to the accumulator range;
 * q_out = clamp(A − z_y, lo, hi) (requantization factor 1); y = D(q_out; s_y, z_y).
 * Two inputs (all of GNMT's): one 256×256 table lookup per element (fast-ops.ts), filled from the
 * formula above; other input counts: exact integer loops.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { EltwiseAdd } from '../../model/ops.js';
import { accumRange, clamp, intRange, requantize, roundHalfEven, type IntRange } from '../qtypes.js';
import { approxScale, type QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, quantizeArray, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { broadcastCombine } from './int-ops.js';
import { PairTableOp, toInt32 } from './fast-ops.js';
import type { Op } from '../../model/module.js';
import type { AttentionScoresFusion, AttentionScoresKernel, LstmTailFusion, LstmTailKernel, LstmTailOps } from '../../model/fused-capabilities.js';
import { FusedQuantScores } from './quant-attention.js';
import { FusedQuantLstmTail } from './quant-lstm-tail.js';

export class QuantEltwiseAdd extends QuantWrapper<EltwiseAdd> implements AttentionScoresFusion, LstmTailFusion {
  readonly type = 'EltwiseAdd' as const;
  readonly inputParams: readonly QParams[];
  readonly outputParams: QParams;
  /** r_i = fround(s_y / s_i). */
  readonly inputRequantScales: readonly number[];
  private readonly actRange: IntRange;
  private readonly accRange: IntRange;
  /** The two-input table form (undefined for other input counts). */
  readonly pair?: PairTableOp;

  constructor(wrapped: EltwiseAdd, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    this.inputParams = stats.inputs.map((r, i) => activationParams(r, settings, `${moduleName}.inputs.${i}`));
    this.outputParams = activationParams(stats.output, settings, `${moduleName}.output`);
    this.inputRequantScales = this.inputParams.map((p) => approxScale(Math.fround(this.outputParams.scale / p.scale), settings.scaleApproxMultBits));
    this.actRange = intRange(settings.mode, settings.bitsActivations);
    this.accRange = accumRange(settings.bitsAccum);
    if (this.inputParams.length === 2) {
      const [p0, p1] = this.inputParams as [QParams, QParams];
      const [r0, r1] = this.inputRequantScales as [number, number];
      const acc = this.accRange;
      const { lo, hi } = this.actRange;
      const zy = this.outputParams.zeroPoint;
      const rescale = (q: number, p: QParams, r: number): number => clamp(roundHalfEven(Math.fround(r * (q + p.zeroPoint))), acc.lo, acc.hi);
      this.pair = new PairTableOp([p0, p1], this.actRange, this.outputParams, (q0, q1) =>
        requantize(clamp(rescale(q0, p0, r0) + rescale(q1, p1, r1), acc.lo, acc.hi), 1, zy, lo, hi));
    }
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, this.inputParams.length);
    if (this.pair) {
      const { data, shape } = this.pair.run(inputs[0]!, inputs[1]!, false);
      return { data: toInt32(data), shape };
    }
    const acc = this.accRange;
    const parts = inputs.map((x, i) => {
      const p = this.inputParams[i]!;
      const r = this.inputRequantScales[i]!;
      const q = quantizeArray(x.data, p, this.actRange);
      const rescaled = new Float64Array(q.length);
      for (let e = 0; e < q.length; e++) rescaled[e] = clamp(roundHalfEven(Math.fround(r * (q[e]! + p.zeroPoint))), acc.lo, acc.hi);
      return { data: rescaled as ArrayLike<number>, shape: x.shape };
    });
    const sum = parts.slice(1).reduce((s, t) => broadcastCombine(s.data, s.shape, t.data, t.shape, (a, b) => a + b), parts[0]!);
    const { lo, hi } = this.actRange;
    const zy = this.outputParams.zeroPoint;
    const out = new Int32Array(sum.data.length);
    for (let i = 0; i < out.length; i++) out[i] = requantize(clamp(sum.data[i]!, acc.lo, acc.hi), 1, zy, lo, hi);
    return { data: out, shape: sum.shape };
  }

  override forward(...inputs: Tensor[]): Tensor {
    this.checkInputCount(inputs, this.inputParams.length);
    if (!this.pair) return super.forward(...inputs);
    const { data, shape } = this.pair.run(inputs[0]!, inputs[1]!, true);
    return new Tensor(data, shape);
  }

  /** As the attention's eltwiseadd_qk: the byte-table score chain (quant-attention.ts), or null. */
  fuseAttentionScores(normBias: Op, tanh: Op, score: Op): AttentionScoresKernel | null {
    return FusedQuantScores.create(this, normBias, tanh, score);
  }

  /** As an LSTM cell's eltwiseadd_gate: the byte-table cell tail (quant-lstm-tail.ts), or null. */
  fuseLstmTail(ops: LstmTailOps): LstmTailKernel | null {
    return FusedQuantLstmTail.create(this, ops);
  }

  describe(): WrapperDescription {
    return {
      ...this.describeActivations(this.inputParams),
      input_requant_scales: [...this.inputRequantScales],
    };
  }
}
