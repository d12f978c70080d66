/** The evaluation data path: segmenting, batching/sorting, and translateLines' line alignment. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchRanges, makeBatch, segment, tokenIds } from '../../src/eval/dataset.js';
import { translateLines } from '../../src/eval/translate.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';

test('segment: strip, split on whitespace runs, unknown → 1, BOS … EOS', () => {
  const tok2idx = tokenIds(['<pad>', '<unk>', '<s>', '<\\s>', 'a', 'b@@', 'c']);
  assert.deepEqual([...segment('  a b@@ c\tzz  ', tok2idx)], [2, 4, 5, 6, 1, 3]);
  assert.deepEqual([...segment('', tok2idx)], [2, 3]);
});

test('makeBatch: stable sort by decreasing length, zero padding; batches in file order', () => {
  const seqs = [[2, 3], [2, 9, 3], [2, 8, 3], [2, 7, 7, 3]].map((a) => Int32Array.from(a));
  const b = makeBatch(seqs, 0, 4);
  assert.deepEqual([...b.positions], [3, 1, 2, 0]);
  assert.deepEqual([...b.lengths], [4, 3, 3, 2]);
  assert.equal(b.T, 4);
  assert.deepEqual([...b.src], [2, 7, 7, 3, 2, 9, 3, 0, 2, 8, 3, 0, 2, 3, 0, 0]);
  assert.deepEqual(batchRanges(5, 2), [[0, 2], [2, 4], [4, 5]]);
});

test('translateLines keeps line i ↔ line i across batches, with an empty line and a long line', async () => {
  const { ckpt, model } = await fixtureModel();
  const src = fixtureLines('data/test2016.tok.bpe.en').slice(0, 5);
  const ref = fixtureLines('fp32/test2016.beam5.bpe.de').slice(0, 5);
  const long = Array.from({ length: 150 }, () => 'a').join(' ');
  const input = [src[0]!, '', src[1]!, long, src[2]!, src[3]!, src[4]!];
  const warnings: string[] = [];
  const progress: number[] = [];
  const out = await translateLines(model, ckpt.vocab, input, {
    beam: 5,
    batch: 3,
    maxLen: 30,
    onWarning: (m) => warnings.push(m),
    onProgress: (done) => progress.push(done),
  });
  assert.equal(out.bpe.length, input.length);
  assert.deepEqual([0, 2, 4, 5, 6].map((i) => out.bpe[i]), ref);
  assert.equal(out.iterations.length, 3);
  assert.deepEqual(progress, [3, 6, 7]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /line 4 has 150 tokens/);
  assert.equal(typeof out.bpe[1], 'string'); // the empty sentence gets whatever the model says, in place
});
