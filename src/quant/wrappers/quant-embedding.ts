/**
 * Quantized Embedding (spec §6.7; R `RangeLinearEmbeddingWrapper`).
 *
 * (s_e, z_e) come from the embedding's **output activation stats** with the quantizer mode, clip
 * NONE always (`clip_acts` is ignored), weight bits, no scale approximation; Eq = Q(E; s_e, z_e)
 * over the weight range (rows outside the calibrated range are clamped). Forward: y = D(Eq[ids]).
 * No input quantization, never per-channel.
 *
 * Storage: Eq − wlo − 128 in an Int8Array (a quarter of the FP32 table), and a 2^bits-entry table
 * of D(q) values for the lookup.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Tensor as TensorClass } from '../../tensor/tensor.js';
import type { Embedding } from '../../model/ops.js';
import { dequantize, intRange, quantize, type IntRange } from '../qtypes.js';
import type { QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, qparamsJson, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';

export class QuantEmbedding extends QuantWrapper<Embedding> {
  readonly type = 'Embedding' as const;
  readonly weightParamsFromStats: QParams;
  /** The output is dequantized with the table's parameters. */
  readonly outputParams: QParams;
  private readonly table: Int8Array;
  private readonly range: IntRange;
  private readonly lut: Float32Array;

  constructor(wrapped: Embedding, moduleName: string, settings: ModuleQuantSettings, stats: { output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    this.weightParamsFromStats = activationParams(
      stats.output,
      { ...settings, clipActs: 'NONE', clipNStds: null, scaleApproxMultBits: null, bitsActivations: settings.bitsWeights },
      `${moduleName}.output`,
    );
    this.outputParams = this.weightParamsFromStats;
    this.range = intRange(settings.mode, settings.bitsWeights);
    const { scale, zeroPoint } = this.weightParamsFromStats;
    const w = wrapped.weight.data;
    this.table = new Int8Array(w.length);
    const off = this.range.lo + 128;
    for (let i = 0; i < w.length; i++) this.table[i] = quantize(w[i]!, scale, zeroPoint, this.range.lo, this.range.hi) - off;
    this.lut = new Float32Array(256);
    for (let v = -128; v < 128; v++) this.lut[v + 128] = dequantize(v + off, scale, zeroPoint);
  }

  /** Row lookup of the integer table (ids validated like the FP32 op). */
  forwardQ(...inputs: Tensor[]): QTensor {
    this.checkInputCount(inputs, 1);
    const ids = inputs[0]!;
    const { embeddingDim: dim, numEmbeddings: num } = this.wrapped;
    const out = new Int32Array(ids.numel * dim);
    const off = this.range.lo + 128;
    for (let i = 0; i < ids.numel; i++) {
      const id = ids.data[i]!;
      if (!(id >= 0 && id < num)) throw new RangeError(`Embedding: index ${id} out of range [0, ${num})`);
      for (let d = 0; d < dim; d++) out[i * dim + d] = this.table[id * dim + d]! + off;
    }
    return { data: out, shape: [...ids.shape, dim] };
  }

  /** D(Eq[ids]) through the lookup table (same values as dequantizing forwardQ). */
  override forward(...inputs: Tensor[]): Tensor {
    this.checkInputCount(inputs, 1);
    const ids = inputs[0]!;
    const { embeddingDim: dim, numEmbeddings: num } = this.wrapped;
    const out = new Float32Array(ids.numel * dim);
    for (let i = 0; i < ids.numel; i++) {
      const id = ids.data[i]!;
      if (!(id >= 0 && id < num)) throw new RangeError(`Embedding: index ${id} out of range [0, ${num})`);
      const row = id * dim;
      for (let d = 0; d < dim; d++) out[i * dim + d] = this.lut[this.table[row + d]! + 128]!;
    }
    return new TensorClass(out, [...ids.shape, dim]);
  }

  describe(): WrapperDescription {
    return {
      wrapper: this.type,
      mode: this.settings.mode,
      clip_acts: 'NONE (embedding ignores clip_acts)',
      weight_qparams_from_output_stats: qparamsJson(this.weightParamsFromStats),
    };
  }
}
