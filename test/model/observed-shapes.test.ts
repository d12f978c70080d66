/**
 * When ops are observed (statistics collection), the model must call them exactly as Distiller does:
 * the first-call shapes must equal those recorded by Distiller's collector in the fixture's
 * calibration/model_stats.yaml (first batch of test2016: 128 sentences, T = 36, beam 10 → 1280 rows).
 * The observed (per-call) run must also give the same numbers as the fast path.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { Op } from '../../src/model/module.js';
import { makeBatch, segment, tokenIds } from '../../src/eval/dataset.js';
import { fixtureDir } from '../paths.js';
import { fixtureLines, fixtureModel } from './fixture-model.js';

type Rec = { inputs?: Record<string, { shape: string }>; output: { shape: string } };

const fmt = (shape: readonly number[]): string => `(${shape.join(', ')})`;

test('observed run reproduces the first-call shapes of Distiller\'s stats file, and the fast path\'s numbers', async () => {
  const { ckpt, model } = await fixtureModel();
  const expected = parse(readFileSync(join(fixtureDir, 'calibration/model_stats.yaml'), 'utf8')) as Record<string, Rec>;
  const tok2idx = tokenIds(ckpt.vocab);
  const seqs = fixtureLines('data/test2016.tok.bpe.en').slice(0, 128).map((l) => segment(l, tok2idx));
  const batch = makeBatch(seqs, 0, 128);
  assert.equal(batch.T, 36);
  const K = 10;
  const R = 128 * K;
  const rowSentence = Int32Array.from({ length: R }, (_, i) => Math.floor(i / K));
  const words = new Int32Array(R).fill(2);

  // Fast path first (nothing observed).
  const fastKeys = model.encode(batch.src, batch.lengths, batch.T);
  const fast = model.decoder.step(words, fastKeys, rowSentence, null);

  const seen = new Map<string, Rec>();
  const disposers: Array<() => void> = [];
  for (const [name, m] of model.namedModules()) {
    if (!m.isLeaf) continue;
    disposers.push(
      (m as Op).addForwardHook((_op, inputs, output) => {
        if (seen.has(name)) return;
        const inputsRec: Record<string, { shape: string }> = {};
        inputs.forEach((t, i) => (inputsRec[String(i)] = { shape: fmt(t.shape) }));
        seen.set(name, { inputs: inputsRec, output: { shape: fmt(output.shape) } });
      }),
    );
  }
  try {
    const keys = model.encode(batch.src, batch.lengths, batch.T);
    const slow = model.decoder.step(words, keys, rowSentence, null);
    for (const [name, rec] of Object.entries(expected)) {
      const got = seen.get(name) ?? { output: { shape: '' } };
      assert.deepEqual(got, rec.inputs ? { inputs: pick(rec.inputs), output: { shape: rec.output.shape } } : { output: { shape: rec.output.shape } }, name);
    }
    assert.equal(seen.size, Object.values(expected).filter((r) => r.inputs).length);
    assert.ok(maxAbsDiff(keys.context.data, fastKeys.context.data) < 1e-5, 'encoder: observed vs fast');
    assert.ok(maxAbsDiff(slow.logits.data, fast.logits.data) < 1e-4, 'logits: observed vs fast');
    assert.ok(maxAbsDiff(slow.probs.data, fast.probs.data) < 1e-6, 'attention: observed vs fast');
  } finally {
    for (const d of disposers) d();
  }
});

function pick(inputs: Record<string, { shape: string }>): Record<string, { shape: string }> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { shape: v.shape }]));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
