/**
 * The wrappers' fast paths (fast-ops.ts: native quantizeU8 / gemmU8S8S32 / requantizeF32, byte
 * lookup tables, the packed score vector) on every available backend, at GNMT-like shapes:
 * forwardQ must equal the specified float32 simulation and forward must equal D(q_out), exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { selectBackend } from '../../src/tensor/backend.js';
import { BatchMatmul, Concat, EltwiseAdd, EltwiseMult, Linear, Matmul } from '../../src/model/ops.js';
import { QUANT_MODES, dequantize } from '../../src/quant/qtypes.js';
import type { StatsRecord } from '../../src/quant/stats.js';
import {
  QuantBatchMatmul, QuantConcat, QuantEltwiseAdd, QuantEltwiseMult, QuantLinear, QuantMatmul,
  type ModuleQuantSettings, type QuantWrapper,
} from '../../src/quant/wrappers/index.js';
import { simulateQ } from './simulation.js';
import { backendsHere, randomTensor, rng } from './helpers.js';

function rec(min: number, max: number): StatsRecord {
  return { min, max, avg_min: min / 2, avg_max: max / 2, mean: 0, std: 1, shape: '' };
}

function settings(mode: ModuleQuantSettings['mode'], perChannelWts: boolean, bitsAccum = 32): ModuleQuantSettings {
  return { mode, bitsActivations: 8, bitsWeights: 8, bitsAccum, perChannelWts, clipActs: 'NONE', clipNStds: null, scaleApproxMultBits: null };
}

function check(w: QuantWrapper, inputs: Tensor[], what: string): void {
  const want = simulateQ(w, inputs);
  const got = w.forwardQ(...inputs);
  assert.deepEqual(got.data, want, `${what}: q_out differs from the simulation`);
  const y = w.forward(...inputs);
  assert.deepEqual([...y.shape], [...got.shape], what);
  const { scale, zeroPoint } = w.outputParams;
  assert.deepEqual(y.data, Float32Array.from(want, (q) => dequantize(q, scale, zeroPoint)), `${what}: forward differs from D(q_out)`);
}

test('fast paths equal the simulation on GNMT-like shapes, every backend and mode', async () => {
  for (const backend of await backendsHere()) {
    await selectBackend(backend, 1);
    for (const mode of QUANT_MODES) {
      const rand = rng(31 + QUANT_MODES.indexOf(mode));
      const tag = `${backend} ${mode}`;
      // Attention: (R, 1, T, U) + (R, 1, T, U), + bias (U), score (R, 1, T, U)·(U), context (R, 1, T)·(R, T, H).
      const [R, T, U] = [6, 5, 32];
      const add = new QuantEltwiseAdd(new EltwiseAdd(), 'add', settings(mode, false), { inputs: [rec(-1, 1), rec(-2, 1.5)], output: rec(-2.5, 2) });
      check(add, [randomTensor([R, 1, T, U], rand, -1.2, 1.2), randomTensor([R, 1, T, U], rand, -2, 2)], `${tag} add`);
      check(add, [randomTensor([R, 1, T, U], rand, -1.2, 1.2), randomTensor([U], rand, -2, 2)], `${tag} add bias`);
      check(add, [randomTensor([U], rand, -1.2, 1.2), randomTensor([R, 1, T, U], rand, -2, 2)], `${tag} add broadcast first`);
      check(add, [randomTensor([R, 1, U], rand, -1.2, 1.2), randomTensor([R, T, 1], rand, -2, 2)], `${tag} add general broadcast`);
      const mul = new QuantEltwiseMult(new EltwiseMult(), 'mul', settings(mode, false), { inputs: [rec(0, 1), rec(-1, 1)], output: rec(-1, 1) });
      check(mul, [randomTensor([R, U], rand, 0, 1), randomTensor([R, U], rand, -1.1, 1.1)], `${tag} mul`);
      check(mul, [randomTensor([U], rand, -1, 1), randomTensor([1], rand, 0.5, 0.9)], `${tag} mul scaler`);
      const mm = new QuantMatmul(new Matmul(), 'mm', settings(mode, false), { inputs: [rec(-1, 1), rec(0, 0.3)], output: rec(-3, 3) });
      const v = randomTensor([U], rand, 0, 0.3);
      check(mm, [randomTensor([R, 1, T, U], rand, -1, 1), v], `${tag} score`);
      check(mm, [randomTensor([R, 1, T, U], rand, -1, 1), v], `${tag} score, cached vector`);
      check(mm, [randomTensor([R, 1, T, U], rand, -1, 1), randomTensor([U], rand, -0.3, 0.3)], `${tag} score, new vector`);
      const mmNarrow = new QuantMatmul(new Matmul(), 'mm16', settings(mode, false, 16), { inputs: [rec(-1, 1), rec(-0.3, 0.3)], output: rec(-3, 3) });
      check(mmNarrow, [randomTensor([R, 1, T, U], rand, -1, 1), randomTensor([U], rand, -0.3, 0.3)], `${tag} score, 16-bit accumulator`);
      const bmm = new QuantBatchMatmul(new BatchMatmul(), 'bmm', settings(mode, false), { inputs: [rec(0, 1), rec(-2, 2)], output: rec(-2, 2) });
      const probs = randomTensor([R, 1, T], rand, 0, 0.4);
      probs.data.fill(0, 3, 5); // padded positions
      check(bmm, [probs, randomTensor([R, T, U], rand, -2, 2)], `${tag} context`);
      // forwardRows: keys per sentence, selected per row, equals the op on the replicated keys.
      const keys = randomTensor([3, T, U], rand, -2, 2);
      const rowBlock = Int32Array.of(0, 0, 2, 1, 2, 0);
      const replicated = new Float32Array(R * T * U);
      rowBlock.forEach((blk, r) => replicated.set(keys.data.subarray(blk * T * U, (blk + 1) * T * U), r * T * U));
      const want = bmm.forward(probs, new Tensor(replicated, [R, T, U]));
      assert.deepEqual(bmm.forwardRows(probs, keys, rowBlock)?.data, want.data, `${tag} context rows`);
      const cat = new QuantConcat(new Concat(2), 'cat', settings(mode, false), { inputs: [rec(-1, 1), rec(-3, 2)], output: rec(-2, 2) });
      check(cat, [randomTensor([R, 1, U], rand, -1, 1), randomTensor([R, 1, 16], rand, -3, 3)], `${tag} concat`);
      for (const perChannel of [false, true]) {
        for (const bits of [32, 24]) {
          const lin = new Linear(U, 4 * U, true);
          lin.setParameters(randomTensor([4 * U, U], rand, -0.4, 0.5), randomTensor([4 * U], rand, -1, 1));
          const w = new QuantLinear(lin, 'lin', settings(mode, perChannel, bits), { input: rec(-1, 1), output: rec(-4, 4) });
          check(w, [randomTensor([R, U], rand, -1.3, 1.3)], `${tag} linear pc=${perChannel} accum=${bits}`);
          check(w, [randomTensor([0, U], rand)], `${tag} linear, no rows`);
        }
      }
    }
  }
  await selectBackend('js');
});
