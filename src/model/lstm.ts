/**
 * Distiller's modular LSTM (gnmt-model.md §5): `DistillerLSTMCell` with one leaf op per operation and
 * the `DistillerLSTM` container (`cells`, `cells_reverse`, `dropout`). qnmt always builds this form,
 * so the dotted names match Distiller's converted model and its stats files.
 *
 * The cell is driven one time step at a time by the encoder/decoder, which decide the batching
 * (Distiller's per-call granularity when an op is observed, faster batching otherwise).
 */
import { Tensor } from '../tensor/tensor.js';
import { chunkLastDim } from '../tensor/ops.js';
import { kernels } from '../tensor/backend.js';
import { Module, type Op } from './module.js';
import { Dropout, EltwiseAdd, EltwiseMult, Linear, Sigmoid, Tanh } from './ops.js';
import { ModuleList } from './containers.js';
import { FusionCache, hasLstmTailFusion, type LstmTailKernel, type LstmTailOps } from './fused-capabilities.js';
import { rowQuads } from '../tensor/sample-stats.js';
import { LSTM_TAIL_TENSORS, QUAD } from '../tensor/stats-kernels.js';
import { concatQuads, quadColumn, recordIndexed, recordRows, type RowsStats } from './record-calls.js';

/** The (h, c) state of one LSTM for `rows` rows, each (rows, H). */
export interface LstmState {
  h: Tensor;
  c: Tensor;
}

/** True when `op` is still the plain FP32 op of class `cls` and nothing observes it (fusion allowed). */
export function isPlain(op: Op, cls: abstract new (...args: never[]) => Op): boolean {
  return op.constructor === cls && !op.observed;
}

/** True if any op in the subtree is observed (statistics need Distiller's call granularity). */
export function anyObserved(module: Module): boolean {
  for (const [, m] of module.namedModules()) {
    if (m.isLeaf && (m as Op).observed) return true;
  }
  return (module.isLeaf && (module as Op).observed) || false;
}

/** True if any op in the subtree records its calls (module.ts `recordCall`). */
export function anyRecorded(module: Module): boolean {
  for (const [, m] of module.namedModules()) {
    if (m.isLeaf && (m as Op).recorded) return true;
  }
  return false;
}

