/**
 * Writes test/fixtures/quant/int8-oracle-test2016-100.json: the hypotheses of the five example
 * configurations on the first 100 lines of the fixture's test2016, decoded by the op-by-op spec
 * simulation (model-oracle.ts) — never by src/quant's wrappers. oracle-fixture.test.ts checks that
 * the fast integer path reproduces them token for token.
 *
 *   npm run build && node dist/test/quant/make-oracle-fixture.js
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir, repoRoot, testFixtures } from '../paths.js';
import { buildGnmt } from '../../src/model/build.js';
import { loadStats } from '../../src/quant/stats.js';
import { translateLines } from '../../src/eval/translate.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';
import { readOracleConfig, toOracle } from './model-oracle.js';
import { ORACLE_FIXTURE } from './oracle-fixture.js';

const { ckpt } = await fixtureModel();
const stats = loadStats(join(fixtureDir, 'calibration', 'model_stats.yaml'));
const lines = fixtureLines(ORACLE_FIXTURE.input).slice(0, ORACLE_FIXTURE.lines);
const hypotheses: Record<string, { bpe: string[]; iterations: number[] }> = {};
for (const config of ORACLE_FIXTURE.configs) {
  const t0 = Date.now();
  const model = buildGnmt(ckpt);
  toOracle(model, readOracleConfig(join(repoRoot, 'examples', `${config}.yaml`)), stats);
  const r = await translateLines(model, ckpt.vocab, lines, { beam: ORACLE_FIXTURE.beam, batch: ORACLE_FIXTURE.batch });
  hypotheses[config] = { bpe: r.bpe, iterations: r.iterations };
  console.log(`${config}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const out = {
  made_by:
    'node dist/test/quant/make-oracle-fixture.js (test/quant/make-oracle-fixture.ts): the op-by-op float32 simulation of the ' +
    "quantization spec in test/quant/model-oracle.ts (own config reading, override matching, gate-stat clipping and wrapper arithmetic; no src/quant wrapper code), " +
    'on the fixture model with its calibration/model_stats.yaml',
  ...ORACLE_FIXTURE,
  hypotheses,
};
writeFileSync(join(testFixtures, 'quant', 'int8-oracle-test2016-100.json'), `${JSON.stringify(out, null, 1)}\n`);
