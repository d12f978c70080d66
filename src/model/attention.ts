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
import { kernels } from '../tensor/backend.js';
import { Module, type Op } from './module.js';
import { BatchMatmul, Dropout, EltwiseAdd, EltwiseMult, Linear, Matmul, Softmax, Tanh } from './ops.js';
import { isPlain } from './lstm.js';
import { FusionCache, hasAttentionScoresFusion, hasRowsBatchMatmul, type AttentionScoresKernel } from './fused-capabilities.js';

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
  /** The replaced score chain's fused form (fused-capabilities.ts), when its ops offer one. */
  private readonly scoresFusion = new FusionCache<AttentionScoresKernel>();

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
    const replaced = this.replacedScores(pq, a, keys, rowSentence, R, T);
    if (replaced) return replaced;
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

  /**
   * The score chain through its replacement's fused form (e.g. quantized: byte lookups) when the
   * ops offer one and nothing observes them; softmax, dropout and context stay op calls (the context
   * through `forwardRows` when offered: keys not replicated). Null: run the ops one by one.
   */
  private replacedScores(
    pq: Tensor,
    a: Tensor,
    keys: AttentionKeys,
    rowSentence: Int32Array,
    R: number,
    T: number,
  ): { context: Tensor; probs: Tensor } | null {
    if (!this.canCacheKeys()) return null;
    const qk = this.child<Op>('eltwiseadd_qk');
    if (!hasAttentionScoresFusion(qk)) return null;
    const nb = this.child<Op>('eltwiseadd_norm_bias');
    const th = this.child<Op>('tanh');
    const sc = this.child<Op>('matmul_score');
    const kernel = this.scoresFusion.get([qk, nb, th, sc], () => qk.fuseAttentionScores(nb, th, sc));
    if (!kernel) return null;
    this.projectKeys(keys);
    const scoreData = kernel.run(pq.data, keys.projected!.data, rowSentence, T, this.numUnits, this.normalizeBias.data, a.data, keys.lengths);
    if (!scoreData) return null;
    for (let r = 0; r < R; r++) {
      const len = keys.lengths[rowSentence[r]!]!;
      for (let j = len; j < T; j++) scoreData[r * T + j] = MASKED_SCORE;
    }
    let probs = this.child<Op>('softmax_att').call(new Tensor(scoreData, [R, 1, T]));
    probs = this.child<Op>('dropout').call(probs);
    const cm = this.child<Op>('context_matmul');
    const context =
      (!cm.observed && hasRowsBatchMatmul(cm) && cm.forwardRows(probs, keys.context, rowSentence)) ||
      cm.call(probs, replicateRows(keys.context, rowSentence));
    return { context, probs };
  }

  /** Scores, softmax and context in one kernel call per step (kernels().attentionF32). */
  private fused(
    pq: Tensor,
    a: Tensor,
    keys: AttentionKeys,
    rowSentence: Int32Array,
    R: number,
    T: number,
    H: number,
  ): { context: Tensor; probs: Tensor } {
    const probs = new Float32Array(R * T);
    const out = new Float32Array(R * H);
    kernels().attentionF32(
      R,
      T,
      this.numUnits,
      H,
      pq.data,
      keys.projected!.data,
      this.normalizeBias.data,
      a.data,
      keys.context.data,
      keys.lengths,
      rowSentence,
      probs,
      out,
    );
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
