/**
 * The job plan of a sweep: FP32 first, names unique, hashes that follow the config's content (not its
 * name, file or comments) and the statistics; finished rows dropped; a left-FP32 module listed in its row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir, repoRoot } from '../paths.js';
import { defaultQuantConfig, loadQuantConfig, parseQuantConfig } from '../../src/quant/config.js';
import { dropFinished, planJobs, runJob } from '../../src/eval/sweep-jobs.js';
import { openCheckpoint } from '../../src/eval/models.js';
import { loadStats } from '../../src/quant/stats.js';
import type { ResultRow } from '../../src/eval/results-store.js';

const sym = loadQuantConfig(join(repoRoot, 'examples', 'int8-sym.yaml'));
const asym = loadQuantConfig(join(repoRoot, 'examples', 'int8-asym.yaml'));

test('planJobs: FP32 first, then the configs in order; duplicate names are refused', () => {
  const jobs = planJobs([{ name: 'a', config: sym }, { name: 'b', config: asym }], { statsId: 's' });
  assert.deepEqual(jobs.map((j) => [j.name, j.order, j.describe.precision, j.describe.mode]), [
    ['fp32', 0, 'FP32', null], ['a', 1, 'INT8', 'SYMMETRIC'], ['b', 2, 'INT8', 'ASYMMETRIC_SIGNED'],
  ]);
  assert.deepEqual(planJobs([{ name: 'a', config: sym }], { statsId: 's', fp32: false }).map((j) => j.name), ['a']);
  assert.throws(() => planJobs([{ name: 'a', config: sym }, { name: 'a', config: asym }], { statsId: 's' }), /two configurations are named 'a'/);
  assert.throws(() => planJobs([{ name: 'fp32', config: sym }], { statsId: 's' }), /named 'fp32'/);
});

test('a job hash follows the config content and the statistics, not the file or the quantizer name', () => {
  const [, a] = planJobs([{ name: 'a', config: sym }], { statsId: 's' });
  const same = { ...defaultQuantConfig(), name: 'other', file: 'elsewhere.yaml' };
  assert.equal(planJobs([{ name: 'a', config: same }], { statsId: 's' })[1]!.hash, a!.hash);
  assert.notEqual(planJobs([{ name: 'a', config: asym }], { statsId: 's' })[1]!.hash, a!.hash);
  assert.notEqual(planJobs([{ name: 'a', config: sym }], { statsId: 't' })[1]!.hash, a!.hash);
});

test('dropFinished keeps the jobs without a row of the same settings and config hash', () => {
  const jobs = planJobs([{ name: 'a', config: sym }, { name: 'b', config: asym }], { statsId: 's' });
  const row = (config: string, settings: string, hash: string) => ({ config, settings_hash: settings, config_hash: hash }) as ResultRow;
  const finished = [row('fp32', 'H', jobs[0]!.hash), row('a', 'H', 'changed'), row('b', 'other', jobs[2]!.hash)];
  assert.deepEqual(dropFinished(jobs, finished, 'H').map((j) => j.name), ['a', 'b']);
});

test('runJob on a slice: the row lists the modules a config leaves in FP32, and is saved', async () => {
  const out = mkdtempSync(join(tmpdir(), 'qnmt-jobs-'));
  const config = parseQuantConfig(`quantizers:
  q:
    class: PostTrainLinearQuantizer
    overrides:
      'decoder.classifier.classifier':
        bits_activations: null
        bits_weights: null
        bits_bias: null
`);
  const [job] = planJobs([{ name: 'nocls', config }], { statsId: 's', fp32: false });
  const lines = readFileSync(join(fixtureDir, 'data', 'test2016.tok.bpe.en'), 'utf8').split('\n').slice(0, 4);
  const refs = readFileSync(join(fixtureDir, 'data', 'test2016.raw.de'), 'utf8').split('\n').slice(0, 4);
  const row = await runJob(job!, {
    ckpt: await openCheckpoint(join(fixtureDir, 'model_best.pth')), lines, refs, refName: 'ref', search: { beam: 2, batch: 4, maxLen: 80 },
    stats: loadStats(join(fixtureDir, 'calibration', 'model_stats.yaml')), settingsHash: 'H', out, moduleErrorLines: 0,
  });
  assert.deepEqual(row.fp32_modules, ['decoder.classifier.classifier']);
  assert.equal(row.line_stats!.length, 4);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'rows', 'nocls.json'), 'utf8')), row);
});
