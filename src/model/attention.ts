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
import { SampleStats, rowQuads } from '../tensor/sample-stats.js';
import { QUAD } from '../tensor/stats-kernels.js';
import { quadColumn } from './record-calls.js';

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
  /** Per-sentence quads of context and projected keys, for recorded calls (computed once per batch). */
  sentenceStats?: { context: Float64Array; projected: Float64Array };
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

  /**
   * Project the keys once (rows are independent, so per-step re-projection gives the same rows). Not a
   * call of Distiller's: recorders get the per-step calls from `recordKeyProjection`.
   */
  projectKeys(keys: AttentionKeys): void {
    if (!keys.projected && this.canCacheKeys()) keys.projected = this.child<Op>('linear_k').forward(keys.context);
  }

  /** Per-sentence quads of the keys (cached on `keys`); keys must be projected. */
  private sentenceStats(keys: AttentionKeys): { context: Float64Array; projected: Float64Array } {
    const S = keys.lengths.length;
    keys.sentenceStats ??= { context: rowQuads(keys.context.data, S), projected: rowQuads(keys.projected!.data, S) };
    return keys.sentenceStats;
  }

  /** linear_k's call of one step as Distiller makes it: the keys replicated per row, (R, T, H) → (R, T, U). */
  private recordKeyProjection(keys: AttentionKeys, rowSentence: Int32Array): void {
    const linearK = this.child<Op>('linear_k');
    if (!linearK.recorded) return;
    const [, T, H] = keys.context.shape as [number, number, number];
    const R = rowSentence.length;
    const st = this.sentenceStats(keys);
    linearK.recordCall([new SampleStats([R, T, H], st.context, rowSentence)], new SampleStats([R, T, this.numUnits], st.projected, rowSentence));
  }

  /**
   * The calls of the fused step (linear_k … context_matmul), reported with the tensors Distiller's ops
   * see: query expanded over T, keys replicated per row, every position including padded ones (the
   * score chain's values from kernels().attentionScoreStatsF32, the fused kernel's arithmetic).
   */
  private recordFusedCalls(pq: Tensor, a: Tensor, keys: AttentionKeys, rowSentence: Int32Array, probs: Tensor, context: Tensor): void {
    const names = ['linear_k', 'eltwiseadd_qk', 'eltwiseadd_norm_bias', 'tanh', 'matmul_score', 'softmax_att', 'dropout', 'context_matmul'];
    if (!names.some((n) => this.child<Op>(n).recorded)) return;
    const R = rowSentence.length;
    const [, T, H] = keys.context.shape as [number, number, number];
    const U = this.numUnits;
    this.recordKeyProjection(keys, rowSentence);
    const st = this.sentenceStats(keys);
    const scores = new Float32Array(R * T);
    const chain = new Float64Array(R * 3 * QUAD);
    kernels().attentionScoreStatsF32(R, T, U, pq.data, keys.projected!.data, rowSentence, this.normalizeBias.data, a.data, scores, chain);
    // The query expanded over T positions: each row's extremes, T times its sums.
    const qExp = rowQuads(pq.data, R);
    for (let o = 0; o < qExp.length; o += QUAD) {
      qExp[o + 2] = qExp[o + 2]! * T;
      qExp[o + 3] = qExp[o + 3]! * T;
    }
    const chainShape = [R, 1, T, U];
    const [sum, biased, th] = [0, 1, 2].map((k) => new SampleStats(chainShape, quadColumn(chain, 3, k))) as [SampleStats, SampleStats, SampleStats];
    this.child<Op>('eltwiseadd_qk').recordCall([new SampleStats(chainShape, qExp), new SampleStats(chainShape, st.projected, rowSentence)], sum);
    this.child<Op>('eltwiseadd_norm_bias').recordCall([sum, this.normalizeBias], biased);
    this.child<Op>('tanh').recordCall([biased], th);
    this.child<Op>('matmul_score').recordCall([th, a], new SampleStats([R, 1, T], rowQuads(scores, R)));
    maskScores(scores, keys.lengths, rowSentence, T);
    this.child<Op>('softmax_att').recordCall([new SampleStats([R, 1, T], rowQuads(scores, R))], probs);
    this.child<Op>('dropout').recordCall([probs], probs);
    this.child<Op>('context_matmul').recordCall([probs, new SampleStats([R, T, H], st.context, rowSentence)], context);
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
      const result = this.fused(pq, a, keys, rowSentence, R, T, H);
      this.recordFusedCalls(pq, a, keys, rowSentence, result.probs, result.context);
      return result;
    }
    const replaced = this.replacedScores(pq, a, keys, rowSentence, R, T);
    if (replaced) return replaced;
    // Distiller's tensors: keys replicated per row, query and keys expanded to (R, 1, T, H).
    const rowKeys = replicateRows(keys.context, rowSentence);
    let pk: Tensor;
    if (this.canCacheKeys()) {
      this.projectKeys(keys);
      this.recordKeyProjection(keys, rowSentence);
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
    maskScores(scores.data, keys.lengths, rowSentence, T);
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
    maskScores(scoreData, keys.lengths, rowSentence, T);
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

/** masked_fill_: scores (R, T) of positions at or beyond the row's sentence length := MASKED_SCORE. */
function maskScores(scores: Float32Array, lengths: Int32Array, rowSentence: Int32Array, T: number): void {
  for (let r = 0; r < rowSentence.length; r++) {
    const len = lengths[rowSentence[r]!]!;
    for (let j = len; j < T; j++) scores[r * T + j] = MASKED_SCORE;
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
