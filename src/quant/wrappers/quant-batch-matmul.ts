/**
 * Quantized BatchMatmul (spec §6.5; R `RangeLinearQuantMatmulWrapper` on `BatchMatmul`):
 * (B, M, K)·(B, K, N) → (B, M, N) (`context_matmul`).
 *
 * s_a = fround(s_0·s_1); A = (Q(x_0) + z_0) ⊗ (Q(x_1) + z_1) clamped to the accumulator range;
 * q_out = clamp(round(fround(fround(r·A) − z_y)), lo, hi) with r = fround(s_y / s_a).
 * Executed with exact integer loops (Int32Array operands, float64 sums of integers).
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { BatchMatmul } from '../../model/ops.js';
import { accumRange, clamp, intRange, requantize, type IntRange } from '../qtypes.js';
import { approxScale, type QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, qparamsJson, quantizeArray, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';

export class QuantBatchMatmul extends QuantWrapper<BatchMatmul> {
  readonly type = 'BatchMatmul' as const;
  readonly inputParams: readonly [QParams, QParams];
  readonly outputParams: QParams;
  readonly accumScale: number;
  readonly requantScale: number;
  private readonly actRange: IntRange;
  private readonly accRange: IntRange;

  constructor(wrapped: BatchMatmul, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    if (stats.inputs.length !== 2) throw new RangeError(`BatchMatmul ${moduleName}: statistics have ${stats.inputs.length} inputs, expected 2`);
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
    const [B, M, K] = a.shape as [number, number, number];
    const [B2, K2, N] = b.shape as [number, number, number];
    if (a.shape.length !== 3 || b.shape.length !== 3 || B !== B2 || K !== K2) {
      throw new RangeError(`bmm: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] are not (B, M, K)·(B, K, N)`);
    }
    const x0 = quantizeArray(a.data, this.inputParams[0], this.actRange);
    const x1 = quantizeArray(b.data, this.inputParams[1], this.actRange);
    const z0 = this.inputParams[0].zeroPoint;
    const z1 = this.inputParams[1].zeroPoint;
    for (let i = 0; i < x0.length; i++) x0[i]! += z0;
    for (let i = 0; i < x1.length; i++) x1[i]! += z1;
    const out = new Int32Array(B * M * N);
    const sums = new Float64Array(N);
    const { lo, hi } = this.actRange;
    const acc = this.accRange;
    const zy = this.outputParams.zeroPoint;
    for (let bi = 0; bi < B; bi++) {
      for (let i = 0; i < M; i++) {
        sums.fill(0);
        for (let p = 0; p < K; p++) {
          const av = x0[(bi * M + i) * K + p]!;
          if (av === 0) continue;
          const off = (bi * K + p) * N;
          for (let j = 0; j < N; j++) sums[j]! += av * x1[off + j]!;
        }
        const o = (bi * M + i) * N;
        for (let j = 0; j < N; j++) out[o + j] = requantize(clamp(sums[j]!, acc.lo, acc.hi), this.requantScale, zy, lo, hi);
      }
    }
    return { data: out, shape: [B, M, N] };
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
