import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { BatchMatmul, Concat, EltwiseAdd, EltwiseMult, Embedding, Linear, Matmul } from '../../src/model/ops.js';
import { QUANT_MODES, dequantize } from '../../src/quant/qtypes.js';
import type { StatsRecord } from '../../src/quant/stats.js';
import {
  QuantBatchMatmul, QuantConcat, QuantEltwiseAdd, QuantEltwiseMult, QuantEmbedding, QuantLinear, QuantMatmul,
  type ModuleQuantSettings, type QuantWrapper,
} from '../../src/quant/wrappers/index.js';
import { simulateQ } from './simulation.js';
import { randomTensor, rng } from './helpers.js';

/** A stats record whose range is narrower than the data on purpose (so clamping is exercised). */
function rec(rand: () => number, lo: number, hi: number): StatsRecord {
  const min = lo * (0.5 + rand());
  const max = hi * (0.5 + rand());
  return { min, max, avg_min: min / 2, avg_max: max / 2, mean: 0, std: 1, shape: '' };
}

function settings(mode: ModuleQuantSettings['mode'], perChannelWts = false): ModuleQuantSettings {
  return { mode, bitsActivations: 8, bitsWeights: 8, bitsAccum: 32, perChannelWts, clipActs: 'NONE', clipNStds: null, scaleApproxMultBits: null };
}

/** Integer path == specified simulation, and forward() == D(q_out). Returns the number of values compared. */
function check(w: QuantWrapper, inputs: Tensor[]): number {
  const got = w.forwardQ(...inputs);
  const want = simulateQ(w, inputs);
  assert.deepEqual(got.data, want, `${w.type} ${w.settings.mode}: q_out differs from the simulation`);
  const y = w.forward(...inputs);
  assert.deepEqual([...y.shape], [...got.shape]);
  const { scale, zeroPoint } = w.outputParams;
  assert.deepEqual(y.data, Float32Array.from(want, (q) => dequantize(q, scale, zeroPoint)));
  // The output must hit both ends of the range sometimes or at least vary.
  assert.ok(new Set(got.data).size > 1);
  return want.length;
}

for (const mode of QUANT_MODES) {
  test(`integer execution equals the specified float32 simulation, every wrapper (${mode})`, () => {
    const rand = rng(QUANT_MODES.indexOf(mode) + 7);
    let compared = 0;
    for (const perChannel of [false, true]) {
      for (const [k, n, m, bias] of [[64, 7, 5, true], [3, 2, 4, false], [33, 16, 1, true]] as const) {
        const lin = new Linear(k, n, bias);
        lin.setParameters(randomTensor([n, k], rand, -0.5, 0.3), bias ? randomTensor([n], rand, -2, 2) : null);
        const w = new QuantLinear(lin, 'lin', settings(mode, perChannel), { input: rec(rand, -1, 1), output: rec(rand, -3, 2) });
        compared += check(w, [randomTensor([m, k], rand, -1.2, 1.1)]);
        compared += check(w, [randomTensor([2, m, k], rand, -0.2, 1.5)]); // 3-D input, shifted data
      }
    }
    const add = new QuantEltwiseAdd(new EltwiseAdd(), 'add', settings(mode), { inputs: [rec(rand, -2, 2), rec(rand, -1, 0.5)], output: rec(rand, -3, 3) });
    compared += check(add, [randomTensor([2, 3, 4], rand, -2, 2), randomTensor([2, 3, 4], rand, -1, 1)]);
    compared += check(add, [randomTensor([2, 3, 4], rand, -2, 2), randomTensor([4], rand, -1, 1)]); // bias-like broadcast
    const add3 = new QuantEltwiseAdd(new EltwiseAdd(), 'add3', settings(mode), { inputs: [rec(rand, -2, 2), rec(rand, -1, 1), rec(rand, 0, 1)], output: rec(rand, -4, 4) });
    compared += check(add3, [randomTensor([3, 5], rand, -2, 2), randomTensor([3, 5], rand, -1, 1), randomTensor([3, 5], rand, 0, 1)]);
    const mul = new QuantEltwiseMult(new EltwiseMult(), 'mul', settings(mode), { inputs: [rec(rand, -0.1, 1), rec(rand, -5, 2)], output: rec(rand, -4, 2) });
    compared += check(mul, [randomTensor([4, 6], rand, 0, 1), randomTensor([4, 6], rand, -5, 2)]);
    compared += check(mul, [randomTensor([6], rand, -1, 1), randomTensor([1], rand, 2, 3)]); // scaler-like
    const mm = new QuantMatmul(new Matmul(), 'mm', settings(mode), { inputs: [rec(rand, -1, 1), rec(rand, -0.2, 0.15)], output: rec(rand, -1, 2) });
    compared += check(mm, [randomTensor([2, 1, 3, 16], rand, -1, 1), randomTensor([16], rand, -0.2, 0.15)]);
    const bmm = new QuantBatchMatmul(new BatchMatmul(), 'bmm', settings(mode), { inputs: [rec(rand, 0, 1), rec(rand, -3, 3)], output: rec(rand, -2, 2) });
    compared += check(bmm, [randomTensor([2, 1, 5], rand, 0, 1), randomTensor([2, 5, 7], rand, -3, 3)]);
    const cat = new QuantConcat(new Concat(2), 'cat', settings(mode), { inputs: [rec(rand, -1, 1), rec(rand, -1.5, 0.8)], output: rec(rand, -1.2, 1.1) });
    compared += check(cat, [randomTensor([2, 1, 3], rand, -1, 1), randomTensor([2, 1, 4], rand, -1.5, 1)]);
    const embOp = new Embedding(6, 5);
    embOp.weight = randomTensor([6, 5], rand, -1, 1);
    const emb = new QuantEmbedding(embOp, 'emb', settings(mode), { output: rec(rand, -0.8, 0.7) });
    compared += check(emb, [new Tensor(Float32Array.of(0, 5, 3, 3, 1, 2), [2, 3])]);
    console.log(`  ${mode}: ${compared} output integers equal`);
  });
}

