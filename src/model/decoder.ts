/**
 * ResidualRecurrentDecoder with RecurrentAttention and Classifier (gnmt-model.md §3.4, §3.5), one
 * decoding step at a time (t = 1, as in beam search). Children in Distiller's registration order:
 * att_rnn (rnn, attn, dropout), rnn_layers, embedder (shared), classifier.classifier, dropout,
 * eltwiseadd_residuals, attention_concats.
 */
import { Tensor } from '../tensor/tensor.js';
import { Module, type Op } from './module.js';
import { Concat, Dropout, EltwiseAdd, Linear, type Embedding } from './ops.js';
import { ModuleList } from './containers.js';
import { DistillerLSTM, type LstmState } from './lstm.js';
import { BahdanauAttention, type AttentionKeys } from './attention.js';

/** Recurrent state of all decoder LSTMs for R rows: [att_rnn, rnn_layers.0, …], each (R, H). */
export interface DecoderState {
  readonly layers: readonly LstmState[];
}

export class RecurrentAttention extends Module {
  constructor(hiddenSize: number) {
    super();
    this.register('rnn', new DistillerLSTM(hiddenSize, hiddenSize));
    this.register('attn', new BahdanauAttention(hiddenSize, hiddenSize, hiddenSize));
    this.register('dropout', new Dropout(0));
  }

  get attention(): BahdanauAttention {
    return this.child<BahdanauAttention>('attn');
  }

  /** x (R, 1, H) → rnn output (R, 1, H), new state, attention context (R, 1, H), probs (R, 1, T). */
  forward(
    x: Tensor,
    state: LstmState,
    keys: AttentionKeys,
    rowSentence: Int32Array,
  ): { out: Tensor; state: LstmState; attn: Tensor; probs: Tensor } {
    const R = x.shape[0]!;
    const H = x.lastDim;
    const next = this.child<DistillerLSTM>('rnn').cell.step(x.view([R, H]), state);
    const rnnOut = next.h.view([R, 1, H]);
    const { context, probs } = this.attention.forward(rnnOut, keys, rowSentence);
    const out = this.child<Op>('dropout').call(rnnOut);
    return { out, state: next, attn: context, probs };
  }
}

/** Classifier: one nn.Linear named `classifier`; logits sliced to the vocabulary (fp16 padding). */
export class Classifier extends Module {
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, paddedOut = outFeatures) {
    super();
    this.outFeatures = outFeatures;
    this.register('classifier', new Linear(inFeatures, paddedOut, true));
  }

  forward(x: Tensor): Tensor {
    const y = this.child<Op>('classifier').call(x);
    const n = y.lastDim;
    if (n === this.outFeatures) return y;
    const rows = y.rows;
    const out = new Float32Array(rows * this.outFeatures);
    for (let r = 0; r < rows; r++) out.set(y.data.subarray(r * n, r * n + this.outFeatures), r * this.outFeatures);
    return new Tensor(out, [...y.shape.slice(0, -1), this.outFeatures]);
  }
}

export class ResidualRecurrentDecoder extends Module {
  readonly hiddenSize: number;
  readonly numLayers: number;

  constructor(
    vocabSize: number,
    hiddenSize: number,
    numLayers: number,
    dropout: number,
    embedder: Embedding,
    classifierRows = vocabSize,
  ) {
    super();
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    const H = hiddenSize;
    this.register('att_rnn', new RecurrentAttention(H));
    this.register('rnn_layers', new ModuleList(Array.from({ length: numLayers - 1 }, () => new DistillerLSTM(2 * H, H))));
    this.register('embedder', embedder);
    this.register('classifier', new Classifier(H, vocabSize, classifierRows));
    this.register('dropout', new Dropout(dropout));
    this.register('eltwiseadd_residuals', new ModuleList(Array.from({ length: numLayers - 2 }, () => new EltwiseAdd())));
    this.register('attention_concats', new ModuleList(Array.from({ length: numLayers - 1 }, () => new Concat(2))));
  }

  get attRnn(): RecurrentAttention {
    return this.child<RecurrentAttention>('att_rnn');
  }

  zeroState(rows: number): DecoderState {
    const H = this.hiddenSize;
    return {
      layers: Array.from({ length: this.numLayers }, () => ({ h: Tensor.zeros([rows, H]), c: Tensor.zeros([rows, H]) })),
    };
  }

  /**
   * One step for R rows: words (R) → logits (R, 1, V), attention probs (R, 1, T), new state.
   * `state` null = zeros (first step).
   */
  step(
    words: Int32Array,
    keys: AttentionKeys,
    rowSentence: Int32Array,
    state: DecoderState | null,
  ): { logits: Tensor; probs: Tensor; state: DecoderState } {
    const R = words.length;
    const H = this.hiddenSize;
    const st = state ?? this.zeroState(R);
    const ids = new Float32Array(R);
    for (let r = 0; r < R; r++) ids[r] = words[r]!;
    const emb = this.child<Op>('embedder').call(new Tensor(ids, [R, 1]));
    const att = this.attRnn.forward(emb, st.layers[0]!, keys, rowSentence);
    const next: LstmState[] = [att.state];
    const layers = this.child<ModuleList<DistillerLSTM>>('rnn_layers');
    const concats = this.child<ModuleList<Op>>('attention_concats');
    const residuals = this.child<ModuleList<Op>>('eltwiseadd_residuals');
    const dropout = this.child<Op>('dropout');

    let x = dropout.call(att.out);
    x = concats.at(0).call(x, att.attn);
    let s = layers.at(0).cell.step(x.view([R, 2 * H]), st.layers[1]!);
    next.push(s);
    x = s.h.view([R, 1, H]);
    for (let i = 1; i < this.numLayers - 1; i++) {
      const residual = x;
      x = dropout.call(x);
      x = concats.at(i).call(x, att.attn);
      s = layers.at(i).cell.step(x.view([R, 2 * H]), st.layers[i + 1]!);
      next.push(s);
      x = residuals.at(i - 1).call(s.h.view([R, 1, H]), residual);
    }
    const logits = this.child<Classifier>('classifier').forward(x);
    return { logits, probs: att.probs, state: { layers: next } };
  }
}

/** State rows picked by index (beam reordering, dropping finished sentences). */
export function selectStateRows(state: DecoderState, index: Int32Array): DecoderState {
  return { layers: state.layers.map((l) => ({ h: gatherRows2d(l.h, index), c: gatherRows2d(l.c, index) })) };
}

/** out[r] = t[index[r]] for a (N, F) tensor. */
export function gatherRows2d(t: Tensor, index: Int32Array): Tensor {
  const F = t.lastDim;
  const out = new Float32Array(index.length * F);
  for (let r = 0; r < index.length; r++) {
    const i = index[r]!;
    out.set(t.data.subarray(i * F, i * F + F), r * F);
  }
  return new Tensor(out, [index.length, F]);
}
