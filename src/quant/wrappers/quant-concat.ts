/**
 * Quantized Concat (spec §6.6; R `RangeLinearQuantConcatWrapper`).
 *
 * Per input i: r_i = fround(s_y / s_i); R_i = clamp(round(fround(fround(r_i·(Q(x_i) + z_i)) − z_y)), lo, hi)
 * — clamped to the *activation* range, output zero point applied here; the R_i concatenated along
 * the op's dim are the output integers (requantization factor 1, zero point 0); y = D(q; s_y, z_y).
 * Executed as one 256-entry table lookup per element and input (fast-ops.ts), filled from R_i.
 */
import { Tensor, numel } from '../../tensor/tensor.js';
import type { Concat } from '../../model/ops.js';
import { intRange, requantize, type IntRange } from '../qtypes.js';
import { approxScale, type QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, activationParams, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { ByteQuantizer, growU8, outputValues, singleTable, toInt32 } from './fast-ops.js';

export class QuantConcat extends QuantWrapper<Concat> {
  readonly type = 'Concat' as const;
  readonly inputParams: readonly QParams[];
  readonly outputParams: QParams;
  /** r_i = fround(s_y / s_i). */
  readonly inputRequantScales: readonly number[];
  private readonly actRange: IntRange;
  private readonly quantizers: readonly ByteQuantizer[];
  private tablesQ?: Float32Array[];
  private tablesY?: Float32Array[];
  private u: Uint8Array = new Uint8Array(0);

  constructor(wrapped: Concat, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    this.inputParams = stats.inputs.map((r, i) => activationParams(r, settings, `${moduleName}.inputs.${i}`));
    this.outputParams = activationParams(stats.output, settings, `${moduleName}.output`);
    this.inputRequantScales = this.inputParams.map((p) => approxScale(Math.fround(this.outputParams.scale / p.scale), settings.scaleApproxMultBits));
    this.actRange = intRange(settings.mode, settings.bitsActivations);
    this.quantizers = this.inputParams.map((p) => new ByteQuantizer(p, this.actRange));
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    const { data, shape } = this.run(inputs, false);
    return { data: toInt32(data), shape };
  }

  override forward(...inputs: Tensor[]): Tensor {
    const { data, shape } = this.run(inputs, true);
    return new Tensor(data, shape);
  }

  private run(inputs: Tensor[], dequantized: boolean): { data: Float32Array; shape: number[] } {
    this.checkInputCount(inputs, this.inputParams.length);
    const first = inputs[0];
    if (!first) throw new RangeError('concat: no tensors given');
    const rank = first.shape.length;
    const dim = this.wrapped.dim;
    const axis = dim < 0 ? rank + dim : dim;
    for (const t of inputs) {
      if (t.shape.length !== rank || t.shape.some((s, i) => i !== axis && s !== first.shape[i])) {
        throw new RangeError(`concat: shapes [${first.shape.join(', ')}] and [${t.shape.join(', ')}] differ outside dim ${dim}`);
      }
    }
    const outer = numel(first.shape.slice(0, axis));
    const inner = numel(first.shape.slice(axis + 1));
    let total = 0;
    for (const t of inputs) total += t.shape[axis]! * inner;
    const out = new Float32Array(outer * total);
    const tables = dequantized ? (this.tablesY ??= this.makeTables(true)) : (this.tablesQ ??= this.makeTables(false));
    let col = 0;
    inputs.forEach((t, i) => {
      const w = t.shape[axis]! * inner;
      const n = t.data.length;
      this.u = growU8(this.u, n);
      const u = this.u;
      this.quantizers[i]!.run(t.data, n, u);
      const tbl = tables[i]!;
      for (let o = 0; o < outer; o++) {
        const src = o * w;
        const dst = o * total + col;
        for (let e = 0; e < w; e++) out[dst + e] = tbl[u[src + e]!]!;
      }
      col += w;
    });
    const shape = [...first.shape];
    shape[axis] = total / inner;
    return { data: out, shape };
  }

  private makeTables(dequantized: boolean): Float32Array[] {
    const { lo, hi } = this.actRange;
    const zy = this.outputParams.zeroPoint;
    const values = outputValues(this.outputParams, this.actRange, dequantized);
    return this.inputParams.map((p, i) => {
      const r = this.inputRequantScales[i]!;
      return singleTable(this.actRange, (q) => requantize(q + p.zeroPoint, r, zy, lo, hi), values);
    });
  }

  describe(): WrapperDescription {
    return {
      ...this.describeActivations(this.inputParams),
      input_requant_scales: [...this.inputRequantScales],
    };
  }
}
