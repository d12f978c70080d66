/**
 * The GNMT module tree and numerics on the bundled fixture (a real MLPerf-trained checkpoint with
 * reference outputs from the MLPerf v0.5 PyTorch code, fixtures/multi30k-gnmt256/README.md §5).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { Gnmt } from '../../src/model/gnmt.js';
import { Embedding } from '../../src/model/ops.js';
import { fixtureDir } from '../paths.js';
import { fixtureModel, parityFile } from './fixture-model.js';

const statsYaml = (): Record<string, unknown> =>
  parse(readFileSync(join(fixtureDir, 'calibration/model_stats.yaml'), 'utf8')) as Record<string, unknown>;

test('leaf module names and order equal the 138 entries of Distiller\'s stats file', () => {
  const model = new Gnmt({ vocabSize: 50, hiddenSize: 8, numLayers: 4, dropout: 0.2, shareEmbedding: true, math: 'fp32' });
  const leaves = [...model.namedModules()].filter(([, m]) => m.isLeaf).map(([n]) => n);
  const expected = Object.keys(statsYaml());
  assert.equal(expected.length, 138);
  assert.deepEqual(leaves, expected);
});

test('shared embedding: one object under encoder.embedder and decoder.embedder', () => {
  const model = new Gnmt({ vocabSize: 50, hiddenSize: 8, numLayers: 4, dropout: 0.2, shareEmbedding: true, math: 'fp32' });
  const enc = model.getModule('encoder.embedder');
  assert.ok(enc instanceof Embedding);
  assert.equal(model.getModule('decoder.embedder'), enc);
  const all = [...model.allNamedModules()].map(([n]) => n);
  assert.ok(all.includes('decoder.embedder'));
  assert.ok(all.includes('encoder.rnn_layers.0.cells_reverse.0.fc_gate_x'));
  assert.ok(!all.includes('encoder.rnn_layers.1.cells_reverse'));
});

test('parity: encoder output of sentence 0 and the first 3 greedy steps (first8.json)', async () => {
  const { model } = await fixtureModel();
  const p = parityFile();
  const rows = p.batch_order.map((i) => p.sentences[i]!);
  const T = rows[0]!.src_len;
  const B = rows.length;
  const src = new Int32Array(B * T);
  const lengths = new Int32Array(B);
  rows.forEach((s, b) => {
    lengths[b] = s.src_len;
    src.set(s.src_ids, b * T);
  });
  const keys = model.encode(src, lengths, T);
  const H = model.config.hiddenSize;
  const row0 = p.sentences[0]!.batch_row;
  const ref = p.encoder_output_sentence0;
  const ours = keys.context.data.subarray(row0 * T * H, row0 * T * H + ref.shape[0] * H);
  assertClose(ours, ref.data, 1e-4, 'encoder output');
  for (const cs of p.encoder_output_checksums) {
    const r = p.sentences[cs.index]!.batch_row;
    const v = keys.context.data.subarray(r * T * H, r * T * H + cs.src_len * H);
    let abs = 0;
    for (const x of v) abs += Math.abs(x);
    assert.ok(Math.abs(abs - cs.abs_sum) <= 1e-4 * cs.abs_sum, `abs sum of sentence ${cs.index}: ${abs} vs ${cs.abs_sum}`);
  }

  // Greedy steps for the whole batch of 8; sentence 0 is row `row0`.
  const V = model.config.vocabSize;
  const rowSentence = Int32Array.from({ length: B }, (_, i) => i);
  let words = new Int32Array(B).fill(2);
  let state = null;
  for (const step of p.greedy_steps_sentence0.steps) {
    const out = model.decoder.step(words, keys, rowSentence, state);
    assertClose(out.logits.data.subarray(row0 * V, row0 * V + V), step.logits, 1e-4, `logits of step ${step.step}`);
    const gen = model.generate(words, keys, rowSentence, state, 5);
    assert.deepEqual([...gen.ids.subarray(row0 * 5, row0 * 5 + 5)], step.top5_ids);
    assertClose(gen.logprobs.subarray(row0 * 5, row0 * 5 + 5), step.top5_logprobs, 1e-4, 'top-5 log-probabilities');
    assert.equal(gen.ids[row0 * 5], step.chosen_id);
    words = Int32Array.from({ length: B }, (_, r) => gen.ids[r * 5]!);
    state = gen.state;
  }
});

/** max |a − b| ≤ tol · max |b| (relative to the tensor's scale; the reference has 6 significant digits). */
function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = 0;
  let maxErr = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    maxErr = Math.max(maxErr, Math.abs(a[i]! - b[i]!));
  }
  assert.ok(maxErr <= tol * scale, `${what}: max abs error ${maxErr} > ${tol} × ${scale}`);
}
