import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gnmtStateDictKeys, loadCheckpoint, stripModulePrefix } from '../../src/io/checkpoint.js';
import { QnmtError } from '../../src/errors.js';
import { fixtureDir, testFixtures } from '../paths.js';

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

// --- generated fixtures: test/fixtures/gnmt-tiny/*.pth and manifest.json, written by tools/make_fixtures.py
// (PyTorch 1.13 torch.save). The manifest holds, per state_dict key, sums and first values computed by PyTorch.
interface KeyInfo { shape: number[]; sum: number; abs_sum: number; first: number[]; last: number }
interface FileInfo {
  format: 'legacy' | 'zip'; error?: string; notes: string;
  model_config?: object; math?: string; epoch?: number; loss?: number; iteration?: number; vocab?: string[];
  state_dict?: Record<string, KeyInfo>;
}
const tinyDir = join(testFixtures, 'gnmt-tiny');
const manifest = JSON.parse(readFileSync(join(tinyDir, 'manifest.json'), 'utf8')) as { files: Record<string, FileInfo> };

for (const [name, info] of Object.entries(manifest.files)) {
  if (info.error !== undefined) {
    test(`${name} (${info.notes}) is rejected with ${info.error}`, async () => {
      await assert.rejects(loadCheckpoint(join(tinyDir, name)), (e: unknown) => {
        assert.ok(e instanceof QnmtError, String(e));
        assert.equal(e.code, info.error);
        assert.ok(e.message.startsWith(join(tinyDir, name) + ': '), e.message);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    });
    continue;
  }
  test(`${name} (${info.format}${info.notes ? `; ${info.notes}` : ''}) loads with PyTorch's values`, async () => {
    const ck = await loadCheckpoint(join(tinyDir, name));
    assert.equal(ck.meta.format, info.format);
    assert.deepEqual(ck.modelConfig, info.model_config);
    assert.equal(ck.math, info.math);
    assert.equal(ck.meta.epoch, info.epoch);
    assert.equal(ck.meta.loss, info.loss);
    assert.equal(ck.meta.iteration, info.iteration);
    assert.deepEqual(ck.vocab, info.vocab);
    assert.deepEqual([...ck.stateDict.keys()], Object.keys(info.state_dict!));
    for (const [key, want] of Object.entries(info.state_dict!)) {
      const t = ck.stateDict.get(key)!;
      assert.deepEqual(t.shape, want.shape, key);
      let sum = 0;
      let abs = 0;
      for (const x of t.data) { sum += x; abs += Math.abs(x); }
      assert.ok(Math.abs(sum - want.sum) <= 1e-9 * want.abs_sum + 1e-12, `${key}: sum ${sum} vs ${want.sum}`);
      assert.ok(Math.abs(abs - want.abs_sum) <= 1e-9 * want.abs_sum + 1e-12, `${key}: abs-sum ${abs} vs ${want.abs_sum}`);
      assert.deepEqual([...t.data.subarray(0, 4)], want.first.map(Math.fround), key);
      assert.equal(t.data[t.numel - 1], Math.fround(want.last), key);
    }
  });
}

test('the same checkpoint in the legacy and the zip format loads to identical tensors', async () => {
  const a = await loadCheckpoint(join(tinyDir, 'tiny.legacy.pth'));
  const b = await loadCheckpoint(join(tinyDir, 'tiny.zip.pth'));
  for (const [k, t] of a.stateDict) assert.deepEqual(b.stateDict.get(k)!.data, t.data, k);
});

test('a non-contiguous tensor is materialised in row-major order', async () => {
  const nc = await loadCheckpoint(join(tinyDir, 'small.noncontig.pth'));
  const plain = await loadCheckpoint(join(tinyDir, 'small.bfloat16.pth'));
  const w = nc.stateDict.get('decoder.classifier.classifier.weight')!;
  assert.deepEqual(w.shape, [60, 16]);
  // same model: the bfloat16 copy is the rounded version of the same values
  const r = plain.stateDict.get('decoder.classifier.classifier.weight')!;
  for (let i = 0; i < w.numel; i++) assert.ok(Math.abs(w.data[i]! - r.data[i]!) <= Math.abs(w.data[i]!) / 128 + 1e-30, `element ${i}`);
});

test('missing keys are listed by name', async () => {
  await assert.rejects(loadCheckpoint(join(tinyDir, 'small.missing-key.pth')),
    /missing 2 key\(s\) a GNMT with num_layers=4 needs: encoder\.rnn_layers\.3\.bias_hh_l0, decoder\.att_rnn\.attn\.linear_att\.$/);
  await assert.rejects(loadCheckpoint(join(tinyDir, 'small.vocab-mismatch.pth')),
    /vocab_size 57 but encoder\.embedder\.weight has 60 rows/);
  await assert.rejects(loadCheckpoint(join(tinyDir, 'small.unknown-global.pth')), /Python global posix\.system/);
});
