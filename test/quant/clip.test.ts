import { test } from 'node:test';
import assert from 'node:assert/strict';
import { saturationRange, clipRecord, adjustLstmGateStats } from '../../src/quant/clip.js';
import { QnmtError } from '../../src/errors.js';
import type { StatsRecord } from '../../src/quant/stats.js';

const rec: StatsRecord = { min: -10, max: 20, avg_min: -4, avg_max: 5, mean: 1, std: 2, b: 1.5, shape: '(1, 4)' };
const f = Math.fround;
const c = (clipActs: 'NONE' | 'AVG' | 'N_STD' | 'GAUSS' | 'LAPLACE', mode: 'SYMMETRIC' | 'ASYMMETRIC_SIGNED' = 'ASYMMETRIC_SIGNED', clipNStds: number | null = null) => ({ clipActs, clipNStds, bits: 8, mode });

test('NONE / AVG / N_STD ranges (spec §4)', () => {
  assert.deepEqual(saturationRange(rec, c('NONE'), 'x'), [-10, 20]);
  assert.deepEqual(saturationRange(rec, c('AVG'), 'x'), [-4, 5]);
  assert.deepEqual(saturationRange(rec, c('N_STD', 'ASYMMETRIC_SIGNED', 3), 'x'), [-5, 7]); // mean ± 3·std inside [min, max]
  assert.deepEqual(saturationRange(rec, c('N_STD', 'ASYMMETRIC_SIGNED', 10), 'x'), [-10, 20]); // clipped by min/max
  assert.deepEqual(saturationRange({ ...rec, std: 0.1 }, c('N_STD', 'ASYMMETRIC_SIGNED', 1.5), 'x'),
    [f(f(1) - f(f(1.5) * f(0.1))), f(f(1) + f(f(1.5) * f(0.1)))]);
  assert.throws(() => saturationRange(rec, c('N_STD'), 'mod.output'), /mod\.output: clip_acts N_STD needs clip_n_stds/);
});

test('GAUSS / LAPLACE (HEAD §12.3): α = std·A_G[8] or b·A_L[8]; symmetric ±(|mean|+α); asymmetric m = max(avg_min, mean−α), M = m+2α', () => {
  const aG = 2 * 3.92;
  assert.deepEqual(saturationRange(rec, c('GAUSS', 'SYMMETRIC'), 'x'), [f(-(1 + aG)), f(1 + aG)]);
  assert.deepEqual(saturationRange(rec, c('GAUSS'), 'x'), [f(Math.max(-4, 1 - aG)), f(Math.max(-4, 1 - aG) + 2 * aG)]);
  const aL = 1.5 * 9.89;
  assert.deepEqual(saturationRange(rec, c('LAPLACE'), 'x'), [f(-4), f(-4 + 2 * aL)]);
  const { b: _b, ...noB } = rec;
  assert.throws(() => saturationRange(noB, c('LAPLACE'), 'decoder.classifier.classifier.output'),
    (e: unknown) => e instanceof QnmtError && /decoder\.classifier\.classifier\.output: clip_acts LAPLACE needs the 'b'/.test(e.message));
});

test('§5.1 gate clipping to ±6: three cases, only min/avg_min/max/avg_max change', () => {
  const a = { ...rec };
  clipRecord(a, -6, 6);
  assert.deepEqual(a, { ...rec, min: -6, avg_min: -4, max: 6, avg_max: 5 });
  const below = { ...rec, min: -20, max: -8 };
  clipRecord(below, -6, 6);
  assert.deepEqual([below.min, below.avg_min, below.max, below.avg_max, below.mean], [-6, -6, -6, -6, 1]);
  const above = { ...rec, min: 7, max: 9 };
  clipRecord(above, -6, 6);
  assert.deepEqual([above.min, above.avg_min, above.max, above.avg_max], [6, 6, 6, 6]);
  const stats = new Map([['c.eltwiseadd_gate', { inputs: [{ ...rec }], output: { ...rec } }]]);
  assert.deepEqual(adjustLstmGateStats(stats, ['c', 'missing']), ['c.eltwiseadd_gate']);
  assert.equal(stats.get('c.eltwiseadd_gate')!.output.max, 6);
  assert.equal(stats.get('c.eltwiseadd_gate')!.inputs[0]!.max, 20);
});