test('Linear: per-channel weight params and int32 bias equal a hand computation (ASYMMETRIC_SIGNED)', () => {
  const lin = new Linear(2, 2, true);
  lin.setParameters(new Tensor(Float32Array.of(-1, 0.5, 0.25, 3), [2, 2]), new Tensor(Float32Array.of(0.1, -7), [2]));
  const input: StatsRecord = { min: -2, max: 2, avg_min: 0, avg_max: 0, mean: 0, std: 0, shape: '' };
  const w = new QuantLinear(lin, 'lin', settings('ASYMMETRIC_SIGNED', true), { input, output: input });
  // Row 0: range [-1, 0.5] → d = 1.5, s = fround(fround(1/1.5)·255) = 170 (the float32 product rounds
  // to exactly 170), z = round(170·−1) + 128 = −42.
  const s0 = Math.fround(Math.fround(1 / 1.5) * 255);
  assert.equal(s0, 170);
  assert.deepEqual([w.weightParams[0]!.scale, w.weightParams[0]!.zeroPoint], [170, -42]);
  // Row 1: range [0, 3] → s = fround(fround(1/3)·255) = 85, z = round(0) + 128 = 128.
  const s1 = Math.fround(Math.fround(1 / 3) * 255);
  assert.equal(s1, 85);
  assert.deepEqual([w.weightParams[1]!.scale, w.weightParams[1]!.zeroPoint], [85, 128]);
  // Wq = clamp(round(s·w − z)): −170 + 42 = −128; 85 + 42 = 127; 21.25 − 128 = −106.75 → −107; 255 − 128 = 127.
  assert.deepEqual([...w.weightQ], [-128, 127, -107, 127]);
  // Input [-2, 2] → s_x = fround(fround(1/4)·255) = 63.75; s_a = 63.75·170 = 10837.5 and 63.75·85 = 5418.75;
  // Bq = round(fround(s_a·b)): 10837.5·fround(0.1) = 1083.75 → 1084; 5418.75·−7 = −37931.25 → −37931.
  assert.equal(w.inputParams.scale, 63.75);
  assert.deepEqual([...w.accumScale], [10837.5, 5418.75]);
  assert.deepEqual([...w.biasQ!], [1084, -37931]);
});

test('Linear SYMMETRIC per tensor: weight scale 127/max|W|, zero point 0', () => {
  const lin = new Linear(2, 2, false);
  lin.setParameters(new Tensor(Float32Array.of(-2.5, 1, 0.5, 2), [2, 2]), null);
  const r: StatsRecord = { min: -1, max: 1, avg_min: 0, avg_max: 0, mean: 0, std: 0, shape: '' };
  const w = new QuantLinear(lin, 'lin', settings('SYMMETRIC'), { input: r, output: r });
  assert.equal(w.weightParams.length, 1);
  assert.deepEqual(w.weightParams[0], { scale: Math.fround(Math.fround(1 / 2.5) * 127), zeroPoint: 0, satMin: -2.5, satMax: 2.5 });
  assert.deepEqual([...w.weightQ], [-127, 51, 25, 102]); // 50.8 → 51, 25.4 → 25, 101.6 → 102
  assert.equal(w.biasQ, null);
});
