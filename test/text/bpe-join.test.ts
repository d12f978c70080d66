import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bpeJoin } from '../../src/text/bpe-join.js';
import { fixtureDir } from '../paths.js';
import { assertSameLines, lines } from './text-fixtures.js';

test('fixture test2016.beam*.bpe.de → .tok.de (MLPerf Tokenizer.detokenize output) byte for byte', () => {
  for (const beam of [10, 5, 1]) {
    const d = join(fixtureDir, 'fp32');
    const got = lines(join(d, `test2016.beam${beam}.bpe.de`)).map((l) => bpeJoin(l.split(' ')));
    assertSameLines(got, lines(join(d, `test2016.beam${beam}.tok.de`)), `beam${beam}`);
  }
});

test('removes "@@ " then any remaining "@@"; special tokens stay literal', () => {
  assert.equal(bpeJoin(['Gu@@', 'ta@@', 'ch', ':']), 'Gutach :');
  assert.equal(bpeJoin('ein Fahr@@ rad@@'), 'ein Fahrrad');
  assert.equal(bpeJoin(['<unk>', 'x@@']), '<unk> x');
  assert.equal(bpeJoin([]), '');
});
