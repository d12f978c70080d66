/**
 * The quantized attention score chain of GNMT fused over bytes, for a decoder that wants it
 * (src/model/attention.ts, op-by-op path otherwise):
 *
 *     scores = matmul_score(tanh(eltwiseadd_norm_bias(eltwiseadd_qk(q ⊗ 1_T, k), b_n)), a)
 *
 * with eltwiseadd_qk, eltwiseadd_norm_bias (QuantEltwiseAdd, two inputs) and matmul_score
 * (QuantMatmul) quantized and tanh the plain FP32 op. Every intermediate of the chain is a function
 * of bytes: the qk output code is the qk table at (Q(q), Q(k)); the activation matmul_score quantizes
 * is then a function of that code and of the bias byte Q(b_n[h]) only (dequantize → quantize for
 * norm_bias → its table → dequantize → the tanh op → quantize for matmul_score). That second
 * function is tabulated once (256 × 256 bytes, the tanh op evaluated on the 65536 possible values),
 * so the (R, T, U) chain is two byte gathers per element instead of four float32 tensors, and the
 * result is the same float32 scores as the op-by-op chain (test/quant/quant-attention.test.ts).
 * Nothing may observe these ops (their hooks would not run).
 */
import { kernels } from '../../tensor/backend.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Op } from '../../model/module.js';
import { Tanh } from '../../model/ops.js';
import type { AttentionScoresKernel } from '../../model/fused-capabilities.js';
import { dequantize, intRange, quantize, type IntRange } from '../qtypes.js';
import type { QuantEltwiseAdd } from './quant-eltwise-add.js';
import type { QuantMatmul } from './quant-matmul.js';
import type { PairTableOp } from './fast-ops.js';
import { growU8 } from './fast-ops.js';

export class FusedQuantScores implements AttentionScoresKernel {
  private readonly range: IntRange;
  private readonly qkPair: PairTableOp;
  private readonly nbPair: PairTableOp;
  private chain?: Uint8Array;
  private uq: Uint8Array = new Uint8Array(0);
  private uk: Uint8Array = new Uint8Array(0);
  private ub: Uint8Array = new Uint8Array(0);
  private ut: Uint8Array = new Uint8Array(0);
  private lastKeys?: Float32Array;
  private lastKeyBytes?: Uint8Array;

  private constructor(
    private readonly qk: QuantEltwiseAdd,
    private readonly nb: QuantEltwiseAdd,
    private readonly tanh: Op,
    private readonly score: QuantMatmul,
  ) {
    this.range = intRange(qk.settings.mode, qk.settings.bitsActivations);
    this.qkPair = qk.pair!;
    this.nbPair = nb.pair!;
  }

  /** The fused form of these four ops, or null when it does not apply (then run the ops). */
  static create(qk: Op, nb: Op, tanh: Op, score: Op): FusedQuantScores | null {
    const q = qk as Partial<QuantEltwiseAdd>;
    const n = nb as Partial<QuantEltwiseAdd>;
    const s = score as Partial<QuantMatmul>;
    if (!q.pair || !n.pair || typeof s.forwardBytes !== 'function' || !s.settings || !q.settings || !n.settings) return null;
    if (qk.observed || nb.observed || tanh.observed || score.observed) return null;
    // The chain table evaluates the op on every possible input: it must be the element-wise FP32 tanh.
    if (tanh.constructor !== Tanh) return null;
    const same = (a: typeof q.settings, b: typeof q.settings): boolean => a!.mode === b!.mode && a!.bitsActivations === b!.bitsActivations;
    if (!same(q.settings, n.settings) || !same(q.settings, s.settings)) return null;
    return new FusedQuantScores(qk as QuantEltwiseAdd, nb as QuantEltwiseAdd, tanh, score as QuantMatmul);
  }

  /** chain[(Q(b_n) − lo) << 8 | qk code] = Q(tanh(…)) − lo as matmul_score quantizes it. */
  private chainTable(): Uint8Array {
    if (this.chain) return this.chain;
    const { lo, hi } = this.range;
    const qkOut = this.qk.outputParams;
    const [nbIn] = this.nb.inputParams as [typeof qkOut, typeof qkOut];
    const nbOut = this.nb.outputParams;
    const nbCodes = this.nbPair.codes();
    const ys = new Float32Array(65536);
    for (let ub = 0; ub <= hi - lo; ub++) {
      for (let c1 = 0; c1 <= hi - lo; c1++) {
        const x = dequantize(c1 + lo, qkOut.scale, qkOut.zeroPoint);
        const u = quantize(Math.fround(x), nbIn.scale, nbIn.zeroPoint, lo, hi) - lo;
        ys[(ub << 8) | c1] = dequantize(nbCodes[(u << 8) | ub]! + lo, nbOut.scale, nbOut.zeroPoint);
      }
    }
    const th = this.tanh.forward(new Tensor(ys, [65536])).data;
    const p = this.score.inputParams[0];
    const chain = new Uint8Array(65536);
    for (let i = 0; i < 65536; i++) chain[i] = quantize(th[i]!, p.scale, p.zeroPoint, lo, hi) - lo;
    return (this.chain = chain);
  }

  /**
   * Scores (R·T) for queries pq (R, U), keys pk (S, T, U) (row r uses sentence rowSentence[r]),
   * bias bn (U) and the scaled attention vector a (U), before masking; null when matmul_score's
   * fast path does not apply (then run the ops). With `lengths` (per sentence), the scores of
   * positions j ≥ lengths[s] are left unspecified (the caller masks them).
   */
  run(
    pq: Float32Array, pk: Float32Array, rowSentence: Int32Array, T: number, U: number, bn: Float32Array, a: Float32Array, lengths?: Int32Array,
  ): Float32Array | null {
    const R = rowSentence.length;
    const S = pk.length / (T * U);
    this.uq = growU8(this.uq, R * U);
    this.uk = growU8(this.uk, S * T * U);
    this.ub = growU8(this.ub, U);
    this.ut = growU8(this.ut, R * T * U);
    const { uq, uk, ub, ut } = this;
    this.qkPair.quantizers[0].run(pq, R * U, uq);
    // The projected keys are the same array at every decoder step of a batch: quantize them once.
    if (pk !== this.lastKeys || uk !== this.lastKeyBytes) {
      this.qkPair.quantizers[1].run(pk, S * T * U, uk);
      this.lastKeys = pk;
      this.lastKeyBytes = uk;
    }
    this.nbPair.quantizers[1].run(bn, U, ub);
    kernels().attentionScoresU8(R, T, U, uq, uk, rowSentence, lengths ?? null, ub, this.qkPair.codes(), this.chainTable(), ut);
    return this.score.forwardBytes(ut.subarray(0, R * T * U), R * T, a);
  }
}
