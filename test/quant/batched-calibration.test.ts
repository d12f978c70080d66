/**
 * Calibration at batch speed (collector mode 'batched') against the reference, today's per-call path
 * (forward hooks: the model calls every op exactly as Distiller does): same modules, same call counts,
 * every shape equal, every value equal up to float64 summation order and the float32 last bits of the
 * fused kernels. And the translations of an observed run equal those of a plain run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatsCollector } from '../../src/quant/collector.js';
import { translateLines } from '../../src/eval/translate.js';
import type { Stats, StatsRecord } from '../../src/quant/stats.js';
import { fixtureLines, fixtureModel } from '../model/fixture-model.js';

// Two batches (the shared embedding and the encoder dropout accumulate across them), long and short
// sentences (padding in layers 1–3 and in the attention), finished beams decoded with the others.
const LINES = fixtureLines('data/test2016.tok.bpe.en').slice(0, 20);
const SEARCH = { beam: 5, batch: 10, maxLen: 80 };

/**
 * Largest relative difference of two records' numbers; a mean is compared relative to the std as well
 * (means near 0 of tensors that spread over ±1 move by float32 last bits of the recurrence).
 */
function recordDiff(a: StatsRecord, b: StatsRecord): number {
  let worst = 0;
  for (const k of ['min', 'max', 'avg_min', 'avg_max', 'mean', 'std'] as const) {
    const x = a[k];
    const y = b[k];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    const scale = Math.max(Math.abs(x), Math.abs(y), k === 'mean' && !Number.isNaN(a.std) ? a.std : 0, 1e-12);
    worst = Math.max(worst, Math.abs(x - y) / scale);
  }
  return worst;
}

function compare(fast: Stats, ref: Stats): number {
  assert.deepEqual([...fast.keys()], [...ref.keys()]);
  let worst = 0;
  for (const [name, r] of ref) {
    const f = fast.get(name)!;
    assert.equal(f.inputs?.length, r.inputs?.length, `${name}: inputs`);
    const pairs: [StatsRecord, StatsRecord, string][] = [[f.output, r.output, 'output'], ...(r.inputs ?? []).map((x, i) => [f.inputs![i]!, x, `inputs.${i}`] as [StatsRecord, StatsRecord, string])];
    for (const [x, y, where] of pairs) {
      assert.equal(x.shape, y.shape, `${name}.${where}: shape`);
      assert.equal(x.integer, y.integer, `${name}.${where}: integer`);
      const d = recordDiff(x, y);
      assert.ok(d < 1e-5, `${name}.${where}: relative difference ${d}`);
      worst = Math.max(worst, d);
    }
  }
  return worst;
}

test('batched calibration equals the per-call reference on 20 sentences (2 batches, beam 5); observed translations equal plain ones', async () => {
  const { ckpt, model } = await fixtureModel();
  const plain = await translateLines(model, ckpt.vocab, LINES, SEARCH);

  const fastCalls = new Map<string, number>();
  const fast = new StatsCollector(model, (name, call) => fastCalls.set(name, call.call));
  assert.equal(fast.mode, 'batched');
  const observed = await translateLines(model, ckpt.vocab, LINES, SEARCH).finally(() => fast.detach());
  assert.deepEqual(observed.joined, plain.joined, 'translations with batched observation');

  const refCalls = new Map<string, number>();
  const ref = new StatsCollector(model, (name, call) => refCalls.set(name, call.call), { mode: 'per-call' });
  await translateLines(model, ckpt.vocab, LINES, SEARCH).finally(() => ref.detach());

  assert.deepEqual(fastCalls, refCalls, 'call counts');
  const worst = compare(fast.stats(), ref.stats());
  assert.ok(worst < 1e-5);
});
