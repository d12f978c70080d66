/**
 * Quantized BatchMatmul (spec §6.5; R `RangeLinearQuantMatmulWrapper` on `BatchMatmul`):
 * (B, M, K)·(B, K, N) → (B, M, N) (`context_matmul`).
 *
 * s_a = fround(s_0·s_1); A = (Q(x_0) + z_0) ⊗ (Q(x_1) + z_1) clamped to the accumulator range;
 * q_out = clamp(round(fround(fround(r·A) − z_y)), lo, hi) with r = fround(s_y / s_a).
 * Executed with exact integer loops: both operands quantized to bytes (`quantizeU8`), then
 * A = Σ_p X0[p]·u1[p][j] + c1·Σ_p X0[p] with X1 = u1 + c1 (float64 sums of integers, terms with
 * X0 = 0 skipped), clamped; `forward` requantizes and dequantizes in one `requantizeF32` call.
 */
import { Tensor } from '../../tensor/tensor.js';
import { kernels } from '../../tensor/backend.js';
import type { BatchMatmul } from '../../model/ops.js';
import { requantize, type IntRange } from '../qtypes.js';
import type { QParams } from '../qparams.js';
import type { StatsRecord } from '../stats.js';
import { QuantWrapper, productParams, type ModuleQuantSettings, type QTensor, type WrapperDescription } from './common.js';
import { ByteQuantizer, growF64, growI32, growU8, isF32 } from './fast-ops.js';

export class QuantBatchMatmul extends QuantWrapper<BatchMatmul> {
  readonly type = 'BatchMatmul' as const;
  readonly inputParams: readonly [QParams, QParams];
  readonly outputParams: QParams;
  readonly accumScale: number;
  readonly requantScale: number;
  private readonly actRange: IntRange;
  private readonly accRange: IntRange;
  private readonly quantizers: readonly [ByteQuantizer, ByteQuantizer];
  private readonly canFast: boolean;
  private readonly factor: Float32Array;
  private u0: Uint8Array = new Uint8Array(0);
  private u1: Uint8Array = new Uint8Array(0);
  private acc: Int32Array = new Int32Array(0);
  private sums: Float64Array = new Float64Array(0);

  constructor(wrapped: BatchMatmul, moduleName: string, settings: ModuleQuantSettings, stats: { inputs: readonly StatsRecord[]; output: StatsRecord }) {
    super(wrapped, moduleName, settings);
    if (stats.inputs.length !== 2) throw new RangeError(`BatchMatmul ${moduleName}: statistics have ${stats.inputs.length} inputs, expected 2`);
    const pp = productParams(moduleName, settings, stats);
    this.inputParams = pp.inputParams as [QParams, QParams];
    this.outputParams = pp.outputParams;
    this.accumScale = pp.accumScale;
    this.requantScale = pp.requantScale;
    this.actRange = pp.actRange;
    this.accRange = pp.accRange;
    this.quantizers = [new ByteQuantizer(this.inputParams[0], this.actRange), new ByteQuantizer(this.inputParams[1], this.actRange)];
    this.factor = Float32Array.of(this.requantScale);
    this.canFast = isF32(this.requantScale) && isF32(this.outputParams.scale) && isF32(this.outputParams.zeroPoint);
  }

  /** A (B·M, N) clamped to the accumulator range. */
  private accumulate(inputs: Tensor[]): { acc: Int32Array; B: number; M: number; N: number } {
    this.checkInputCount(inputs, 2);
    const [a, b] = inputs as [Tensor, Tensor];
    const [B, M, K] = a.shape as [number, number, number];
    const [B2, K2, N] = b.shape as [number, number, number];
    if (a.shape.length !== 3 || b.shape.length !== 3 || B !== B2 || K !== K2) {
      throw new RangeError(`bmm: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] are not (B, M, K)·(B, K, N)`);
    }
    return this.accumulateRows(a.data, B, M, K, b.data, N, null);
  }

