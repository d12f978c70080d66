/**
 * FusedQuantLstmTail (the byte-table form of the quantized LSTM cell tail) against the op-by-op cell:
 * the same DistillerLSTMCell with its adds/products replaced by quantized wrappers, run once fused
 * (nothing observed) and once op by op (a hook observes one op, which disables the fusion), every mode,
 * on the js and (when built) native kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/tensor/backend.js';
import { DistillerLSTMCell } from '../../src/model/lstm.js';
import type { Op } from '../../src/model/module.js';
import { EltwiseAdd, EltwiseMult } from '../../src/model/ops.js';
import { QUANT_MODES } from '../../src/quant/qtypes.js';
import type { StatsRecord } from '../../src/quant/stats.js';
import { FusedQuantLstmTail, QuantEltwiseAdd, QuantEltwiseMult, type ModuleQuantSettings } from '../../src/quant/wrappers/index.js';
import { backendsHere, randomTensor, rng } from './helpers.js';

const rec = (min: number, max: number): StatsRecord => ({ min, max, avg_min: min / 2, avg_max: max / 2, mean: 0, std: 1, shape: '' });
const settings = (mode: ModuleQuantSettings['mode'], bits: number): ModuleQuantSettings => ({
  mode, bitsActivations: bits, bitsWeights: 8, bitsAccum: 32, perChannelWts: false, clipActs: 'NONE', clipNStds: null, scaleApproxMultBits: null,
});

function quantizedCell(mode: ModuleQuantSettings['mode'], bits: number, H: number): DistillerLSTMCell {
  const cell = new DistillerLSTMCell(3, H);
  const s = settings(mode, bits);
  const add = (name: string, i0: StatsRecord, i1: StatsRecord, out: StatsRecord): void => {
    cell.setModule(name, new QuantEltwiseAdd(new EltwiseAdd(), name, s, { inputs: [i0, i1], output: out }));
  };
  const mult = (name: string, i0: StatsRecord, i1: StatsRecord, out: StatsRecord): void => {
    cell.setModule(name, new QuantEltwiseMult(new EltwiseMult(), name, s, { inputs: [i0, i1], output: out }));
  };
  add('eltwiseadd_gate', rec(-6, 5), rec(-4, 4.5), rec(-7, 6.5));
  mult('eltwisemult_cell_forget', rec(0, 1), rec(-3, 2.5), rec(-2.5, 2));
  mult('eltwisemult_cell_input', rec(0, 0.99), rec(-1, 1), rec(-0.9, 1));
  add('eltwiseadd_cell', rec(-2.5, 2), rec(-0.9, 1), rec(-3, 2.8));
  mult('eltwisemult_hidden', rec(0, 1), rec(-0.99, 0.98), rec(-0.95, 0.97));
  return cell;
}

test('fused quantized LSTM tail equals the op-by-op cell', async () => {
  const backends = await backendsHere();
  for (const backend of backends) {
    await selectBackend(backend, 1);
    for (const mode of QUANT_MODES) {
      for (const bits of [8, 5]) {
        const rand = rng(11 + QUANT_MODES.indexOf(mode) + bits);
        const H = 16;
        const n = 37;
        const cell = quantizedCell(mode, bits, H);
        const gate = cell.child<Op>('eltwiseadd_gate');
        let state = { h: randomTensor([n, H], rand, -1, 1), c: randomTensor([n, H], rand, -3, 3) };
        for (let step = 0; step < 3; step++) {
          const gx = randomTensor([n, 4 * H], rand, -6, 6);
          const hidden = cell.child<Op>('eltwisemult_hidden');
          const forward = hidden.forward.bind(hidden);
          let opRuns = 0;
          hidden.forward = (...x) => (opRuns++, forward(...x));
          const fused = cell.stepFromGates(gx, state);
          assert.equal(opRuns, 0, 'fused: the ops did not run');
          let calls = 0;
          const off = gate.addForwardHook(() => calls++);
          const ops = cell.stepFromGates(gx, state);
          off();
          assert.equal(calls, 1, 'observed: op by op');
          assert.equal(opRuns, 1);
          delete (hidden as { forward?: unknown }).forward;
          assert.deepEqual(fused.c.data, ops.c.data, `${backend} ${mode} ${bits} bits step ${step}: c`);
          assert.deepEqual(fused.h.data, ops.h.data, `${backend} ${mode} ${bits} bits step ${step}: h`);
          assert.deepEqual(fused.h.shape, ops.h.shape);
          assert.ok(new Set(fused.h.data).size > 3);
          state = fused;
        }
      }
    }
  }
  await selectBackend('js');
});

test('the fused LSTM tail declines observed ops and non-quantized ops', () => {
  const cell = quantizedCell('ASYMMETRIC_UNSIGNED', 8, 4);
  const gate = cell.child<QuantEltwiseAdd>('eltwiseadd_gate');
  const names = ['act_i', 'act_f', 'act_g', 'act_o', 'eltwisemult_cell_forget', 'eltwisemult_cell_input', 'eltwiseadd_cell', 'act_h', 'eltwisemult_hidden'];
  const ops = () => Object.fromEntries(names.map((k) => [k, cell.child<Op>(k)])) as never;
  assert.ok(FusedQuantLstmTail.create(gate, ops()));
  const off = cell.child<Op>('act_h').addForwardHook(() => {});
  assert.equal(FusedQuantLstmTail.create(gate, ops()), null);
  off();
  cell.setModule('eltwiseadd_cell', new EltwiseAdd());
  assert.equal(FusedQuantLstmTail.create(gate, ops()), null);
});