export class DistillerLSTMCell extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** The replaced tail's fused form (fused-capabilities.ts), when its ops offer one. */
  private readonly tailFusion = new FusionCache<LstmTailKernel>();

  constructor(inputSize: number, hiddenSize: number) {
    super();
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    // Registration order = Distiller's (it fixes the order of names and of stats entries).
    this.register('fc_gate_x', new Linear(inputSize, 4 * hiddenSize, true));
    this.register('fc_gate_h', new Linear(hiddenSize, 4 * hiddenSize, true));
    this.register('eltwiseadd_gate', new EltwiseAdd());
    this.register('act_f', new Sigmoid());
    this.register('act_i', new Sigmoid());
    this.register('act_o', new Sigmoid());
    this.register('act_g', new Tanh());
    this.register('eltwisemult_cell_forget', new EltwiseMult());
    this.register('eltwisemult_cell_input', new EltwiseMult());
    this.register('eltwiseadd_cell', new EltwiseAdd());
    this.register('act_h', new Tanh());
    this.register('eltwisemult_hidden', new EltwiseMult());
  }

  /** W_ih x + b_ih for x (n, I) → (n, 4H); may be called once for many time steps (rows are independent). */
  gatesX(x: Tensor): Tensor {
    return this.child<Op>('fc_gate_x').call(x);
  }

  /**
   * One step given the precomputed x-part of the gates gx (n, 4H) and the previous state.
   * `callPerRow`: Distiller calls the cell's ops once per row here (encoder layer 0, one token of one
   * sentence per call); recorded calls are then reported row by row.
   */
  stepFromGates(gx: Tensor, state: LstmState, callPerRow = false): LstmState {
    const fcH = this.child<Op>('fc_gate_h');
    let gh: Tensor;
    if (callPerRow && fcH.recorded) {
      gh = fcH.forward(state.h);
      const n = gh.rows;
      recordRows(fcH, n, [{ quads: rowQuads(state.h.data, n), rest: [this.hiddenSize] }], { quads: rowQuads(gh.data, n), rest: [4 * this.hiddenSize] }, true);
    } else {
      gh = fcH.call(state.h);
    }
    if (this.canFuse()) {
      if (this.tailRecorded()) this.recordTail(gx, gh, state.c, callPerRow);
      return this.fusedTail(gx, gh, state.c);
    }
    const replaced = this.replacedTail(gx, gh, state.c);
    if (replaced) return replaced;
    const z = this.child<Op>('eltwiseadd_gate').call(gx, gh);
    const [zi, zf, zg, zo] = chunkLastDim(z, 4) as [Tensor, Tensor, Tensor, Tensor];
    // Called in the order i, f, g, o (as Distiller does), whatever the registration order.
    const i = this.child<Op>('act_i').call(zi);
    const f = this.child<Op>('act_f').call(zf);
    const g = this.child<Op>('act_g').call(zg);
    const o = this.child<Op>('act_o').call(zo);
    const cf = this.child<Op>('eltwisemult_cell_forget').call(f, state.c);
    const ci = this.child<Op>('eltwisemult_cell_input').call(i, g);
    const c = this.child<Op>('eltwiseadd_cell').call(cf, ci);
    const tc = this.child<Op>('act_h').call(c);
    const h = this.child<Op>('eltwisemult_hidden').call(o, tc);
    return { h, c };
  }

  step(x: Tensor, state: LstmState): LstmState {
    return this.stepFromGates(this.gatesX(x), state);
  }

  /** Zero state for n rows. */
  zeroState(n: number): LstmState {
    return { h: Tensor.zeros([n, this.hiddenSize]), c: Tensor.zeros([n, this.hiddenSize]) };
  }

  private tailRecorded(): boolean {
    return TAIL_OPS.some((name) => this.child<Op>(name).recorded);
  }

  /**
   * Report the tail's calls (eltwiseadd_gate … eltwisemult_hidden) for the fused step: the values come
   * from kernels().lstmTailStatsF32, the same arithmetic as the fused cell, reduced per row.
   */
  private recordTail(gx: Tensor, gh: Tensor, cPrev: Tensor, perRow: boolean): void {
    const H = this.hiddenSize;
    const n = gx.rows;
    const N = LSTM_TAIL_TENSORS.length;
    const all = new Float64Array(n * N * QUAD);
    kernels().lstmTailStatsF32(n, H, gx.data, gh.data, cPrev.data, all);
    const t = {} as Record<(typeof LSTM_TAIL_TENSORS)[number], RowsStats>;
    LSTM_TAIL_TENSORS.forEach((name, k) => (t[name] = { quads: quadColumn(all, N, k), rest: [H] }));
    const gate = (x: Float32Array): RowsStats => ({ quads: rowQuads(x, n), rest: [4 * H] });
    const z: RowsStats = { quads: concatQuads([t.zi.quads, t.zf.quads, t.zg.quads, t.zo.quads]), rest: [4 * H] };
    const c: RowsStats = { quads: rowQuads(cPrev.data, n), rest: [H] };
    const record = (name: string, inputs: RowsStats[], output: RowsStats): void => recordRows(this.child<Op>(name), n, inputs, output, perRow);
    record('eltwiseadd_gate', [gate(gx.data), gate(gh.data)], z);
    record('act_i', [t.zi], t.i);
    record('act_f', [t.zf], t.f);
    record('act_g', [t.zg], t.g);
    record('act_o', [t.zo], t.o);
    record('eltwisemult_cell_forget', [t.f, c], t.cf);
    record('eltwisemult_cell_input', [t.i, t.g], t.ci);
    record('eltwiseadd_cell', [t.cf, t.ci], t.c);
    record('act_h', [t.c], t.tc);
    record('eltwisemult_hidden', [t.o, t.tc], t.h);
  }

  private canFuse(): boolean {
    return (
      isPlain(this.child<Op>('eltwiseadd_gate'), EltwiseAdd) &&
      isPlain(this.child<Op>('act_f'), Sigmoid) &&
      isPlain(this.child<Op>('act_i'), Sigmoid) &&
      isPlain(this.child<Op>('act_o'), Sigmoid) &&
      isPlain(this.child<Op>('act_g'), Tanh) &&
      isPlain(this.child<Op>('eltwisemult_cell_forget'), EltwiseMult) &&
      isPlain(this.child<Op>('eltwisemult_cell_input'), EltwiseMult) &&
      isPlain(this.child<Op>('eltwiseadd_cell'), EltwiseAdd) &&
      isPlain(this.child<Op>('act_h'), Tanh) &&
      isPlain(this.child<Op>('eltwisemult_hidden'), EltwiseMult)
    );
  }

  /**
   * The tail through its replacement's fused form (e.g. quantized: byte lookups) when eltwiseadd_gate
   * offers one for these ops and nothing observes them; null: run the ops one by one.
   */
  private replacedTail(gx: Tensor, gh: Tensor, cPrev: Tensor): LstmState | null {
    const gate = this.child<Op>('eltwiseadd_gate');
    if (!hasLstmTailFusion(gate)) return null;
    const names = [
      'act_i', 'act_f', 'act_g', 'act_o', 'eltwisemult_cell_forget', 'eltwisemult_cell_input', 'eltwiseadd_cell', 'act_h', 'eltwisemult_hidden',
    ] as const;
    const ops = names.map((name) => this.child<Op>(name));
    const kernel = this.tailFusion.get([gate, ...ops], () =>
      gate.fuseLstmTail(Object.fromEntries(names.map((name, k) => [name, ops[k]!])) as unknown as LstmTailOps),
    );
    if (!kernel) return null;
    const H = this.hiddenSize;
    const n = gx.rows;
    const hOut = new Float32Array(n * H);
    const cOut = new Float32Array(n * H);
    if (!kernel.run(n, H, gx.data, gh.data, cPrev.data, hOut, cOut)) return null;
    return { h: new Tensor(hOut, [n, H]), c: new Tensor(cOut, [n, H]) };
  }

  /**
   * The element-wise part of the cell in one kernel call (kernels().lstmCellF32: the native backend's
   * vectorised version, or the js reference). Same formula as the ops; float32 results may differ from
   * the op-by-op chain in the last bits (polynomial exp in native code), far below translation effects.
   */
  private fusedTail(gx: Tensor, gh: Tensor, cPrev: Tensor): LstmState {
    const H = this.hiddenSize;
    const n = gx.rows;
    const hOut = new Float32Array(n * H);
    const cOut = new Float32Array(n * H);
    kernels().lstmCellF32(n, H, gx.data, gh.data, cPrev.data, hOut, cOut);
    return { h: new Tensor(hOut, [n, H]), c: new Tensor(cOut, [n, H]) };
  }
}

