/**
 * Regression fixture of the whole quantized model: the fast integer path must reproduce, token for
 * token, the hypotheses that the op-by-op spec simulation produced for the five example
 * configurations on 100 fixture lines (test/fixtures/quant/int8-oracle-test2016-100.json, made by
 * make-oracle-fixture.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir, repoRoot, testFixtures } from '../paths.js';
import { buildGnmt } from '../../src/model/build.js';
import { loadQuantConfig } from '../../src/quant/config.js';
import { loadStats } from '../../src/quant/stats.js';
import { prepareModel } from '../../src/quant/prepare.js';
import { translateLines } from '../../src/eval/translate.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';
import { ORACLE_FIXTURE } from './oracle-fixture.js';

const fixture = JSON.parse(readFileSync(join(testFixtures, 'quant', 'int8-oracle-test2016-100.json'), 'utf8')) as typeof ORACLE_FIXTURE & {
  hypotheses: Record<string, { bpe: string[]; iterations: number[] }>;
};
const stats = loadStats(join(fixtureDir, 'calibration', 'model_stats.yaml'));

test('the oracle fixture was made with the settings this test uses', () => {
  const { input, lines, beam, batch, configs } = fixture;
  assert.deepEqual({ input, lines, beam, batch, configs }, { ...ORACLE_FIXTURE, configs: [...ORACLE_FIXTURE.configs] });
  for (const c of ORACLE_FIXTURE.configs) assert.equal(fixture.hypotheses[c]?.bpe.length, ORACLE_FIXTURE.lines, c);
});

for (const config of ORACLE_FIXTURE.configs) {
  test(`fast INT8 path reproduces the spec simulation's ${ORACLE_FIXTURE.lines} hypotheses token for token (${config}, beam ${ORACLE_FIXTURE.beam})`, async () => {
    const { ckpt } = await fixtureModel();
    const model = buildGnmt(ckpt);
    prepareModel(model, loadQuantConfig(join(repoRoot, 'examples', `${config}.yaml`)), stats);
    const lines = fixtureLines(ORACLE_FIXTURE.input).slice(0, ORACLE_FIXTURE.lines);
    const r = await translateLines(model, ckpt.vocab, lines, { beam: ORACLE_FIXTURE.beam, batch: ORACLE_FIXTURE.batch });
    const want = fixture.hypotheses[config]!;
    const differ = r.bpe.flatMap((l, i) => (l === want.bpe[i] ? [] : [i + 1]));
    assert.deepEqual(differ, [], `${config}: lines that differ from the simulation`);
    assert.deepEqual(r.iterations, want.iterations);
  });
}
