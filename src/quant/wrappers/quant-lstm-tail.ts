/**
 * The quantized LSTM cell tail of Distiller's modular cell fused over bytes, for a cell that wants it
 * (src/model/lstm.ts `stepFromGates`, op-by-op path otherwise):
 *
 *     z = eltwiseadd_gate(gx, gh);  i, f, g, o = chunk(z);  i, f, o = sigmoid(·), g = tanh(·)
 *     c = eltwiseadd_cell(eltwisemult_cell_forget(f, c'), eltwisemult_cell_input(i, g))
 *     h = eltwisemult_hidden(o, tanh(c))
 *
 * with the adds and products quantized (two-input table wrappers) and the activations the plain FP32
 * ops. Every intermediate is a dequantized 8-bit value, so each is a function of a byte: the gate code
 * (from the gx, gh bytes), the activation of its dequantized value quantized for the next wrapper (a
 * 256-entry table computed with the activation op itself and the wrapper's own quantizer), the
 * product/sum codes (the wrappers' own 256×256 code tables), and the outputs c (dequantized sum code)
 * and h (the hidden product's dequantized table). Only gx, gh and c' are quantized per call, so the
 * tail is a few byte gathers per element instead of eleven float32 tensors, with the same float32
 * results as the ops (test/quant/quant-lstm-tail.test.ts). Nothing may observe these ops.
 */
import { kernels } from '../../tensor/backend.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Op } from '../../model/module.js';
import { Sigmoid, Tanh } from '../../model/ops.js';
import type { LstmTailKernel, LstmTailOps } from '../../model/fused-capabilities.js';
import { intRange } from '../qtypes.js';
import type { QuantEltwiseAdd } from './quant-eltwise-add.js';
import { growU8, outputValues, type PairTableOp } from './fast-ops.js';

interface TwoInputWrapper {
  readonly pair?: PairTableOp;
  readonly outputParams: QuantEltwiseAdd['outputParams'];
  readonly settings: QuantEltwiseAdd['settings'];
}

function pairOf(op: Op): (TwoInputWrapper & { pair: PairTableOp }) | null {
  const w = op as Partial<TwoInputWrapper>;
  return w.pair && w.outputParams && w.settings ? (w as TwoInputWrapper & { pair: PairTableOp }) : null;
}

/** A byte per input byte: quantizer(act(D(code))) for the 256 codes of `from` (act null: identity). */
function byteMap(values: Float32Array, act: Op | null, quantizer: PairTableOp['quantizers'][0]): Uint8Array {
  const x = act ? act.forward(new Tensor(values, [values.length])).data : values;
  const out = new Uint8Array(values.length);
  quantizer.run(x, values.length, out);
  return out;
}

const identity = Uint8Array.from({ length: 256 }, (_, i) => i);

/** t'[(x << 8) | y] = t[(m0[x] << 8) | m1[y]] for the codes x, y of the inputs (m0, m1: code → byte). */
function compose<A extends Uint8Array | Float32Array>(m0: Uint8Array, m1: Uint8Array, t: A): A {
  const out = (t instanceof Uint8Array ? new Uint8Array(65536) : new Float32Array(65536)) as A;
  for (let x = 0; x < m0.length; x++) {
    for (let y = 0; y < m1.length; y++) out[(x << 8) | y] = t[(m0[x]! << 8) | m1[y]!]!;
  }
  return out;
}

export class FusedQuantLstmTail implements LstmTailKernel {
  private readonly gate: PairTableOp;
  private readonly forgetQ: PairTableOp;
  /** eltwiseadd_gate: gate code per (gx byte, gh byte). */
  private readonly gateCodes: Uint8Array;
  /** Composed tables (one gather each per element), all indexed (code or byte << 8) | code or byte: */
  /** cell_forget code per (f gate code, c' byte). */
  private readonly forgetCodes: Uint8Array;
  /** cell_input code per (i gate code, g gate code). */
  private readonly inputCodes: Uint8Array;
  /** eltwiseadd_cell code per (cell_forget code, cell_input code). */
  private readonly cellCodes: Uint8Array;
  /** Dequantized c per cell code (256 entries, zero beyond the range's codes). */
  private readonly cValues: Float32Array;
  /** Dequantized h per (o gate code, cell code). */
  private readonly hValues: Float32Array;
  private ux: Uint8Array = new Uint8Array(0);
  private uh: Uint8Array = new Uint8Array(0);
  private uc: Uint8Array = new Uint8Array(0);

