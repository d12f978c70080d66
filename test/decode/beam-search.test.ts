/**
 * Beam and greedy search: the reference's quirks on a scripted generator, then the real fixture model
 * against MLPerf translate.py's outputs (fixtures/multi30k-gnmt256/fp32, README §4) on one batch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beamSearch } from '../../src/decode/beam-search.js';
import type { Gnmt, GenerateResult } from '../../src/model/gnmt.js';
import type { AttentionKeys } from '../../src/model/attention.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { translateLines } from '../../src/eval/translate.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';
import { makeBatch, segment, tokenIds } from '../../src/eval/dataset.js';
import type { Op } from '../../src/model/module.js';

/** A generator whose top-k per row is a function of the row's last word; attention uniform over T. */
function scripted(T: number, next: (word: number) => Array<[number, number]>): Pick<Gnmt, 'generate'> {
  return {
    generate(words, _keys, _rows, _state, k): GenerateResult {
      const R = words.length;
      const ids = new Int32Array(R * k);
      const logprobs = new Float32Array(R * k);
      for (let r = 0; r < R; r++) {
        next(words[r]!).slice(0, k).forEach(([id, lp], i) => {
          ids[r * k + i] = id;
          logprobs[r * k + i] = lp;
        });
      }
      return { ids, logprobs, probs: new Tensor(new Float32Array(R * T).fill(1 / T), [R, 1, T]), state: { layers: [] } };
    },
  };
}

const keysFor = (N: number, T: number): AttentionKeys => ({ context: Tensor.zeros([N, T, 1]), lengths: new Int32Array(N).fill(T) });

test('step 1 expands only the first beam; ties go to the lower flat index', () => {
  // Every row proposes 5 (−0.1) and 6 (−0.1): tied. If both beams expanded at step 1, the result
  // would repeat token 5; only beam 0 expands, so the two hypotheses are 5 and 6 (lower index first).
  const gen = scripted(3, (w) => (w === 2 ? [[5, -0.1], [6, -0.1]] : [[3, -0.5], [7, -1]]));
  const res = beamSearch(gen, keysFor(1, 3), { beam: 2, maxLen: 10 });
  // Step 2: each hypothesis ends (EOS); step 3: all finished → normalised, sentence leaves.
  assert.equal(res.iterations, 3);
  assert.deepEqual([...res.translations[0]!.subarray(0, 4)], [2, 5, 3, 3]);
  assert.equal(res.lengths[0], 3);
});

test('a hypothesis that never ends has length M and keeps running to max_seq_len', () => {
  const gen = scripted(2, () => [[9, -0.01], [8, -2]]);
  const res = beamSearch(gen, keysFor(2, 2), { beam: 2, maxLen: 6 });
  assert.equal(res.iterations, 5);
  for (const n of [0, 1]) {
    assert.equal(res.lengths[n], 6);
    assert.deepEqual([...res.translations[n]!], [2, 9, 9, 9, 9, 9]);
  }
  const greedy = beamSearch(gen, keysFor(2, 2), { beam: 1, maxLen: 6 });
  assert.deepEqual([...greedy.translations[1]!], [2, 9, 9, 9, 9, 9]);
  assert.equal(greedy.lengths[1], 6);
});

for (const [beam, lines] of [
  [10, 128],
  [5, 64],
  [1, 128],
] as const) {
  test(`fixture test2016, beam ${beam}: first ${lines} lines identical to MLPerf translate.py`, async () => {
    const { ckpt, model } = await fixtureModel();
    const src = fixtureLines('data/test2016.tok.bpe.en').slice(0, lines);
    const ref = fixtureLines(`fp32/test2016.beam${beam}.bpe.de`).slice(0, lines);
    const refJoined = fixtureLines(`fp32/test2016.beam${beam}.tok.de`).slice(0, lines);
    const out = await translateLines(model, ckpt.vocab, src, { beam, batch: lines });
    assert.deepEqual(out.bpe, ref);
    assert.deepEqual(out.joined, refJoined);
    if (lines === 128) {
      // Same batch as the reference's first one: same number of decoder iterations (fp32/summary.json).
      const summary = { 10: 41, 5: 40, 1: 32 } as const;
      assert.deepEqual(out.iterations, [summary[beam as 10 | 5 | 1]]);
    }
  });
}

test('FP32 models decode only the rows that matter: same results as decoding every row, fewer rows', async () => {
  const { ckpt, model } = await fixtureModel();
  assert.equal(model.rowsIndependent(), true);
  const tok2idx = tokenIds(ckpt.vocab);
  const seqs = fixtureLines('data/test2016.tok.bpe.en').slice(200, 232).map((l) => segment(l, tok2idx));
  const batch = makeBatch(seqs, 0, seqs.length);
  const keys = model.encode(batch.src, batch.lengths, batch.T);
  const counting = (compact: boolean): { rows: number; run: Parameters<typeof beamSearch>[0] } => {
    const c = { rows: 0, run: {} as Parameters<typeof beamSearch>[0] };
    c.run = {
      generate: (words, k, rs, st, kk) => {
        c.rows += words.length;
        return model.generate(words, k, rs, st, kk);
      },
      ...(compact ? { rowsIndependent: () => true } : {}),
    };
    return c;
  };
  for (const beam of [5, 3]) {
    const full = counting(false);
    const compact = counting(true);
    const a = beamSearch(full.run, keys, { beam });
    const b = beamSearch(compact.run, keys, { beam });
    assert.equal(b.iterations, a.iterations);
    assert.deepEqual(b.lengths, a.lengths);
    assert.deepEqual(b.translations, a.translations);
    assert.ok(compact.rows < full.rows, `compact decoded ${compact.rows} rows, full ${full.rows}`);
  }
  // An observed op (statistics collection) keeps Distiller's full batches.
  const op = model.decoder.child('classifier').child<Op>('classifier');
  const dispose = op.addForwardHook(() => {});
  assert.equal(model.rowsIndependent(), false);
  dispose();
  assert.equal(model.rowsIndependent(), true);
});
