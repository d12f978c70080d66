import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pyFixed, pySplit, pyStrip } from '../../src/metrics/python-str.js';

test("pyFixed rounds exact ties to even like Python's format, others to nearest", () => {
  assert.equal(pyFixed(0.125, 2), '0.12');
  assert.equal(pyFixed(0.375, 2), '0.38');
  assert.equal(pyFixed(2.5, 0), '2');
  assert.equal(pyFixed(3.5, 0), '4');
  assert.equal(pyFixed(-0.125, 2), '-0.12');
  assert.equal(pyFixed(1.005, 2), '1.00'); // 1.005 is really 1.00499999…
  assert.equal(pyFixed(34.3349, 2), '34.33');
  assert.equal(pyFixed(100, 1), '100.0');
});

test('Python whitespace: U+001C–U+001F and NBSP split, U+FEFF and U+200B do not', () => {
  assert.deepEqual(pySplit(' a\u001cb\u00a0c\ufeffd\u200be '), ['a', 'b', 'c\ufeffd\u200be']);
  assert.equal(pyStrip('\u3000 x \u001f'), 'x');
  assert.deepEqual(pySplit('   '), []);
});

test('strip/rstrip stay linear on a 1 000 000-character inner whitespace run (a /\\s+$/ regex would be quadratic)', () => {
  // No clock here (bench/long-lines.ts times it): a quadratic strip would need hours at this size.
  const s = `x${' '.repeat(1_000_000)}y `;
  assert.equal(pyStrip(s).length, 1_000_002);
});
