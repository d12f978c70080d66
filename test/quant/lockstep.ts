/**
 * Two models decoded in lock step: the fast quantized model drives the search (its rows, its
 * compaction of finished beams), the oracle model sees exactly the same words, sentences and beam
 * reorderings, and every step's decoder logits and attention probabilities must be bit-identical.
 */
import assert from 'node:assert/strict';
import type { Gnmt, GenerateResult } from '../../src/model/gnmt.js';
import type { AttentionKeys } from '../../src/model/attention.js';
import type { DecoderState } from '../../src/model/decoder.js';
import { logSoftmaxTopK } from '../../src/model/log-softmax-topk.js';

/** Index of the first differing element, or -1 (bit patterns, so −0/+0 and NaN payloads count). */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

export function assertSameFloats(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, oracle has ${want.length}`);
  const i = firstDifference(got, want);
  assert.equal(i, -1, `${what}: value ${i} is ${got[i]} on the fast path, ${want[i]} in the oracle`);
}

export class Lockstep {
  private readonly oracleKeys = new Map<AttentionKeys, AttentionKeys>();
  /** Decoder steps and logits compared so far. */
  steps = 0;
  logits = 0;
  label = '';

  constructor(readonly fast: Gnmt, readonly oracle: Gnmt) {}

  /** Encode on both; the encoder outputs must be identical. */
  encode(src: Int32Array, lengths: Int32Array, T: number): AttentionKeys {
    const k = this.fast.encode(src, lengths, T);
    const o = this.oracle.encode(src, lengths, T);
    assertSameFloats(k.context.data, o.context.data, `${this.label} encoder output`);
    this.oracleKeys.set(k, o);
    return k;
  }

  rowsIndependent(): boolean {
    return this.fast.rowsIndependent();
  }

  generate(words: Int32Array, keys: AttentionKeys, rowSentence: Int32Array, state: DecoderState | null, k: number): GenerateResult {
    const L = this.fast.decoder.numLayers;
    const a = this.fast.decoder.step(words, keys, rowSentence, state && { layers: state.layers.slice(0, L) });
    const b = this.oracle.decoder.step(words, this.oracleKeys.get(keys)!, rowSentence, state && { layers: state.layers.slice(L) });
    this.steps++;
    assertSameFloats(a.logits.data, b.logits.data, `${this.label} step ${this.steps} logits (${words.length} rows)`);
    assertSameFloats(a.probs.data, b.probs.data, `${this.label} step ${this.steps} attention`);
    this.logits += a.logits.numel;
    const { ids, logprobs } = logSoftmaxTopK(a.logits.data, words.length, a.logits.lastDim, k);
    // Both models' states travel together through the search's row selections.
    return { ids, logprobs, probs: a.probs, state: { layers: [...a.state.layers, ...b.state.layers] } };
  }
}
