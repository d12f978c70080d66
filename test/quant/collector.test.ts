import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { EltwiseAdd, Dropout } from '../../src/model/ops.js';
import { collectStats } from '../../src/quant/collector.js';
import { Container, place } from './helpers.js';

const t = (data: number[], shape: number[]): Tensor => new Tensor(Float32Array.from(data), shape);

test('collector (spec §3): per-call averages of per-sample extremes, running mean, incremental std, first shape, shared op once', async () => {
  const root = new Container();
  const add = new EltwiseAdd();
  place(root, 'a.add', add);
  place(root, 'b.alias', add); // shared: counted under its first name only
  place(root, 'a.unused', new Dropout(0));
  const stats = await collectStats(root, () => {
    add.call(t([1, -2, 3, 4], [2, 2]), t([10, 40], [2])); // call 1
    add.call(t([0, 5, -1, 2, 2, 2], [3, 2]).view([3, 2]), t([1, 1], [2])); // call 2 (more rows)
  });
  assert.deepEqual([...stats.keys()], ['a.add', 'a.unused']);
  const r0 = stats.get('a.add')!.inputs![0]!;
  // Call 1 rows [1,-2],[3,4]: row mins −2, 3 → mean 0.5; row maxs 1, 4 → 2.5.
  // Call 2 rows [0,5],[-1,2],[2,2]: mins 0, −1, 2 → 1/3; maxs 5, 2, 2 → 3. Averages over calls, equal weight.
  assert.equal(r0.min, -2);
  assert.equal(r0.max, 5);
  assert.equal(r0.avg_min, 0.5 + (1 / 3 - 0.5) / 2);
  assert.equal(r0.avg_max, 2.5 + (3 - 2.5) / 2);
  // mean: call means 1.5 and 10/6, averaged per call.
  const m1 = 1.5;
  const m2 = m1 + (10 / 6 - m1) / 2;
  assert.equal(r0.mean, m2);
  // std: call 1 sample std of [1,-2,3,4] (numel−1 denominator); call 2 Distiller's incremental update.
  const v1 = [1, -2, 3, 4];
  const s1 = Math.sqrt(v1.reduce((s, v) => s + (v - m1) ** 2, 0) / 3);
  const v2 = [0, 5, -1, 2, 2, 2];
  const nPrev = 6 * 1;
  const M = s1 ** 2 * (nPrev - 1) + v2.reduce((s, v) => s + (v - m1) * (v - m2), 0);
  assert.ok(Math.abs(r0.std - Math.sqrt(M / (nPrev + 6 - 1))) < 1e-12);
  assert.equal(r0.shape, '(2, 2)');
  // Input 1 is 1-D: one value per sample → the global min/max is the single "per-sample" value.
  const r1 = stats.get('a.add')!.inputs![1]!;
  assert.deepEqual([r1.min, r1.max, r1.avg_min, r1.avg_max], [1, 40, 10 + (1 - 10) / 2, 40 + (1 - 40) / 2]);
  assert.equal(r1.shape, '(2)');
  assert.equal(stats.get('a.add')!.output.shape, '(2, 2)');
  assert.equal(stats.get('a.unused')!.inputs, undefined);
  assert.deepEqual(stats.get('a.unused')!.output, { min: Number.MAX_VALUE, max: -Number.MAX_VALUE, avg_min: 0, avg_max: 0, mean: 0, std: 0, shape: '' });
  // Hooks are removed afterwards.
  assert.equal(add.observed, false);
});

test('collector: a one-element first call gives std NaN (written as .nan), as in the Distiller files', async () => {
  const root = new Container();
  const d = new Dropout(0);
  place(root, 'd', d);
  const s = await collectStats(root, async () => {
    d.call(t([3], [1]));
  });
  const r = s.get('d')!.inputs![0]!;
  assert.deepEqual([r.min, r.max, r.avg_min, r.avg_max, r.mean], [3, 3, 3, 3, 3]);
  assert.ok(Number.isNaN(r.std));
});

test('collector: a tensor passed twice in one call (dropout returns its input) gives the records of separate reductions', async () => {
  const root = new Container();
  const d = new Dropout(0);
  const add = new EltwiseAdd();
  place(root, 'd', d);
  place(root, 'add', add);
  const x = t([0.5, -1.25, 3, -0, 7, 2, -4, 1.5], [2, 4]);
  const y = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
  const s = await collectStats(root, () => {
    d.call(x); // input and output are the same tensor
    d.call(y);
    add.call(x, x.view([2, 4])); // same data, another Tensor object
    add.call(y, x);
  });
  // Reference: the same records from one-tensor-at-a-time updates.
  const ref = await collectStats(root, () => {
    d.call(x.clone());
    d.call(y.clone());
    add.call(x.clone(), x.clone());
    add.call(y.clone(), x.clone());
  });
  assert.deepEqual(s.get('d'), ref.get('d'));
  assert.deepEqual(s.get('add'), ref.get('add'));
  const r = s.get('d')!;
  assert.deepEqual(r.inputs![0], r.output);
});