/** The cell's ops after fc_gate_x / fc_gate_h. */
const TAIL_OPS = [
  'eltwiseadd_gate', 'act_f', 'act_i', 'act_o', 'act_g', 'eltwisemult_cell_forget', 'eltwisemult_cell_input', 'eltwiseadd_cell', 'act_h', 'eltwisemult_hidden',
] as const;

/** DistillerLSTM with num_layers = 1 (all GNMT LSTMs): `cells.0`, optional `cells_reverse.0`, `dropout`. */
export class DistillerLSTM extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bidirectional: boolean;

  constructor(inputSize: number, hiddenSize: number, bidirectional = false, dropout = 0) {
    super();
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bidirectional = bidirectional;
    this.register('cells', new ModuleList([new DistillerLSTMCell(inputSize, hiddenSize)]));
    if (bidirectional) this.register('cells_reverse', new ModuleList([new DistillerLSTMCell(inputSize, hiddenSize)]));
    this.register('dropout', new Dropout(dropout));
  }

  get cell(): DistillerLSTMCell {
    return this.child<ModuleList<DistillerLSTMCell>>('cells').at(0);
  }

  get reverseCell(): DistillerLSTMCell {
    return this.child<ModuleList<DistillerLSTMCell>>('cells_reverse').at(0);
  }

  /**
   * Unidirectional run over a padded batch-first input x (B, T, I) from zero state → (B, T, H).
   * Distiller calls every op once per time step on all B rows; when fc_gate_x is not observed, its
   * product is done once for all steps instead (rows are independent, so the numbers are the same).
   */
  runPadded(x: Tensor): Tensor {
    const [B, T, I] = x.shape as [number, number, number];
    const H = this.hiddenSize;
    const cell = this.cell;
    const fcX = cell.child<Op>('fc_gate_x');
    const batched = !fcX.observed;
    // Batched: one product for all steps, reported as Distiller's per-step calls (rows b·T + t).
    const gxAll = batched ? fcX.forward(x.view([B * T, I])) : undefined;
    if (gxAll && fcX.recorded) {
      const xs: RowsStats = { quads: rowQuads(x.data, B * T), rest: [I] };
      const gs: RowsStats = { quads: rowQuads(gxAll.data, B * T), rest: [4 * H] };
      for (let t = 0; t < T; t++) recordIndexed(fcX, Int32Array.from({ length: B }, (_, b) => b * T + t), [xs], gs);
    }
    const out = new Float32Array(B * T * H);
    let state = cell.zeroState(B);
    for (let t = 0; t < T; t++) {
      const gx = gxAll ? gatherTimeStep(gxAll.data, B, T, 4 * H, t) : cell.gatesX(gatherTimeStep(x.data, B, T, I, t));
      state = cell.stepFromGates(gx, state);
      const h = state.h.data;
      for (let b = 0; b < B; b++) out.set(h.subarray(b * H, b * H + H), (b * T + t) * H);
    }
    return new Tensor(out, [B, T, H]);
  }
}

/** Rows x[b, t, :] for all b of a (B, T, F) buffer → (B, F). */
export function gatherTimeStep(data: Float32Array, B: number, T: number, F: number, t: number): Tensor {
  const out = new Float32Array(B * F);
  for (let b = 0; b < B; b++) out.set(data.subarray((b * T + t) * F, (b * T + t) * F + F), b * F);
  return new Tensor(out, [B, F]);
}
