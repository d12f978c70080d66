/**
 * The GNMT model (MLPerf v0.5 / Distiller examples/GNMT) as a Module tree whose dotted names are
 * Distiller's after LSTM conversion (gnmt-model.md §4, §5.3): children `encoder` and `decoder`; the
 * shared embedding is one object registered as `encoder.embedder` and `decoder.embedder`.
 */
import { Tensor } from '../tensor/tensor.js';
import { Module, Op } from './module.js';
import { BatchMatmul, Concat, Dropout, Embedding, EltwiseAdd, EltwiseMult, Linear, Matmul, Sigmoid, Softmax, Tanh } from './ops.js';
import { ResidualRecurrentEncoder } from './encoder.js';
import { ResidualRecurrentDecoder, type DecoderState } from './decoder.js';
import type { AttentionKeys } from './attention.js';
import { logSoftmaxTopK } from './log-softmax-topk.js';

export interface GnmtConfig {
  vocabSize: number;
  hiddenSize: number;
  /** LSTM layers per side (encoder: 1 bidirectional + numLayers−1; decoder: attention LSTM + numLayers−1). */
  numLayers: number;
  dropout: number;
  shareEmbedding: boolean;
  /** 'fp32' (classifier rows = vocabSize) or 'fp16' (classifier rows padded to a multiple of 8). */
  math: string;
}

/** Output of one `generate` call for R rows. */
export interface GenerateResult {
  /** Top-k token ids per row, best first (R·k). */
  ids: Int32Array;
  /** Their log-probabilities (R·k), float32. */
  logprobs: Float32Array;
  /** Attention probabilities (R, 1, T). */
  probs: Tensor;
  state: DecoderState;
}

export class Gnmt extends Module {
  readonly config: GnmtConfig;

  constructor(config: GnmtConfig) {
    super();
    if (config.numLayers < 2) throw new RangeError(`GNMT needs num_layers >= 2, got ${config.numLayers}`);
    this.config = { ...config };
    const { vocabSize: V, hiddenSize: H, numLayers: L, dropout } = config;
    const encEmb = new Embedding(V, H);
    const decEmb = config.shareEmbedding ? encEmb : new Embedding(V, H);
    const classifierRows = config.math === 'fp16' ? Math.ceil(V / 8) * 8 : V;
    this.register('encoder', new ResidualRecurrentEncoder(H, L, dropout, encEmb));
    this.register('decoder', new ResidualRecurrentDecoder(V, H, L, dropout, decEmb, classifierRows));
  }

  get encoder(): ResidualRecurrentEncoder {
    return this.child<ResidualRecurrentEncoder>('encoder');
  }

  get decoder(): ResidualRecurrentDecoder {
    return this.child<ResidualRecurrentDecoder>('decoder');
  }

  /**
   * Encode a padded batch: src ids (B·T, row-major, 0-padded), lengths (B, non-increasing).
   * Returns the attention keys for the decoder (context (B, T, H) and lengths).
   */
  encode(src: Int32Array, lengths: Int32Array, T: number): AttentionKeys {
    const B = lengths.length;
    if (src.length !== B * T) throw new RangeError(`encode: ${src.length} ids for ${B}×${T}`);
    const ids = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) ids[i] = src[i]!;
    const context = this.encoder.forward(new Tensor(ids, [B, T]), lengths);
    return { context, lengths: Int32Array.from(lengths) };
  }

  /**
   * True when nothing observes any leaf op and every leaf op is a plain FP32 op or declares
   * `rowsIndependent === true` (quantized wrappers with fixed, calibrated parameters do): then each
   * decoder row is computed independently of the others, and a search may leave out rows whose
   * outputs it would ignore (finished beams) without changing any number. Observed or recorded models
   * keep Distiller's full batches (statistics per call), and so do ops that do not declare independence.
   */
  rowsIndependent(): boolean {
    for (const [, m] of this.namedModules()) {
      if (!m.isLeaf) continue;
      const op = m as Op & { readonly rowsIndependent?: unknown };
      if (op.observed || op.recorded) return false;
      if (!PLAIN_OPS.has(op.constructor) && op.rowsIndependent !== true) return false;
    }
    return true;
  }

  /**
   * One decoder step for R rows followed by log-softmax and top-k (GNMT.generate): words (R), the
   * sentence of each row (index into keys), previous state (null = zeros).
   */
  generate(
    words: Int32Array,
    keys: AttentionKeys,
    rowSentence: Int32Array,
    state: DecoderState | null,
    k: number,
  ): GenerateResult {
    const { logits, probs, state: next } = this.decoder.step(words, keys, rowSentence, state);
    const { ids, logprobs } = logSoftmaxTopK(logits.data, words.length, logits.lastDim, k);
    return { ids, logprobs, probs, state: next };
  }
}

/** True when every leaf op of `model` is a plain FP32 op (no wrapper or subclass). */
export function allPlainOps(model: Module): boolean {
  for (const [, m] of model.namedModules()) if (m.isLeaf && m instanceof Op && !PLAIN_OPS.has(m.constructor)) return false;
  return true;
}

/** The FP32 op classes (exact classes: quantized wrappers and subclasses are not plain). */
const PLAIN_OPS: ReadonlySet<unknown> = new Set([
  Linear,
  Embedding,
  EltwiseAdd,
  EltwiseMult,
  Matmul,
  BatchMatmul,
  Concat,
  Sigmoid,
  Tanh,
  Softmax,
  Dropout,
]);
