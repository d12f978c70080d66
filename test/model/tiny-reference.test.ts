/**
 * Parity with the PyTorch GNMT written from the spec (tools/gnmt_reference.py) on the random-weight
 * tiny checkpoints of tools/make_fixtures.py, in both container formats: encoder output, first-step
 * logits and attention, beam-3 and greedy translations (test/fixtures/gnmt-tiny/tiny.reference.json).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { buildGnmt } from '../../src/model/build.js';
import { translateLines } from '../../src/eval/translate.js';
import { makeBatch, segment, tokenIds } from '../../src/eval/dataset.js';
import { testFixtures } from '../paths.js';

interface TinyReference {
  lines: string[];
  batch_order: number[];
  encoder_output_shape: [number, number, number];
  encoder_output: number[];
  first_step_logits: number[][];
  first_step_attention: number[][];
  beam3: { bpe: string[]; decoder_iters: number[] };
  beam1: { bpe: string[]; decoder_iters: number[] };
}

const dir = join(testFixtures, 'gnmt-tiny');
const ref = JSON.parse(readFileSync(join(dir, 'tiny.reference.json'), 'utf8')) as TinyReference;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const file of ['tiny.legacy.pth', 'tiny.zip.pth']) {
  test(`${file}: encoder output, first decoder step and translations equal the PyTorch reference`, async () => {
    const ckpt = await loadCheckpoint(join(dir, file));
    const model = buildGnmt(ckpt);
    const tok2idx = tokenIds(ckpt.vocab);
    const batch = makeBatch(ref.lines.map((l) => segment(l, tok2idx)), 0, ref.lines.length);
    assert.deepEqual([...batch.positions], ref.batch_order);

    const keys = model.encode(batch.src, batch.lengths, batch.T);
    assert.deepEqual([...keys.context.shape], ref.encoder_output_shape);
    // Padded positions are not compared by the reference either: mask them out of both.
    const [B, T, H] = ref.encoder_output_shape;
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < batch.lengths[b]!; t++) {
        for (let h = 0; h < H; h++) {
          ours.push(keys.context.data[(b * T + t) * H + h]!);
          theirs.push(ref.encoder_output[(b * T + t) * H + h]!);
        }
      }
    }
    assert.ok(maxAbsDiff(ours, theirs) < 1e-5, `encoder max abs diff ${maxAbsDiff(ours, theirs)}`);

    const rowSentence = Int32Array.from({ length: B }, (_, i) => i);
    const step = model.decoder.step(new Int32Array(B).fill(2), keys, rowSentence, null);
    const V = ckpt.vocab.length;
    for (let b = 0; b < B; b++) {
      const logits = step.logits.data.subarray(b * V, (b + 1) * V);
      assert.ok(maxAbsDiff(logits, ref.first_step_logits[b]!) < 1e-4, `row ${b} logits`);
      const probs = step.probs.data.subarray(b * T, (b + 1) * T);
      assert.ok(maxAbsDiff(probs, ref.first_step_attention[b]!) < 1e-5, `row ${b} attention`);
    }

    for (const [beam, expected] of [[3, ref.beam3], [1, ref.beam1]] as const) {
      const out = await translateLines(model, ckpt.vocab, ref.lines, { beam, maxLen: 20 });
      assert.deepEqual(out.bpe, expected.bpe, `beam ${beam}`);
      assert.deepEqual(out.iterations, expected.decoder_iters, `beam ${beam} iterations`);
    }
  });
}
