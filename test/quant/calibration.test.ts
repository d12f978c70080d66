/**
 * Calibration end to end: `qnmt calibrate` on a slice of the fixture at the notebook's settings, value
 * by value against the statistics that bench/calibration-full.ts wrote for that slice (the same run
 * that checks the collector against Distiller's own file on the whole set; its log is
 * bench/logs/calibration-full.log), and the sweep's calibrate-then-quantize branch (no --stats).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir, repoRoot, testFixtures } from '../paths.js';
import { runCli } from '../cli/commands/run-cli.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';
import { loadStats } from '../../src/quant/stats.js';
import { loadQuantConfig } from '../../src/quant/config.js';
import { calibrate } from '../../src/eval/sweep.js';
import { fp32Model, quantizedModel } from '../../src/eval/models.js';
import { translateLines } from '../../src/eval/translate.js';
import { scoreJoined } from '../../src/eval/score.js';
import { compareStats, describeComparison, maxRel } from './stats-compare.js';
import { CALIBRATION_REL_BOUND, CALIBRATION_SLICE } from './calibration-slice.js';

const work = mkdtempSync(join(tmpdir(), 'qnmt-calibration-'));
const model = join(fixtureDir, 'model_best.pth');

function sliceFile(name: string, rel: string, n: number): string {
  const path = join(work, name);
  writeFileSync(path, fixtureLines(rel).slice(0, n).join('\n') + '\n');
  return path;
}

test(`qnmt calibrate: ${CALIBRATION_SLICE.lines} fixture lines at beam ${CALIBRATION_SLICE.beam} give the committed slice statistics (every module, shape and value)`, () => {
  const input = sliceFile('slice.bpe.en', CALIBRATION_SLICE.input, CALIBRATION_SLICE.lines);
  const out = join(work, 'stats.yaml');
  const { beam, batch, maxLen } = CALIBRATION_SLICE;
  const r = runCli(['calibrate', '-m', model, '-i', input, '-o', out, '--beam', `${beam}`, '--batch', `${batch}`, '--max-len', `${maxLen}`, '-q']);
  assert.equal(r.code, 0, r.stderr);
  const c = compareStats(loadStats(out), loadStats(join(testFixtures, 'quant', CALIBRATION_SLICE.stats)));
  assert.deepEqual(c.problems, []);
  assert.ok(c.records > 138, `${c.records} records`);
  assert.ok(maxRel(c) <= CALIBRATION_REL_BOUND, describeComparison(c).join('\n'));
  console.log(`  ${c.records} records; ${describeComparison(c).map((l) => l.split(' at ')[0]).join('; ')}`);
});

test('sweep without --stats calibrates on its input, saves the statistics, and quantizes with them', async () => {
  const LINES = 8;
  const input = sliceFile('sweep.bpe.en', 'data/test2016.tok.bpe.en', LINES);
  const ref = sliceFile('sweep.de', 'data/test2016.raw.de', LINES);
  const config = join(repoRoot, 'examples', 'int8-asym-pc-avg-noattn-nocls.yaml');
  const out = join(work, 'sweep');
  const r = runCli(['sweep', '-m', model, '-i', input, '-r', ref, '-c', config, '-o', out, '--beam', '3', '--no-fp32', '-q', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = (JSON.parse(r.stdout) as { rows: { config: string; bleu: number }[] }).rows;
  assert.deepEqual(rows.map((x) => x.config), ['int8-asym-pc-avg-noattn-nocls']);
  // The row's per-module errors: one finite positive number per quantized module (all 79 ran).
  const row = JSON.parse(readFileSync(join(out, 'rows', 'int8-asym-pc-avg-noattn-nocls.json'), 'utf8')) as { module_errors: Record<string, number | null> };
  const errors = Object.entries(row.module_errors);
  assert.equal(errors.length, 79);
  for (const [name, e] of errors) assert.ok(e !== null && Number.isFinite(e) && e > 0 && e < 1, `${name}: ${e}`);

  // The saved statistics are the collector's on these lines with the sweep's search settings…
  const { ckpt } = await fixtureModel();
  const lines = fixtureLines('data/test2016.tok.bpe.en').slice(0, LINES);
  const search = { beam: 3, batch: 128, maxLen: 80 };
  const saved = loadStats(join(out, 'stats.yaml'));
  const c = compareStats(saved, await calibrate(fp32Model(ckpt), ckpt.vocab, lines, search));
  assert.deepEqual(c.problems, []);
  assert.ok(maxRel(c) <= CALIBRATION_REL_BOUND, describeComparison(c).join('\n'));
  // …and the row's hypotheses are what the quantized model translates with them.
  const { model: q } = quantizedModel(ckpt, loadQuantConfig(config), saved);
  const want = await translateLines(q, ckpt.vocab, lines, search);
  const hyp = readFileSync(join(out, 'hyp', 'int8-asym-pc-avg-noattn-nocls.detok.de'), 'utf8').split('\n').slice(0, LINES);
  assert.deepEqual(hyp, scoreJoined(want.joined, fixtureLines('data/test2016.raw.de').slice(0, LINES)).detok);
});
