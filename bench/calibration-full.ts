/**
 * qnmt's calibration on the whole fixture test2016 at the notebook's settings (beam 10, batch 128, max 80)
 * compared value by value with Distiller's own statistics file for it (calibration/model_stats.yaml):
 * module names and order, every shape, the largest relative difference of each field. Then the same
 * collector on the first lines only, written as the statistics the CI calibration test compares with.
 *
 *   npm run build && node dist/bench/calibration-full.js [--write-slice] [--slice-only]
 *
 * The log of a run is committed as bench/logs/calibration-full.log.
 */
import { join } from 'node:path';
import { cpus } from 'node:os';
import { fixtureDir, testFixtures } from '../test/paths.js';
import { fixtureLines, fixtureModel } from '../test/model/fixture-model.js';
import { compareStats, describeComparison, maxRel } from '../test/quant/stats-compare.js';
import { CALIBRATION_REL_BOUND, CALIBRATION_SLICE } from '../test/quant/calibration-slice.js';
import { calibrate } from '../src/eval/sweep.js';
import { fp32Model } from '../src/eval/models.js';
import { loadStats, saveStats } from '../src/quant/stats.js';
import { activeBackend } from '../src/tensor/backend.js';

const sliceOnly = process.argv.includes('--slice-only');
const writeSlice = sliceOnly || process.argv.includes('--write-slice');
const { ckpt } = await fixtureModel();
const all = fixtureLines(CALIBRATION_SLICE.input);
const search = { beam: CALIBRATION_SLICE.beam, batch: CALIBRATION_SLICE.batch, maxLen: CALIBRATION_SLICE.maxLen };
const b = activeBackend();
console.log(`qnmt calibration vs Distiller's model_stats.yaml: fixture test2016, ${all.length} lines, beam ${search.beam}, batch ${search.batch}, max ${search.maxLen}`);
console.log(`backend ${b.name}, ${b.threads} threads, ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}`);

let ok = true;
if (!sliceOnly) {
  const t0 = performance.now();
  const full = await calibrate(fp32Model(ckpt), ckpt.vocab, all, search);
  const seconds = (performance.now() - t0) / 1000;
  const c = compareStats(full, loadStats(join(fixtureDir, 'calibration', 'model_stats.yaml')));
  console.log(`calibration took ${seconds.toFixed(1)} s; ${full.size} modules, ${c.records} records compared`);
  for (const l of describeComparison(c)) console.log(`  ${l}`);
  console.log(`structure: ${c.problems.length === 0 ? 'module names, order and every shape equal' : c.problems.join('; ')}`);
  ok = c.problems.length === 0 && maxRel(c) <= CALIBRATION_REL_BOUND;
  console.log(`${ok ? 'PASS' : 'FAIL'}: max relative difference ${maxRel(c).toExponential(2)} (bound ${CALIBRATION_REL_BOUND})`);
}

if (writeSlice) {
  const slice = await calibrate(fp32Model(ckpt), ckpt.vocab, all.slice(0, CALIBRATION_SLICE.lines), search);
  const out = join(testFixtures, 'quant', CALIBRATION_SLICE.stats);
  saveStats(slice, out);
  console.log(`slice: first ${CALIBRATION_SLICE.lines} lines, same settings → ${out}`);
}
process.exitCode = ok ? 0 : 1;
