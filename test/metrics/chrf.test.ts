import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { computeChrf, corpusChrf, chrfSegmentStats } from '../../src/metrics/chrf.js';
import { fixtureDir, testFixtures } from '../paths.js';
import { lines } from '../text/text-fixtures.js';

test('chrF and chrF++ (cased, lower-cased) equal real sacrebleu 2.6.0 on the fixture outputs', () => {
  // Made by tools/sacrebleu_reference.py with sacrebleu 2.6.0.
  const ref = JSON.parse(readFileSync(join(testFixtures, 'sacrebleu-2.6.0-test2016.json'), 'utf8')) as {
    chrf: { hyp: string; word_order: number; lowercase: boolean; score: number; signature: string }[];
  };
  const refs = lines(join(fixtureDir, 'data', 'test2016.raw.de'));
  assert.equal(ref.chrf.length, 12);
  for (const e of ref.chrf) {
    const r = corpusChrf(lines(join(fixtureDir, e.hyp)), refs, { wordOrder: e.word_order, lowercase: e.lowercase });
    const what = `${e.hyp} nw=${e.word_order} lc=${e.lowercase}`;
    assert.ok(Math.abs(r.score - e.score) < 1e-9, `${what}: ${r.score} vs ${e.score}`);
    assert.equal(r.signature, e.signature, what);
  }
});

test('hand-computed: whitespace ignored, per-order counts, F-beta of averaged precision/recall', () => {
  // "ab" vs "ab c" → chars "ab" / "abc": order 1: hyp 2, ref 3, match 2; order 2: hyp 1, ref 2, match 1;
  // order 3: hyp 0, ref 1, match 0; orders 4-6: ref has no n-grams.
  const s = chrfSegmentStats('ab', ['ab c']);
  assert.deepEqual(s, [2, 3, 2, 1, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const p = (1 + 1) / 2; // orders 1, 2 are effective: precisions 1 and 1
  const r = (2 / 3 + 1 / 2) / 2;
  assert.ok(Math.abs(computeChrf(s) - (100 * 5 * p * r) / (4 * p + r)) < 1e-12);
  assert.equal(corpusChrf([''], ['x']).score, 0);
  assert.equal(corpusChrf(['a b c'], ['abc']).score, 100);
});
