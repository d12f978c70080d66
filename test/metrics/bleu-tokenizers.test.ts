import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize13a, tokenizeIntl, tokenizeIntlV14 } from '../../src/metrics/bleu-tokenizers.js';

test('intl (1.2.10): punctuation split unless next to a digit, symbols split', () => {
  // pass 1 'o,' → 'o , ', 't!' → 't ! '; pass 2 ', ' → ' ,  ', '! ' → ' !  '; strip
  assert.equal(tokenizeIntl('Hallo, Welt!'), 'Hallo  ,   Welt  !');
  assert.equal(tokenizeIntl('(a)'), '( a  )');
  assert.equal(tokenizeIntl('3,50 € im Jahr 2014.'), '3,50  €  im Jahr 2014.');
  assert.equal(tokenizeIntl('„Ja“'), '„ Ja  “');
});

test('intl (1.2.10) QUIRK: the backslash is not punctuation; intl-v14 splits it and uses \\P{N}', () => {
  assert.equal(tokenizeIntl('a\\b'), 'a\\b');
  assert.equal(tokenizeIntlV14('a\\b'), 'a  \\  b');
  // Python's \d is Nd only: '½' (No) counts as a non-digit in 1.2.10, as a number in v14.
  assert.equal(tokenizeIntl('½.'), '½  .');
  assert.equal(tokenizeIntlV14('½.'), '½.');
});

test('13a: ASCII symbols, periods/commas unless next to digits, dash after digit, entities', () => {
  assert.equal(tokenize13a('Hello, world.'), 'Hello , world .');
  assert.equal(tokenize13a('3.5 and 1,000'), '3.5 and 1,000');
  assert.equal(tokenize13a('&quot;x&quot; a&amp;b'), '" x " a & b');
  assert.equal(tokenize13a('1990-95 e-mail'), '1990 - 95 e-mail');
  assert.equal(tokenize13a("don't (x)"), "don't ( x )");
});

test('tokenizers handle a 300 000-character line (no quadratic loops)', () => {
  // No clock here (bench/long-lines.ts times it): at this size a quadratic loop or catastrophic backtracking
  // costs over ten minutes per call (the /\\s+$/ bug took 70 s at 100 000 characters), which the suite's
  // time budget cannot miss, while the linear code takes well under a second.
  for (const line of ['.,'.repeat(150_000), 'a!'.repeat(150_000), '€'.repeat(300_000)]) {
    assert.ok(tokenizeIntl(line).length >= line.length);
    assert.ok(tokenize13a(line).length >= line.length);
  }
});
