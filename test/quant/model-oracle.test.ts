/**
 * The whole quantized GNMT against the op-by-op simulation of the spec (model-oracle.ts): a few
 * fixture sentences decoded greedily and with beam 5, for the five example configurations and with
 * scale_approx_mult_bits set; the encoder output and every step's decoder logits must be
 * bit-identical. This is what catches wiring bugs that per-op tests cannot see (fused LSTM tail and
 * attention scores, overrides applied to the real tree, shared embedding, finished-beam compaction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot, fixtureDir } from '../paths.js';
import { buildGnmt } from '../../src/model/build.js';
import { loadQuantConfig } from '../../src/quant/config.js';
import { loadStats } from '../../src/quant/stats.js';
import { prepareModel } from '../../src/quant/prepare.js';
import { beamSearch } from '../../src/decode/beam-search.js';
import { makeBatch, segment, tokenIds } from '../../src/eval/dataset.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';
import { readOracleConfig, toOracle } from './model-oracle.js';
import { Lockstep } from './lockstep.js';

export const ORACLE_CONFIGS = ['int8-sym', 'int8-asym', 'int8-asym-pc-avg', 'int8-asym-pc-avg-noattn', 'int8-asym-pc-avg-noattn-nocls'];
/** Sentences 0..3 of test2016 (the batch sorts them by length). */
const LINES = [0, 1, 2, 3];
const APPROX_BITS = 8;

const stats = loadStats(join(fixtureDir, 'calibration', 'model_stats.yaml'));

const variants: Array<{ config: string; approx: number | null }> = [
  ...ORACLE_CONFIGS.map((config) => ({ config, approx: null })),
  { config: 'int8-asym-pc-avg-noattn-nocls', approx: APPROX_BITS },
];

for (const { config, approx } of variants) {
  const label = approx === null ? config : `${config} + scale_approx_mult_bits ${approx}`;
  test(`whole INT8 model = op-by-op spec simulation, every decoder step of greedy and beam 5 (${label})`, async () => {
    const { ckpt } = await fixtureModel();
    const file = join(repoRoot, 'examples', `${config}.yaml`);
    const fast = buildGnmt(ckpt);
    const loaded = loadQuantConfig(file);
    prepareModel(fast, approx === null ? loaded : { ...loaded, scaleApproxMultBits: approx }, stats);
    const oracle = buildGnmt(ckpt);
    const ops = toOracle(oracle, readOracleConfig(file, approx === null ? {} : { scaleApproxMultBits: approx }), stats);
    assert.equal(ops.size, 79);
    assert.ok(fast.rowsIndependent(), 'the fast path skips finished beams (the compaction is part of what is checked)');

    const tok2idx = tokenIds(ckpt.vocab);
    const all = fixtureLines('data/test2016.tok.bpe.en');
    const seqs = LINES.map((i) => segment(all[i]!, tok2idx));
    const batch = makeBatch(seqs, 0, seqs.length);
    const lock = new Lockstep(fast, oracle);
    for (const beam of [1, 5]) {
      lock.label = `${label} beam ${beam}`;
      const keys = lock.encode(batch.src, batch.lengths, batch.T);
      const r = beamSearch(lock, keys, { beam });
      assert.ok(r.iterations > 5);
    }
    console.log(`  ${label}: ${lock.steps} decoder steps, ${lock.logits} logits identical`);
  });
}
