/**
 * Bootstrap resampling against numpy and sacrebleu 2.x's procedure: test/fixtures/sacrebleu-bootstrap-test2016.json
 * was written by tools/bootstrap_reference.py (numpy's default_rng(12345).choice, sacrebleu 2.x's BLEU,
 * estimate_ci and paired bootstrap steps) on the fixture's three FP32 outputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NumpyRng, seedSequenceState } from '../../src/metrics/numpy-random.js';
import { bootstrapConfidence, bootstrapIndices, pairedBootstrap } from '../../src/metrics/significance.js';
import { bleuFromRow, bleuStatsRow, lineBleuStats } from '../../src/metrics/bleu.js';
import { fixtureLines } from '../model/fixture-model.js';
import { testFixtures } from '../paths.js';

interface Reference {
  samples: number;
  seed: number;
  indices_first_row_head: number[];
  indices_last_row_tail: number[];
  indices_sha256: string;
  systems: Array<{ hyp: string; score: number; mean: number; ci: number; p_value_vs_beam10?: number }>;
}
const reference = JSON.parse(readFileSync(join(testFixtures, 'sacrebleu-bootstrap-test2016.json'), 'utf8')) as Reference;

test('NumpyRng = numpy default_rng: SeedSequence state, PCG64 raw output, choice', () => {
  // np.random.SeedSequence(12345).generate_state(4, np.uint64) and default_rng(12345).bit_generator.random_raw()
  assert.equal(seedSequenceState(12345, 4).length, 4);
  assert.equal(new NumpyRng(12345).next64(), 4193609425186963869n);
  const idx = bootstrapIndices(1000, { samples: reference.samples, seed: reference.seed });
  assert.deepEqual([...idx.subarray(0, 20)], reference.indices_first_row_head);
  assert.deepEqual([...idx.subarray(idx.length - 20)], reference.indices_last_row_tail);
  const le = Buffer.from(idx.buffer, idx.byteOffset, idx.byteLength); // little-endian int32, as numpy's '<i4'
  assert.equal(createHash('sha256').update(le).digest('hex'), reference.indices_sha256);
});

test('--confidence and --paired-bs on the fixture outputs: within 0.01 of sacrebleu 2.x (numpy reference)', () => {
  const refs = fixtureLines('data/test2016.raw.de');
  const rows = (hyp: string) => lineBleuStats(fixtureLines(hyp), [refs], { lowercase: true, tokenize: 'intl' }).map(bleuStatsRow);
  const score = (s: Float64Array) => bleuFromRow(s);
  const [base, ...others] = reference.systems;
  const baseRows = rows(base!.hyp);
  const single = bootstrapConfidence(baseRows, score);
  assert.ok(Math.abs(single.mean - base!.mean) < 0.01 && Math.abs(single.ci - base!.ci) < 0.01, JSON.stringify(single));
  const paired = pairedBootstrap(baseRows, others.map((o) => rows(o.hyp)), score);
  assert.deepEqual(paired.baseline, single, 'the baseline uses the same resamples');
  others.forEach((o, i) => {
    const r = paired.systems[i]!;
    assert.ok(Math.abs(r.confidence.mean - o.mean) < 0.01, `${o.hyp} mean ${r.confidence.mean} vs ${o.mean}`);
    assert.ok(Math.abs(r.confidence.ci - o.ci) < 0.01, `${o.hyp} ci ${r.confidence.ci} vs ${o.ci}`);
    assert.equal(r.pValue, o.p_value_vs_beam10);
  });
});
