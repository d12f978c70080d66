import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { computeBleu, corpusBleu, corpusBleuStats, addBleuStats, bleuSignature } from '../../src/metrics/bleu.js';
import { QnmtError } from '../../src/errors.js';
import { fixtureDir, testFixtures } from '../paths.js';
import { lines } from '../text/text-fixtures.js';

// Reference: the fixture's .bleu.txt lines were printed by sacrebleu 1.2.10
// (`sacrebleu --input X.detok.de data/test2016.raw.de -lc --tokenize intl`, fixture README §1).
for (const beam of [10, 5, 1]) {
  test(`fixture test2016.beam${beam}: sacrebleu 1.2.10 line reproduced exactly`, () => {
    const hyps = lines(join(fixtureDir, 'fp32', `test2016.beam${beam}.detok.de`));
    const refs = lines(join(fixtureDir, 'data', 'test2016.raw.de'));
    const want = readFileSync(join(fixtureDir, 'fp32', `test2016.beam${beam}.bleu.txt`), 'utf8').replace(/\n$/, '');
    const r = corpusBleu(hyps, refs, { lowercase: true, tokenize: 'intl' });
    assert.equal(r.formatted, want);
    assert.equal(r.scoreOnly, want.split(' ')[2]);
  });
}

test('statistics are additive: two halves add up to the whole corpus', () => {
  const hyps = lines(join(fixtureDir, 'fp32', 'test2016.beam5.detok.de'));
  const refs = lines(join(fixtureDir, 'data', 'test2016.raw.de'));
  const o = { lowercase: true, tokenize: 'intl' } as const;
  const whole = corpusBleuStats(hyps, [refs], o);
  const sum = addBleuStats(corpusBleuStats(hyps.slice(0, 400), [refs.slice(0, 400)], o), corpusBleuStats(hyps.slice(400), [refs.slice(400)], o));
  assert.deepEqual(sum, whole);
});

test('identical hypothesis and reference: 100 with full precisions', () => {
  const r = corpusBleu(['a b c d'], ['a b c d']);
  assert.deepEqual(r.counts, [4, 3, 2, 1]);
  assert.deepEqual(r.totals, [4, 3, 2, 1]);
  assert.equal(r.formatted, 'BLEU+case.mixed+numrefs.1+smooth.exp+tok.13a+version.1.2.10 = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)');
});

test('empty hypothesis: no n-grams, BLEU 0, BP 0', () => {
  const r = corpusBleu([''], ['a b']);
  assert.deepEqual(r.totals, [0, 0, 0, 0]);
  assert.equal(r.score, 0);
  assert.equal(r.bp, 0);
  assert.equal(r.formatted.slice(r.formatted.indexOf(' = ') + 3), '0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 2)');
});

test('zero matches: exp smoothing gives order k precision 100 / (2^k · total)', () => {
  const r = corpusBleu(['a b c d e'], ['v w x y z']);
  assert.deepEqual(r.counts, [0, 0, 0, 0]);
  assert.deepEqual(r.precisions, [100 / (2 * 5), 100 / (4 * 4), 100 / (8 * 3), 100 / (16 * 2)]);
  assert.ok(Math.abs(r.score - Math.pow(10 * 6.25 * (100 / 24) * 3.125, 0.25)) < 1e-12);
  // 6.25 is an exact tie at one decimal: Python rounds it to even ("6.2"), JS toFixed would say "6.3".
  assert.equal(r.formatted.split(' ')[3], '10.0/6.2/4.2/3.1');
  assert.equal(computeBleu(r, 'none').score, 0);
});

test('smoothing only touches orders without matches; an order without n-grams stops the loop', () => {
  const r = corpusBleu(['the cat sat'], ['the cat sat on the mat']);
  assert.deepEqual(r.counts, [3, 2, 1, 0]);
  assert.deepEqual(r.totals, [3, 2, 1, 0]);
  assert.deepEqual(r.precisions, [100, 100, 100, 0]);
  assert.equal(r.score, 0);
  assert.equal(r.bp, Math.exp(1 - 6 / 3));
  const s = corpusBleu(['the cat sat on a mat'], ['the cat sat by the mat']);
  assert.deepEqual(s.counts, [4, 2, 1, 0]);
  assert.deepEqual(s.precisions, [(100 * 4) / 6, (100 * 2) / 5, (100 * 1) / 4, 100 / (2 * 3)]);
});

test('clipping, lower-casing, trailing whitespace', () => {
  assert.deepEqual(corpusBleu(['the the the'], ['the cat']).counts.slice(0, 1), [1]);
  assert.equal(corpusBleu(['The Cat'], ['the cat']).counts[0], 0);
  assert.equal(corpusBleu(['The Cat'], ['the cat'], { lowercase: true }).counts[0], 2);
  assert.equal(corpusBleu(['a b  \t'], ['a b']).sysLen, 2);
});

test('several references: clipping by the max count, closest length (shorter on ties)', () => {
  const st = corpusBleuStats(['a a b'], [['a b c d'], ['a a'], ['x y z w']]);
  assert.equal(st.counts[0], 3); // a: max(1, 2) = 2, b: 1
  assert.equal(st.refLen, 2); // |3-4| = 1 = |3-2|: the shorter one
  assert.equal(bleuSignature({}, 3), 'case.mixed+numrefs.3+smooth.exp+tok.13a+version.1.2.10');
});

test('line count mismatch is a user error naming both counts', () => {
  assert.throws(() => corpusBleu(['a', 'b'], ['a']), (e: unknown) => e instanceof QnmtError && /2 lines.*1/.test(e.message));
});

test('lines ending in " ." are counted for the tokenized-input warning', () => {
  assert.equal(corpusBleuStats(['a .', 'b.'], [['a .', 'b.']]).tokenizedPeriodLines, 1);
  assert.equal(corpusBleuStats(['a .'], [['a .']], { tokenize: 'none' }).tokenizedPeriodLines, 0);
});

test('13a and intl-v14, cased and lower-cased, agree with real sacrebleu 2.6.0 on the fixture outputs', () => {
  // Made by tools/sacrebleu_reference.py (sacrebleu 2.6.0: same statistics as 1.2.10 for 13a; its intl = our intl-v14).
  const ref = JSON.parse(readFileSync(join(testFixtures, 'sacrebleu-2.6.0-test2016.json'), 'utf8')) as {
    results: { hyp: string; tokenize: '13a' | 'intl'; lowercase: boolean; score: number; counts: number[]; totals: number[]; sys_len: number; ref_len: number }[];
  };
  const refs = lines(join(fixtureDir, 'data', 'test2016.raw.de'));
  for (const e of ref.results) {
    const r = corpusBleu(lines(join(fixtureDir, e.hyp)), refs, { tokenize: e.tokenize === 'intl' ? 'intl-v14' : '13a', lowercase: e.lowercase });
    const what = `${e.hyp} ${e.tokenize} lc=${e.lowercase}`;
    assert.deepEqual([r.counts, r.totals, r.sysLen, r.refLen], [e.counts, e.totals, e.sys_len, e.ref_len], what);
    assert.ok(Math.abs(r.score - e.score) < 1e-9, `${what}: ${r.score} vs ${e.score}`);
  }
});
