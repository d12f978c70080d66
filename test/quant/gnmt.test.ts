/**
 * Quantization on the real GNMT module tree (src/model): names and wrapper types of the 79 quantized
 * modules, expected qparams on a small-dimension tree (activation qparams do not depend on sizes or
 * weights), stats-file order from the collector, and a quantized forward step of the trained
 * fixture model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, testFixtures, fixtureDir } from '../paths.js';
import { Gnmt } from '../../src/model/gnmt.js';
import { buildGnmt } from '../../src/model/build.js';
import { loadQuantConfig } from '../../src/quant/config.js';
import { loadStats } from '../../src/quant/stats.js';
import { prepareModel } from '../../src/quant/prepare.js';
import { StatsCollector } from '../../src/quant/collector.js';
import type { WrapperDescription } from '../../src/quant/wrappers/index.js';
import { makeBatch, segment, tokenIds } from '../../src/eval/dataset.js';
import { diffDescription } from './helpers.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';

const fixtures = join(testFixtures, 'quant');
const expected = JSON.parse(readFileSync(join(fixtures, 'gnmt_expected_act_qparams_aug2019.json'), 'utf8')) as {
  configs: Record<string, { modules: Record<string, WrapperDescription> }>;
};
const smallGnmt = (): Gnmt => new Gnmt({ vocabSize: 11, hiddenSize: 8, numLayers: 4, dropout: 0.2, shareEmbedding: true, math: 'fp32' });

test('real GNMT tree: prepareModel wraps exactly the 79 modules of spec §8 with the expected qparams (5 configs)', () => {
  const stats = loadStats(join(fixtures, 'gnmt_acts_quantization_stats.yaml'));
  let matched = 0;
  for (const [configName, cfg] of Object.entries(expected.configs)) {
    const model = smallGnmt();
    const r = prepareModel(model, loadQuantConfig(join(repoRoot, 'examples', `${configName.replaceAll('_', '-')}.yaml`)), stats);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual([...r.modules.keys()].sort(), Object.keys(cfg.modules).sort());
    assert.deepEqual(r.replaced, { Linear: 21, Embedding: 1, EltwiseAdd: 24, EltwiseMult: 28, Matmul: 1, BatchMatmul: 1, Concat: 3 });
    assert.equal(model.getModule('decoder.embedder'), r.modules.get('encoder.embedder'));
    for (const [name, want] of Object.entries(cfg.modules)) {
      assert.deepEqual(diffDescription(r.modules.get(name)!.describe(), want), [], `${configName} ${name}`);
      matched++;
    }
  }
  assert.equal(matched, 395);
});

test('collector on the real tree: one record per leaf op in the stats file\'s order; never-called ops get the initial record', () => {
  const stats = loadStats(join(fixtures, 'gnmt_model_stats_aug2019.yaml'));
  const c = new StatsCollector(smallGnmt());
  const got = c.stats();
  c.detach();
  assert.deepEqual([...got.keys()], [...stats.keys()]);
  assert.deepEqual(got.get('encoder.rnn_layers.0.dropout'), stats.get('encoder.rnn_layers.0.dropout') && {
    output: { min: 1.7976931348623157e308, max: -1.7976931348623157e308, avg_min: 0, avg_max: 0, mean: 0, std: 0, shape: '' },
  });
});

test('trained fixture: quantized decoder step (row 6 config, fixture calibration stats) runs and tracks FP32', async () => {
  const { ckpt, model: fp32 } = await fixtureModel();
  const model = buildGnmt(ckpt);
  const stats = loadStats(join(fixtureDir, 'calibration', 'model_stats.yaml'));
  const r = prepareModel(model, loadQuantConfig(join(repoRoot, 'examples', 'int8-asym-pc-avg-noattn-nocls.yaml')), stats);
  assert.equal(r.modules.size, 79);
  const tok2idx = tokenIds(ckpt.vocab);
  const seqs = fixtureLines('data/test2016.tok.bpe.en').slice(0, 4).map((l) => segment(l, tok2idx));
  const batch = makeBatch(seqs, 0, 4);
  const words = new Int32Array(4).fill(2);
  const rows = Int32Array.from([0, 1, 2, 3]);
  const q = model.decoder.step(words, model.encode(batch.src, batch.lengths, batch.T), rows, null);
  const f = fp32.decoder.step(words, fp32.encode(batch.src, batch.lengths, batch.T), rows, null);
  assert.deepEqual(q.logits.shape, f.logits.shape);
  assert.ok(q.logits.data.every(Number.isFinite));
  // Same argmax token for most rows (INT8 keeps the top of the distribution at this stage).
  const V = q.logits.lastDim;
  const argmax = (d: Float32Array, row: number): number => {
    let best = 0;
    for (let j = 1; j < V; j++) if (d[row * V + j]! > d[row * V + best]!) best = j;
    return best;
  };
  let same = 0;
  for (let i = 0; i < 4; i++) if (argmax(q.logits.data, i) === argmax(f.logits.data, i)) same++;
  assert.ok(same >= 3, `argmax agreement ${same}/4`);
});