  /**
   * The accumulators with batch element bi's second operand taken from block blockOf[bi] of b
   * (blockOf null: block bi). Each block of b is quantized once however many rows use it.
   */
  private accumulateRows(
    aData: Float32Array, B: number, M: number, K: number, bData: Float32Array, N: number, blockOf: Int32Array | null,
  ): { acc: Int32Array; B: number; M: number; N: number } {
    const na = B * M * K;
    const nb = bData.length;
    this.u0 = growU8(this.u0, na);
    this.u1 = growU8(this.u1, nb);
    const u0 = this.u0;
    const u1 = this.u1;
    this.quantizers[0].run(aData, na, u0);
    this.quantizers[1].run(bData, nb, u1);
    const { lo } = this.actRange;
    const c0 = lo + this.inputParams[0].zeroPoint;
    const c1 = lo + this.inputParams[1].zeroPoint;
    this.acc = growI32(this.acc, B * M * N);
    this.sums = growF64(this.sums, N);
    const acc = this.acc.subarray(0, B * M * N);
    const sums = this.sums;
    const { lo: alo, hi: ahi } = this.accRange;
    for (let bi = 0; bi < B; bi++) {
      const block = blockOf ? blockOf[bi]! : bi;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) sums[j] = 0;
        let xs = 0;
        const ao = (bi * M + i) * K;
        for (let p = 0; p < K; p++) {
          const av = u0[ao + p]! + c0;
          if (av === 0) continue;
          xs += av;
          const off = (block * K + p) * N;
          for (let j = 0; j < N; j++) sums[j] += av * u1[off + j]!;
        }
        const o = (bi * M + i) * N;
        const base = c1 * xs;
        for (let j = 0; j < N; j++) {
          const s = sums[j]! + base;
          acc[o + j] = s < alo ? alo : s > ahi ? ahi : s;
        }
      }
    }
    return { acc, B, M, N };
  }

  /**
   * `forward(a, rows(b))` without materializing rows(b): a (R, M, K), b (S, K, N) and rowBlock (R)
   * with rows(b)[r] = b[rowBlock[r]] (attention keys replicated per beam row). Same output as the
   * op on the replicated tensor; null when the fast path does not apply (then call the op).
   */
  forwardRows(a: Tensor, b: Tensor, rowBlock: Int32Array): Tensor | null {
    if (!this.canFast) return null;
    const [R, M, K] = a.shape as [number, number, number];
    const [S, K2, N] = b.shape as [number, number, number];
    if (a.shape.length !== 3 || b.shape.length !== 3 || K !== K2 || rowBlock.length !== R || rowBlock.some((s) => !(s >= 0 && s < S))) {
      throw new RangeError(`bmm rows: shapes [${a.shape.join(', ')}], [${b.shape.join(', ')}] and ${rowBlock.length} row blocks do not fit`);
    }
    const { acc } = this.accumulateRows(a.data, R, M, K, b.data, N, rowBlock);
    const { lo, hi } = this.actRange;
    const out = new Float32Array(R * M * N);
    kernels().requantizeF32(acc, R * M, N, null, null, null, this.factor, this.outputParams.zeroPoint, lo, hi, this.outputParams.scale, out);
    return new Tensor(out, [R, M, N]);
  }

  forwardQ(...inputs: Tensor[]): QTensor {
    const { acc, B, M, N } = this.accumulate(inputs);
    const { lo, hi } = this.actRange;
    const zy = this.outputParams.zeroPoint;
    const out = new Int32Array(B * M * N);
    for (let i = 0; i < out.length; i++) out[i] = requantize(acc[i]!, this.requantScale, zy, lo, hi);
    return { data: out, shape: [B, M, N] };
  }

  override forward(...inputs: Tensor[]): Tensor {
    if (!this.canFast) return super.forward(...inputs);
    const { acc, B, M, N } = this.accumulate(inputs);
    const { lo, hi } = this.actRange;
    const out = new Float32Array(B * M * N);
    kernels().requantizeF32(acc, B * M, N, null, null, null, this.factor, this.outputParams.zeroPoint, lo, hi, this.outputParams.scale, out);
    return new Tensor(out, [B, M, N]);
  }

  describe(): WrapperDescription {
    return {
      ...this.describeActivations(this.inputParams),
      accum_scale: this.accumScale,
      output_requant_scale: this.requantScale,
    };
  }
}
