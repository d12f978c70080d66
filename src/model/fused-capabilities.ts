/**
 * Optional capabilities a replacement op may offer the model: an exact fused form of a chain of ops
 * that starts with it. The model asks for them by duck typing (no import of whoever implements
 * them, e.g. src/quant), uses them only when none of the ops of the chain is observed (their hooks
 * would not run), and falls back to calling the ops one by one when a capability is absent or
 * declines (returns null). A capability must give the same float32 numbers as the ops it replaces.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Op } from './module.js';

/** The attention score chain eltwiseadd_qk → eltwiseadd_norm_bias → tanh → matmul_score in one call. */
export interface AttentionScoresKernel {
  /**
   * Scores (R·T) before masking for projected queries pq (R, U), projected keys pk (S, T, U) (row r
   * uses sentence rowSentence[r]), normalize bias bn (U) and the scaled attention vector a (U);
   * null when it does not apply to these inputs (then run the ops). With `lengths` (true length of
   * each sentence), scores of positions j ≥ lengths[s] may hold any value (the caller masks them).
   * pk is the batch's projected keys: the same array at every step, never modified in place (the
   * kernel may keep what it derived from it while given the same array).
   */
  run(
    pq: Float32Array, pk: Float32Array, rowSentence: Int32Array, T: number, U: number, bn: Float32Array, a: Float32Array, lengths?: Int32Array,
  ): Float32Array | null;
}

/** Offered by an eltwiseadd_qk replacement. */
export interface AttentionScoresFusion {
  fuseAttentionScores(normBias: Op, tanh: Op, score: Op): AttentionScoresKernel | null;
}

/** Offered by a context_matmul replacement: op(a, rows(b)) with rows(b)[r] = b[rowBlock[r]], without replicating b. */
export interface RowsBatchMatmul {
  forwardRows(a: Tensor, b: Tensor, rowBlock: Int32Array): Tensor | null;
}

/** The ops of the LSTM cell tail after fc_gate_x/fc_gate_h, by Distiller name. */
export interface LstmTailOps {
  readonly act_i: Op;
  readonly act_f: Op;
  readonly act_g: Op;
  readonly act_o: Op;
  readonly eltwisemult_cell_forget: Op;
  readonly eltwisemult_cell_input: Op;
  readonly eltwiseadd_cell: Op;
  readonly act_h: Op;
  readonly eltwisemult_hidden: Op;
}

/** The LSTM cell tail eltwiseadd_gate → chunk → act_* → cell/hidden products and sum in one call. */
export interface LstmTailKernel {
  /**
   * n rows of hidden size H: gate parts gx, gh (n, 4H) and the previous cell state cPrev (n, H) →
   * h, c (n, H) written to hOut, cOut; false when it does not apply (then run the ops).
   */
  run(n: number, H: number, gx: Float32Array, gh: Float32Array, cPrev: Float32Array, hOut: Float32Array, cOut: Float32Array): boolean;
}

/** Offered by an eltwiseadd_gate replacement. */
export interface LstmTailFusion {
  fuseLstmTail(ops: LstmTailOps): LstmTailKernel | null;
}

export function hasAttentionScoresFusion(op: Op): op is Op & AttentionScoresFusion {
  return typeof (op as Partial<AttentionScoresFusion>).fuseAttentionScores === 'function';
}

export function hasRowsBatchMatmul(op: Op): op is Op & RowsBatchMatmul {
  return typeof (op as Partial<RowsBatchMatmul>).forwardRows === 'function';
}

export function hasLstmTailFusion(op: Op): op is Op & LstmTailFusion {
  return typeof (op as Partial<LstmTailFusion>).fuseLstmTail === 'function';
}

/**
 * A fused kernel built for a fixed set of ops, rebuilt when one of them is replaced (setModule) and
 * bypassed while any of them is observed.
 */
export class FusionCache<K> {
  private ops: readonly Op[] = [];
  private kernel: K | null = null;

  /** The kernel for `ops` (built by `build` on first use or after a replacement), or null. */
  get(ops: readonly Op[], build: () => K | null): K | null {
    for (const op of ops) if (op.observed) return null;
    if (ops.length !== this.ops.length || ops.some((op, i) => op !== this.ops[i])) {
      this.ops = ops;
      this.kernel = build();
    }
    return this.kernel;
  }
}