  private constructor(gate: TwoInputWrapper & { pair: PairTableOp }, ops: LstmTailOps) {
    const mf = pairOf(ops.eltwisemult_cell_forget)!;
    const mi = pairOf(ops.eltwisemult_cell_input)!;
    const ac = pairOf(ops.eltwiseadd_cell)!;
    const mh = pairOf(ops.eltwisemult_hidden)!;
    const dequantized = (w: TwoInputWrapper): Float32Array => outputValues(w.outputParams, intRange(w.settings.mode, w.settings.bitsActivations), true);
    this.gate = gate.pair;
    this.forgetQ = mf.pair;
    this.gateCodes = gate.pair.codes();
    const z = dequantized(gate);
    // Gate code → the byte each product wrapper quantizes the activation of its dequantized value to.
    const uI = byteMap(z, ops.act_i, mi.pair.quantizers[0]);
    const uG = byteMap(z, ops.act_g, mi.pair.quantizers[1]);
    const uF = byteMap(z, ops.act_f, mf.pair.quantizers[0]);
    const uO = byteMap(z, ops.act_o, mh.pair.quantizers[0]);
    // Product code → eltwiseadd_cell's input byte; cell code → eltwisemult_hidden's byte of tanh(c).
    const aF = byteMap(dequantized(mf), null, ac.pair.quantizers[0]);
    const aI = byteMap(dequantized(mi), null, ac.pair.quantizers[1]);
    const c = dequantized(ac);
    // 256 entries whatever the bit width: the lookup kernel may be handed any byte code.
    this.cValues = new Float32Array(256);
    this.cValues.set(c);
    const uTc = byteMap(c, ops.act_h, mh.pair.quantizers[1]);
    this.forgetCodes = compose(uF, identity, mf.pair.codes());
    this.inputCodes = compose(uI, uG, mi.pair.codes());
    this.cellCodes = compose(aF, aI, ac.pair.codes());
    this.hValues = compose(uO, uTc, mh.pair.values());
  }

  /**
   * The fused tail for these ops, or null when it does not apply (then run the ops): the adds and
   * products must be two-input table wrappers (QuantEltwiseAdd/Mult), the activations the plain
   * Sigmoid/Tanh ops, and nothing may observe any of them.
   */
  static create(gate: QuantEltwiseAdd, ops: LstmTailOps): FusedQuantLstmTail | null {
    const all: Op[] = [gate, ...Object.values(ops)];
    if (all.some((op) => op.observed)) return null;
    const acts = [ops.act_i, ops.act_f, ops.act_o].every((op) => op.constructor === Sigmoid) &&
      [ops.act_g, ops.act_h].every((op) => op.constructor === Tanh);
    if (!acts) return null;
    const g = pairOf(gate);
    const wrappers = [g, pairOf(ops.eltwisemult_cell_forget), pairOf(ops.eltwisemult_cell_input), pairOf(ops.eltwiseadd_cell), pairOf(ops.eltwisemult_hidden)];
    if (wrappers.some((w) => w === null)) return null;
    return new FusedQuantLstmTail(g!, ops);
  }

  run(n: number, H: number, gx: Float32Array, gh: Float32Array, cPrev: Float32Array, hOut: Float32Array, cOut: Float32Array): boolean {
    const G = 4 * H;
    if (gx.length !== n * G || gh.length !== n * G || cPrev.length !== n * H) return false;
    this.ux = growU8(this.ux, n * G);
    this.uh = growU8(this.uh, n * G);
    this.uc = growU8(this.uc, n * H);
    const { ux, uh, uc, gateCodes, forgetCodes, inputCodes, cellCodes, cValues, hValues } = this;
    this.gate.quantizers[0].run(gx, n * G, ux);
    this.gate.quantizers[1].run(gh, n * G, uh);
    this.forgetQ.quantizers[1].run(cPrev, n * H, uc);
    kernels().lstmTailU8(n, H, ux, uh, uc, gateCodes, forgetCodes, inputCodes, cellCodes, cValues, hValues, hOut, cOut);
    return true;
  }
}
