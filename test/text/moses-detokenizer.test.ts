import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mosesDetokenize } from '../../src/text/moses-detokenizer.js';
import { fixtureDir } from '../paths.js';
import { assertSameLines, lines } from './text-fixtures.js';

// Reference: detokenizer.perl (commit 8c5eaa1a) run without -l, as the notebook does (fixture README §1).
for (const beam of [10, 5, 1]) {
  test(`fixture test2016.beam${beam}.tok.de → .detok.de with the default language en, byte for byte`, () => {
    const d = join(fixtureDir, 'fp32');
    const got = lines(join(d, `test2016.beam${beam}.tok.de`)).map((l) => mosesDetokenize(l));
    assertSameLines(got, lines(join(d, `test2016.beam${beam}.detok.de`)), `beam${beam}`);
  });
}

test('un-escaping and @-@ joining', () => {
  assert.equal(mosesDetokenize('a &amp;lt; b &#124; &#91;x&#93; well @-@ known'), 'a &lt; b | [x] well-known');
});

test('punctuation, brackets and currency attach to the right side', () => {
  assert.equal(mosesDetokenize('Preis : $ 5 ( ca . ) !'), 'Preis: $5 (ca.)!');
});

test('quotes alternate open/close per kind; „ and “ count as "', () => {
  assert.equal(mosesDetokenize('er sagt „ ja “ und &quot; nein &quot; .'), 'er sagt „ja“ und "nein".');
  assert.equal(mosesDetokenize("&apos; a &apos; b &apos; c &apos;"), "'a' b 'c'");
});

test('English contractions and possessives (language en, the default)', () => {
  assert.equal(mosesDetokenize('geht &apos;s'), "geht's");
  assert.equal(mosesDetokenize('the Jones &apos; house'), "the Jones' house");
  assert.equal(mosesDetokenize('geht &apos;s', 'de'), "geht 's");
});

test('tag lines and empty lines are copied; CJK words join', () => {
  assert.equal(mosesDetokenize('<seg id="1">'), '<seg id="1">');
  assert.equal(mosesDetokenize(''), '');
  assert.equal(mosesDetokenize('  '), '  ');
  assert.equal(mosesDetokenize('日本 語 です'), '日本語です');
});

test('a 300 000-character line is detokenized (no quadratic loops)', () => {
  // No clock here (bench/long-lines.ts times it): at this size a quadratic loop or catastrophic backtracking
  // costs over ten minutes per call (the /\\s+$/ bug took 70 s at 100 000 characters), which the suite's
  // time budget cannot miss, while the linear code takes well under a second.
  const line = '„ a “ , '.repeat(37_500);
  const out = mosesDetokenize(line);
  assert.ok(out.startsWith('„a“, „a“,'));
});
