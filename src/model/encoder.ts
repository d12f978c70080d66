/**
 * ResidualRecurrentEncoder (gnmt-model.md §3.2): embedding, bidirectional layer 0 on the packed
 * sequence, layer 1, then residual layers 2.. . Children in Distiller's registration order:
 * rnn_layers, dropout, embedder, eltwiseadd_residuals.
 */
import { Tensor } from '../tensor/tensor.js';
import { Module, type Op } from './module.js';
import { Dropout, EltwiseAdd, type Embedding } from './ops.js';
import { ModuleList } from './containers.js';
import { DistillerLSTM, anyObserved, anyRecorded, type LstmState } from './lstm.js';
import { SampleStats, rowQuads } from '../tensor/sample-stats.js';

export class ResidualRecurrentEncoder extends Module {
  readonly hiddenSize: number;
  readonly numLayers: number;

  constructor(hiddenSize: number, numLayers: number, dropout: number, embedder: Embedding) {
    super();
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    const H = hiddenSize;
    const layers = new ModuleList<DistillerLSTM>();
    layers.append(new DistillerLSTM(H, H, true));
    layers.append(new DistillerLSTM(2 * H, H));
    for (let i = 2; i < numLayers; i++) layers.append(new DistillerLSTM(H, H));
    this.register('rnn_layers', layers);
    this.register('dropout', new Dropout(dropout));
    this.register('embedder', embedder);
    this.register('eltwiseadd_residuals', new ModuleList(Array.from({ length: numLayers - 2 }, () => new EltwiseAdd())));
  }

  private layer(i: number): DistillerLSTM {
    return this.child<ModuleList<DistillerLSTM>>('rnn_layers').at(i);
  }

  /**
   * src: ids (B, T) as a float tensor, padded with 0; lengths (B), non-increasing, each ≥ 1.
   * Returns the context (B, T, H).
   */
  forward(src: Tensor, lengths: Int32Array): Tensor {
    const B = src.shape[0]!;
    if (lengths.length !== B) throw new RangeError(`encoder: ${lengths.length} lengths for ${B} rows`);
    for (let b = 1; b < B; b++) {
      if (lengths[b]! > lengths[b - 1]!) throw new RangeError('encoder: lengths must be sorted in decreasing order');
    }
    const dropout = this.child<Op>('dropout');
    const emb = this.child<Op>('embedder').call(src);
    let x = this.bidirectional(emb, lengths);
    x = dropout.call(x);
    x = this.layer(1).runPadded(x);
    for (let i = 2; i < this.numLayers; i++) {
      const residual = x;
      x = dropout.call(x);
      x = this.layer(i).runPadded(x);
      x = this.child<ModuleList<Op>>('eltwiseadd_residuals').at(i - 2).call(x, residual);
    }
    return x;
  }

  /**
   * Layer 0 on the packed batch: forward over positions 0..len-1 and reverse over len-1..0 of each
   * row, output [fwd ; rev] (B, T, 2H) with zeros at padded positions.
   */
  private bidirectional(emb: Tensor, lengths: Int32Array): Tensor {
    const lstm = this.layer(0);
    const [B, T, H] = emb.shape as [number, number, number];
    const out = new Float32Array(B * T * 2 * H);
    if (anyObserved(lstm)) {
      // Distiller: each sentence separately as a batch of one, one call per token, forward then reverse.
      for (let b = 0; b < B; b++) {
        const len = lengths[b]!;
        for (const [cell, half] of [[lstm.cell, 0], [lstm.reverseCell, 1]] as const) {
          let state = cell.zeroState(1);
          for (let s = 0; s < len; s++) {
            const t = half === 0 ? s : len - 1 - s;
            const xt = new Tensor(emb.data.slice((b * T + t) * H, (b * T + t + 1) * H), [1, H]);
            state = cell.step(xt, state);
            out.set(state.h.data, (b * T + t) * 2 * H + half * H);
          }
        }
      }
      return new Tensor(out, [B, T, 2 * H]);
    }
    // Fast path: all sentences at once. Rows are sorted by length, so the rows still running at
    // step s are a prefix of the batch (state is carried as prefix views). Recorded ops get
    // Distiller's calls reported one row at a time (every call has the same size, so their order
    // within a step does not change the statistics).
    const embQuads = anyRecorded(lstm) ? rowQuads(emb.data, B * T) : null;
    for (const [cell, half] of [[lstm.cell, 0], [lstm.reverseCell, 1]] as const) {
      const fcX = cell.child<Op>('fc_gate_x');
      const gxAll = fcX.forward(emb.view([B * T, H])).data;
      const gxQuads = embQuads && fcX.recorded ? rowQuads(gxAll, B * T) : null;
      let state: LstmState = cell.zeroState(B);
      for (let s = 0; s < T; s++) {
        let n = 0;
        while (n < B && lengths[n]! > s) n++;
        if (n === 0) break;
        const gx = new Float32Array(n * 4 * H);
        for (let b = 0; b < n; b++) {
          const t = half === 0 ? s : lengths[b]! - 1 - s;
          gx.set(gxAll.subarray((b * T + t) * 4 * H, (b * T + t + 1) * 4 * H), b * 4 * H);
          if (gxQuads) {
            const row = b * T + t;
            fcX.recordCall([new SampleStats([1, H], embQuads!, null, row)], new SampleStats([1, 4 * H], gxQuads, null, row));
          }
        }
        state = cell.stepFromGates(new Tensor(gx, [n, 4 * H]), prefix(state, n, H), true);
        const h = state.h.data;
        for (let b = 0; b < n; b++) {
          const t = half === 0 ? s : lengths[b]! - 1 - s;
          out.set(h.subarray(b * H, b * H + H), (b * T + t) * 2 * H + half * H);
        }
      }
    }
    return new Tensor(out, [B, T, 2 * H]);
  }
}

function prefix(state: LstmState, n: number, H: number): LstmState {
  if (state.h.rows === n) return state;
  return {
    h: new Tensor(state.h.data.subarray(0, n * H), [n, H]),
    c: new Tensor(state.c.data.subarray(0, n * H), [n, H]),
  };
}

