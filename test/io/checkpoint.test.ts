import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gnmtStateDictKeys, loadCheckpoint, stripModulePrefix } from '../../src/io/checkpoint.js';
import { fixtureDir } from '../paths.js';

const fixture = join(fixtureDir, 'model_best.pth');

test('loads the trained multi30k fixture (legacy format) as described in its README §2', async () => {
  const ck = await loadCheckpoint(fixture);
  assert.deepEqual([...ck.stateDict.keys()], gnmtStateDictKeys(4));
  assert.deepEqual(ck.modelConfig, { hidden_size: 256, num_layers: 4, dropout: 0.2, share_embedding: true });
  assert.equal(ck.math, 'fp32');
  assert.equal(ck.meta.epoch, 10);
  assert.equal(ck.meta.loss, 3.0300864986765874);
  assert.equal(ck.meta.iteration, 157);
  assert.equal(ck.meta.format, 'legacy');
  // idx2tok == the 4 specials + vocab.bpe (README §1).
  const bpe = readFileSync(join(fixtureDir, 'vocab.bpe'), 'utf8').split('\n').filter((l) => l !== '');
  assert.deepEqual(ck.vocab, ['<pad>', '<unk>', '<s>', '<\\s>', ...bpe]);
  assert.equal(ck.vocab.length, 7947);

  let total = 0;
  for (const t of ck.stateDict.values()) total += t.numel;
  assert.equal(total, 12_028_428);
  // Views, not copies: every tensor lives in one buffer; the shared embedding is the same bytes.
  const buffers = new Set([...ck.stateDict.values()].map((t) => t.data.buffer));
  assert.equal(buffers.size, 1);
  const enc = ck.stateDict.get('encoder.embedder.weight')!;
  const dec = ck.stateDict.get('decoder.embedder.weight')!;
  assert.equal(enc.data.byteOffset, dec.data.byteOffset);
  assert.deepEqual(enc.shape, [7947, 256]);
  // LSTM tensors are views into one flattened cuDNN storage at the README's offsets.
  const base = ck.stateDict.get('decoder.rnn_layers.0.weight_ih_l0')!.data.byteOffset;
  const off = (k: string): number => (ck.stateDict.get(`decoder.rnn_layers.0.${k}`)!.data.byteOffset - base) / 4;
  assert.deepEqual([off('weight_hh_l0'), off('bias_ih_l0'), off('bias_hh_l0')], [524288, 786432, 787456]);
  const ebase = ck.stateDict.get('encoder.rnn_layers.0.weight_ih_l0')!.data.byteOffset;
  assert.equal((ck.stateDict.get('encoder.rnn_layers.0.bias_hh_l0_reverse')!.data.byteOffset - ebase) / 4, 1051648);
  // The padding row of the shared embedding (padding_idx=0) is the zero vector the trainer kept.
  assert.ok(enc.data.subarray(0, 256).every((x) => x === 0));
});

test('module. rule: every occurrence is removed once any key contains it (spec §1.3)', () => {
  assert.deepEqual(stripModulePrefix([['module.encoder.module.x', 1], ['decoder.y', 2]]), [['encoder.x', 1], ['decoder.y', 2]]);
  assert.deepEqual(stripModulePrefix([['encoder.x', 1]]), [['encoder.x', 1]]);
});
