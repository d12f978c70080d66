/**
 * Normalized Bahdanau attention (gnmt-model.md §3.3) with Distiller's op children, in registration
 * order: linear_q, linear_k, dropout, eltwiseadd_qk, eltwiseadd_norm_bias, eltwisemul_norm_scaler,
 * tanh, matmul_score, softmax_att, context_matmul. Own parameters: linear_att (v), normalize_scalar (g),
 * normalize_bias (b_n).
 *
 * Decoder rows map to encoder sentences through `rowSentence` (beam search replicates each sentence
 * K times). Distiller replicates the keys per row and re-projects them at every step; qnmt does that
 * only when an op needs to see those tensors (observed or replaced), and otherwise projects the keys
 * once per batch and fuses scores, softmax and context per row (same float32 rounding points).
 */
import { Tensor } from '../tensor/tensor.js';
import { Module, type Op } from './module.js';
import { BatchMatmul, Dropout, EltwiseAdd, EltwiseMult, Linear, Matmul, Softmax, Tanh } from './ops.js';
import { isPlain } from './lstm.js';

/** Score written over padded source positions (the float16 minimum, as the reference). */
export const MASKED_SCORE = -65504.0;

/** The encoder output as the attention sees it; one entry per sentence of the batch. */
export interface AttentionKeys {
  /** Encoder context (S, T, H). */
  readonly context: Tensor;
  /** True source length of each sentence (S). */
  readonly lengths: Int32Array;
  /** linear_k(context) (S, T, H), computed once per batch when allowed (see `projectKeys`). */
  projected?: Tensor;
}

export class BahdanauAttention extends Module {
  readonly numUnits: number;
  /** v (H). */
  linearAtt: Tensor;
  /** g (1). */
  normalizeScalar: Tensor;
  /** b_n (H). */
  normalizeBias: Tensor;

  constructor(querySize: number, keySize: number, numUnits: number) {
    super();
    this.numUnits = numUnits;
    this.register('linear_q', new Linear(querySize, numUnits, false));
    this.register('linear_k', new Linear(keySize, numUnits, false));
    this.register('dropout', new Dropout(0));
    this.register('eltwiseadd_qk', new EltwiseAdd());
    this.register('eltwiseadd_norm_bias', new EltwiseAdd());
    this.register('eltwisemul_norm_scaler', new EltwiseMult());
    this.register('tanh', new Tanh());
    this.register('matmul_score', new Matmul());
    this.register('softmax_att', new Softmax());
    this.register('context_matmul', new BatchMatmul());
    this.linearAtt = Tensor.zeros([numUnits]);
    this.normalizeScalar = Tensor.zeros([1]);
    this.normalizeBias = Tensor.zeros([numUnits]);
  }

