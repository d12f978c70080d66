/**
 * FusedQuantScores (the byte-table form of qk add → norm-bias add → tanh → matmul_score) against the
 * op-by-op chain exactly as src/model/attention.ts runs it (expanded query, replicated keys), every
 * mode, on the js and (when built) native kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { selectBackend } from '../../src/tensor/backend.js';
import { BatchMatmul, EltwiseAdd, Linear, Matmul, Tanh } from '../../src/model/ops.js';
import { BahdanauAttention } from '../../src/model/attention.js';
import type { Op } from '../../src/model/module.js';
import { QUANT_MODES } from '../../src/quant/qtypes.js';
import type { StatsRecord } from '../../src/quant/stats.js';
import { QuantBatchMatmul, QuantEltwiseAdd, QuantMatmul, type ModuleQuantSettings } from '../../src/quant/wrappers/index.js';
import { FusedQuantScores } from '../../src/quant/wrappers/quant-attention.js';
import { backendsHere, randomTensor, rng } from './helpers.js';

const rec = (min: number, max: number): StatsRecord => ({ min, max, avg_min: min / 2, avg_max: max / 2, mean: 0, std: 1, shape: '' });
const settings = (mode: ModuleQuantSettings['mode']): ModuleQuantSettings => ({
  mode, bitsActivations: 8, bitsWeights: 8, bitsAccum: 32, perChannelWts: false, clipActs: 'NONE', clipNStds: null, scaleApproxMultBits: null,
});

test('fused quantized attention scores equal the op-by-op chain', async () => {
  const backends = await backendsHere();
  for (const backend of backends) {
    await selectBackend(backend, 1);
    for (const mode of QUANT_MODES) {
      const rand = rng(5 + QUANT_MODES.indexOf(mode));
      const s = settings(mode);
      const qk = new QuantEltwiseAdd(new EltwiseAdd(), 'qk', s, { inputs: [rec(-3, 2.5), rec(-2, 3)], output: rec(-4, 4) });
      const nb = new QuantEltwiseAdd(new EltwiseAdd(), 'nb', s, { inputs: [rec(-4, 3.5), rec(-0.5, 0.7)], output: rec(-4.5, 4) });
      const tanh = new Tanh();
      const score = new QuantMatmul(new Matmul(), 'score', s, { inputs: [rec(-1, 1), rec(-0.4, 0.5)], output: rec(-5, 6) });
      const fused = FusedQuantScores.create(qk, nb, tanh, score);
      assert.ok(fused, 'fusable');
      const [S, T, U] = [3, 7, 24];
      const rowSentence = Int32Array.of(0, 0, 2, 1, 2, 2, 0);
      const R = rowSentence.length;
      for (let rep = 0; rep < 2; rep++) {
        const pq = randomTensor([R, U], rand, -3, 3);
        const pk = randomTensor([S, T, U], rand, -2.5, 3);
        const bn = randomTensor([U], rand, -0.6, 0.8);
        const a = randomTensor([U], rand, -0.5, 0.5);
        // The op-by-op chain of attention.ts.
        const qExp = new Float32Array(R * T * U);
        const pkRows = new Float32Array(R * T * U);
        for (let r = 0; r < R; r++) {
          for (let j = 0; j < T; j++) qExp.set(pq.data.subarray(r * U, r * U + U), (r * T + j) * U);
          pkRows.set(pk.data.subarray(rowSentence[r]! * T * U, (rowSentence[r]! + 1) * T * U), r * T * U);
        }
        const sumQk = qk.call(new Tensor(qExp, [R, 1, T, U]), new Tensor(pkRows, [R, 1, T, U]));
        const th = tanh.call(nb.call(sumQk, bn));
        const want = score.call(th, a);
        const got: Float32Array | null = fused!.run(pq.data, pk.data, rowSentence, T, U, bn.data, a.data);
        assert.ok(got);
        assert.deepEqual(got, want.data, `${backend} ${mode} rep ${rep}`);
        assert.ok(new Set(got).size > 3);
      }
    }
  }
  await selectBackend('js');
});

test('BahdanauAttention with quantized score ops: fused form equals the op-by-op forward', async () => {
  const backends = await backendsHere();
  for (const backend of backends) {
    await selectBackend(backend, 1);
    for (const mode of QUANT_MODES) {
      const rand = rng(21 + QUANT_MODES.indexOf(mode));
      const s = settings(mode);
      const [S, T, H] = [3, 6, 16];
      const att = new BahdanauAttention(H, H, H);
      att.linearAtt = randomTensor([H], rand, -0.5, 0.5);
      att.normalizeScalar = new Tensor(Float32Array.of(0.7), [1]);
      att.normalizeBias = randomTensor([H], rand, -0.6, 0.8);
      att.child<Linear>('linear_q').setParameters(randomTensor([H, H], rand, -0.4, 0.4), null);
      att.child<Linear>('linear_k').setParameters(randomTensor([H, H], rand, -0.4, 0.4), null);
      att.setModule('eltwiseadd_qk', new QuantEltwiseAdd(new EltwiseAdd(), 'qk', s, { inputs: [rec(-3, 2.5), rec(-2, 3)], output: rec(-4, 4) }));
      att.setModule('eltwiseadd_norm_bias', new QuantEltwiseAdd(new EltwiseAdd(), 'nb', s, { inputs: [rec(-4, 3.5), rec(-0.5, 0.7)], output: rec(-4.5, 4) }));
      att.setModule('matmul_score', new QuantMatmul(new Matmul(), 'score', s, { inputs: [rec(-1, 1), rec(-0.4, 0.5)], output: rec(-5, 6) }));
      att.setModule('context_matmul', new QuantBatchMatmul(new BatchMatmul(), 'ctx', s, { inputs: [rec(0, 1), rec(-2, 2)], output: rec(-2, 2) }));
      const rowSentence = Int32Array.of(0, 0, 2, 1, 2, 2, 0);
      const R = rowSentence.length;
      const context = randomTensor([S, T, H], rand, -2, 2);
      const lengths = Int32Array.of(6, 4, 5);
      const query = randomTensor([R, 1, H], rand, -2, 2);
      const tanhOp = att.child<Op>('tanh');
      const tanhForward = tanhOp.forward.bind(tanhOp);
      let tanhRuns = 0;
      tanhOp.forward = (...x) => (tanhRuns++, tanhForward(...x));
      const fused = att.forward(query, { context, lengths }, rowSentence);
      assert.equal(tanhRuns, 1, 'fused: tanh evaluated once, for the chain table');
      let calls = 0;
      const off = att.child<Op>('tanh').addForwardHook(() => calls++);
      const ops = att.forward(query, { context, lengths }, rowSentence);
      off();
      assert.equal(calls, 1, 'observed: op by op');
      assert.deepEqual(fused.probs.data, ops.probs.data, `${backend} ${mode}: probs`);
      assert.deepEqual(fused.context.data, ops.context.data, `${backend} ${mode}: context`);
      assert.deepEqual(fused.context.shape, ops.context.shape);
      assert.ok(new Set(fused.probs.data).size > 3);
    }
  }
  await selectBackend('js');
});
