import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Bpe } from '../../src/text/bpe.js';
import { QnmtError } from '../../src/errors.js';
import { fixtureDir, hasShared, sharedDir } from '../paths.js';
import { assertSameLines, lines } from './text-fixtures.js';

// Reference outputs: subword-nmt apply_bpe.py at commit 48ba99e (fixture README §3, shared/data/README.md §3).
for (const set of ['test2016', 'val']) {
  for (const lang of ['en', 'de']) {
    test(`fixture ${set}.tok.${lang} → ${set}.tok.bpe.${lang} byte for byte`, () => {
      const bpe = Bpe.fromFile(join(fixtureDir, 'bpe.codes'));
      const d = join(fixtureDir, 'data');
      assertSameLines(lines(join(d, `${set}.tok.${lang}`)).map((l) => bpe.apply(l)), lines(join(d, `${set}.tok.bpe.${lang}`)), `${set}.${lang}`);
    });
  }
}

for (const lang of ['en', 'de']) {
  test(`newstest2014.tok.${lang} → newstest2014.tok.bpe.32000.${lang} (MLPerf md5-verified) byte for byte`, {
    skip: hasShared ? false : `shared data not found at ${sharedDir} (set QNMT_SHARED)`,
  }, () => {
    const d = join(sharedDir, 'data/bpe-mlperf');
    const bpe = Bpe.fromFile(join(d, 'bpe.32000'));
    assertSameLines(lines(join(d, `newstest2014.tok.${lang}`)).map((l) => bpe.apply(l)), lines(join(d, `newstest2014.tok.bpe.32000.${lang}`)), lang);
  });
}

const toy = Bpe.fromCodes('#version: 0.2\na b\nab c</w>\na a\nab c</w>\n');

test('merges by rank, end-of-word marker, single characters, @@ separators', () => {
  assert.deepEqual(toy.segmentWord('abc'), ['abc']); // a b → ab, then ab c</w> → abc</w>
  assert.deepEqual(toy.segmentWord('abd'), ['ab', 'd']);
  assert.deepEqual(toy.segmentWord('aaa'), ['aa', 'a']); // non-overlapping, left to right
  assert.deepEqual(toy.segmentWord('x'), ['x']);
  assert.equal(toy.apply('abd x aaa'), 'ab@@ d x aa@@ a');
});

test('leading/trailing whitespace is kept, inner double spaces are dropped', () => {
  assert.equal(toy.apply(' abd  x '), ' ab@@ d x ');
  assert.equal(toy.apply(''), '');
  assert.equal(toy.apply('   '), '   ');
});

test('codes without the 0.2 header or with a malformed line are rejected', () => {
  assert.throws(() => Bpe.fromCodes('a b\n'), QnmtError);
  assert.throws(() => Bpe.fromCodes('#version: 0.2\na b c\n'), /line 2/);
});

test('the linked-list merge gives the same pieces as the direct transcription', () => {
  const codes = readFileSync(join(fixtureDir, 'bpe.codes'), 'utf8');
  const direct = Bpe.fromCodes(codes);
  direct.directMax = Infinity;
  const linked = Bpe.fromCodes(codes);
  linked.directMax = 0;
  const words = new Set(lines(join(fixtureDir, 'data/val.tok.de')).join(' ').split(' '));
  words.add('aaaaaaaaaaaaa').add('ababababab').add('Fußgängerüberwegmarkierungsarbeiten').add('a'.repeat(300));
  for (const w of words) assert.deepEqual(linked.segmentWord(w), direct.segmentWord(w), w);
});

test('a 300 000-character word and a 1 000 000-space gap are segmented (no quadratic loops)', () => {
  // No clock here (bench/long-lines.ts times it): at this size a quadratic loop or catastrophic backtracking
  // costs over ten minutes per call (the /\\s+$/ bug took 70 s at 100 000 characters), which the suite's
  // time budget cannot miss, while the linear code takes well under a second.
  const bpe = Bpe.fromFile(join(fixtureDir, 'bpe.codes'));
  const word = 'Schwarzwaldhochstraße'.repeat(15_000).slice(0, 300_000);
  assert.equal(bpe.apply(word).replaceAll('@@ ', ''), word);
  assert.equal(bpe.apply(`x${' '.repeat(1_000_000)}y`), 'x y');
});