  /**
   * a = g · v/||v||: the division is plain float32 tensor math (outside ops), the product by g is
   * `eltwisemul_norm_scaler` with arguments (v/||v||, g).
   */
  private scaledAtt(): Tensor {
    const v = this.linearAtt.data;
    let ss = 0;
    for (let i = 0; i < v.length; i++) ss += v[i]! * v[i]!;
    const norm = Math.fround(Math.sqrt(ss));
    const unit = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) unit[i] = v[i]! / norm;
    return this.child<Op>('eltwisemul_norm_scaler').call(new Tensor(unit, [v.length]), this.normalizeScalar);
  }

  /** Whether the keys may be projected once per batch instead of at every step. */
  canCacheKeys(): boolean {
    return !this.child<Op>('linear_k').observed;
  }

  /** Project the keys once (rows are independent, so per-step re-projection gives the same rows). */
  projectKeys(keys: AttentionKeys): void {
    if (!keys.projected && this.canCacheKeys()) keys.projected = this.child<Op>('linear_k').call(keys.context);
  }

  private fusable(): boolean {
    return (
      isPlain(this.child<Op>('eltwiseadd_qk'), EltwiseAdd) &&
      isPlain(this.child<Op>('eltwiseadd_norm_bias'), EltwiseAdd) &&
      isPlain(this.child<Op>('tanh'), Tanh) &&
      isPlain(this.child<Op>('matmul_score'), Matmul) &&
      isPlain(this.child<Op>('softmax_att'), Softmax) &&
      isPlain(this.child<Op>('dropout'), Dropout) &&
      isPlain(this.child<Op>('context_matmul'), BatchMatmul) &&
      this.canCacheKeys()
    );
  }

  /**
   * query (R, 1, H), rowSentence (R) → context vectors (R, 1, H) and attention probabilities (R, 1, T).
   */
  forward(query: Tensor, keys: AttentionKeys, rowSentence: Int32Array): { context: Tensor; probs: Tensor } {
    const R = query.shape[0]!;
    const [, T, H] = keys.context.shape as [number, number, number];
    const pq = this.child<Op>('linear_q').call(query);
    const a = this.scaledAtt();
    if (this.fusable()) {
      this.projectKeys(keys);
      return this.fused(pq, a, keys, rowSentence, R, T, H);
    }
    // Distiller's tensors: keys replicated per row, query and keys expanded to (R, 1, T, H).
    const rowKeys = replicateRows(keys.context, rowSentence);
    let pk: Tensor;
    if (this.canCacheKeys()) {
      this.projectKeys(keys);
      pk = replicateRows(keys.projected!, rowSentence);
    } else {
      pk = this.child<Op>('linear_k').call(rowKeys);
    }
    const U = this.numUnits;
    const qExp = new Float32Array(R * T * U);
    for (let r = 0; r < R; r++) {
      const q = pq.data.subarray(r * U, r * U + U);
      for (let j = 0; j < T; j++) qExp.set(q, (r * T + j) * U);
    }
    const sumQk = this.child<Op>('eltwiseadd_qk').call(new Tensor(qExp, [R, 1, T, U]), pk.view([R, 1, T, U]));
    const biased = this.child<Op>('eltwiseadd_norm_bias').call(sumQk, this.normalizeBias);
    const th = this.child<Op>('tanh').call(biased);
    const scores = this.child<Op>('matmul_score').call(th, a);
    // In place after the op (its hooks saw the unmasked scores), as masked_fill_ on scores.data.
    for (let r = 0; r < R; r++) {
      const len = keys.lengths[rowSentence[r]!]!;
      for (let j = len; j < T; j++) scores.data[r * T + j] = MASKED_SCORE;
    }
    let probs = this.child<Op>('softmax_att').call(scores);
    probs = this.child<Op>('dropout').call(probs);
    const context = this.child<Op>('context_matmul').call(probs, rowKeys);
    return { context, probs };
  }

  private fused(
    pq: Tensor,
    a: Tensor,
    keys: AttentionKeys,
    rowSentence: Int32Array,
    R: number,
    T: number,
    H: number,
  ): { context: Tensor; probs: Tensor } {
    const U = this.numUnits;
    const fr = Math.fround;
    const pk = keys.projected!.data;
    const ctx = keys.context.data;
    const bn = this.normalizeBias.data;
    const av = a.data;
    const probs = new Float32Array(R * T);
    const out = new Float32Array(R * H);
    const e = new Float32Array(T); // float32 like the softmax op's output buffer
    for (let r = 0; r < R; r++) {
      const s = rowSentence[r]!;
      const len = keys.lengths[s]!;
      const qo = r * U;
      let max = -Infinity;
      for (let j = 0; j < len; j++) {
        const ko = (s * T + j) * U;
        let acc = 0;
        for (let h = 0; h < U; h++) {
          acc += fr(Math.tanh(fr(fr(pq.data[qo + h]! + pk[ko + h]!) + bn[h]!))) * av[h]!;
        }
        const v = fr(acc);
        e[j] = v;
        if (v > max) max = v;
      }
      // Masked positions hold -65504 → exp underflows to exactly 0, so they are skipped.
      if (len < T && MASKED_SCORE > max) max = MASKED_SCORE;
      let sum = 0;
      for (let j = 0; j < len; j++) {
        const x = Math.exp(e[j]! - max);
        e[j] = x;
        sum += x; // the op sums the unrounded exponentials and divides the rounded ones
      }
      for (let j = 0; j < len; j++) probs[r * T + j] = e[j]! / sum;
      // context = p · keys, accumulated in float32 in the same order as the bmm op.
      const o = r * H;
      for (let j = 0; j < len; j++) {
        const p = probs[r * T + j]!;
        if (p === 0) continue;
        const ko = (s * T + j) * H;
        for (let h = 0; h < H; h++) out[o + h] = out[o + h]! + p * ctx[ko + h]!;
      }
    }
    return { context: new Tensor(out, [R, 1, H]), probs: new Tensor(probs, [R, 1, T]) };
  }
}

/** rows[r] = src[rowSentence[r]] for a (S, T, H) tensor → (R, T, H). */
export function replicateRows(src: Tensor, rowSentence: Int32Array): Tensor {
  const [, T, H] = src.shape as [number, number, number];
  const block = T * H;
  const out = new Float32Array(rowSentence.length * block);
  for (let r = 0; r < rowSentence.length; r++) {
    const s = rowSentence[r]!;
    out.set(src.data.subarray(s * block, s * block + block), r * block);
  }
  return new Tensor(out, [rowSentence.length, T, H]);
}
