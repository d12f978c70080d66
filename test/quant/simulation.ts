/**
 * Test oracle: the specified simulation of spec §6, written literally the way Distiller R computes it
 * — every quantized value held in a float32 tensor, integer arithmetic done by the FP32 op's own
 * forward on those float tensors, then requantization in float32. The integer wrappers in
 * src/quant/wrappers must produce the same output integers (q_out). Valid while the float32 sums
 * stay below 2^24 (small test modules), where float32 "integer" arithmetic is exact.
 */
import { Tensor } from '../../src/tensor/tensor.js';
import { Embedding, Linear } from '../../src/model/ops.js';
import { clamp, intRange, accumRange, quantize, roundHalfEven } from '../../src/quant/qtypes.js';
import type { QParams } from '../../src/quant/qparams.js';
import {
  QuantBatchMatmul, QuantConcat, QuantEltwiseAdd, QuantEltwiseMult, QuantEmbedding, QuantLinear, QuantMatmul, type QuantWrapper,
} from '../../src/quant/wrappers/index.js';

const f = Math.fround;

/** linear_quantize_clamp(x, s, z, lo, hi) on a float tensor → float tensor of integers. */
function lqc(x: Tensor, s: number | Float32Array, z: number | Float32Array, lo: number, hi: number, lastDim = x.lastDim): Tensor {
  const out = new Float32Array(x.numel);
  for (let i = 0; i < out.length; i++) {
    const c = i % lastDim;
    const si = typeof s === 'number' ? s : s.length === 1 ? s[0]! : s[c]!;
    const zi = typeof z === 'number' ? z : z.length === 1 ? z[0]! : z[c]!;
    out[i] = clamp(roundHalfEven(f(f(si * x.data[i]!) - zi)), lo, hi);
  }
  return new Tensor(out, x.shape);
}

const addScalar = (x: Tensor, z: number): Tensor => new Tensor(Float32Array.from(x.data, (v) => f(v + z)), x.shape);
const clampT = (x: Tensor, lo: number, hi: number): Tensor => new Tensor(Float32Array.from(x.data, (v) => clamp(v, f(lo), f(hi))), x.shape);
const qIn = (x: Tensor, p: QParams, lo: number, hi: number): Tensor => addScalar(lqc(x, p.scale, p.zeroPoint, lo, hi), p.zeroPoint);

/** The output integers q_out of the specified simulation for `w` on `inputs`. */
export function simulateQ(w: QuantWrapper, inputs: Tensor[]): Int32Array {
  const s = w.settings;
  const { lo, hi } = intRange(s.mode, s.bitsActivations);
  const acc = accumRange(s.bitsAccum);
  const toInt = (t: Tensor): Int32Array => Int32Array.from(t.data);
  if (w instanceof QuantLinear) {
    // Weights: Wq = Q(W) per tensor/row, then + z_w folded in; bias Bq = round(s_a·b), int32-clamped.
    const { outFeatures: n, inFeatures: k } = w.wrapped;
    const wr = intRange(s.mode, s.bitsWeights);
    const wq = new Float32Array(n * k);
    for (let j = 0; j < n; j++) {
      const p = w.weightParams.length === 1 ? w.weightParams[0]! : w.weightParams[j]!;
      for (let i = j * k; i < (j + 1) * k; i++) wq[i] = f(quantize(w.wrapped.weight.data[i]!, p.scale, p.zeroPoint, wr.lo, wr.hi) + p.zeroPoint);
    }
    const sa = Float32Array.from(w.weightParams, (p) => f(w.inputParams.scale * p.scale));
    const bias = w.wrapped.bias ? lqc(w.wrapped.bias, sa, 0, acc.lo, acc.hi, n) : null;
    const lin = new Linear(k, n, bias !== null);
    lin.setParameters(new Tensor(wq, [n, k]), bias);
    const a = clampT(lin.forward(qIn(inputs[0]!, w.inputParams, lo, hi)), acc.lo, acc.hi);
    const r = Float32Array.from(sa, (x) => f(w.outputParams.scale / x));
    return toInt(lqc(a, r, w.outputParams.zeroPoint, lo, hi, n));
  }
  if (w instanceof QuantMatmul || w instanceof QuantBatchMatmul || w instanceof QuantEltwiseMult) {
    const xs = inputs.map((x, i) => qIn(x, w.inputParams[i]!, lo, hi));
    const a = clampT((w.wrapped.forward as (...t: Tensor[]) => Tensor).call(w.wrapped, ...xs), acc.lo, acc.hi);
    const sa = w.inputParams.slice(1).reduce((p, q) => f(p * q.scale), w.inputParams[0]!.scale);
    return toInt(lqc(a, f(w.outputParams.scale / sa), w.outputParams.zeroPoint, lo, hi));
  }
  if (w instanceof QuantEltwiseAdd) {
    const rs = inputs.map((x, i) => {
      const p = w.inputParams[i]!;
      return lqc(qIn(x, p, lo, hi), f(w.outputParams.scale / p.scale), 0, acc.lo, acc.hi);
    });
    const a = clampT(w.wrapped.forward(...rs), acc.lo, acc.hi);
    return toInt(lqc(a, 1, w.outputParams.zeroPoint, lo, hi));
  }
  if (w instanceof QuantConcat) {
    const rs = inputs.map((x, i) => {
      const p = w.inputParams[i]!;
      return lqc(qIn(x, p, lo, hi), f(w.outputParams.scale / p.scale), w.outputParams.zeroPoint, lo, hi);
    });
    return toInt(lqc(w.wrapped.forward(...rs), 1, 0, lo, hi));
  }
  if (w instanceof QuantEmbedding) {
    const wr = intRange(s.mode, s.bitsWeights);
    const p = w.weightParamsFromStats;
    const table = lqc(w.wrapped.weight, p.scale, p.zeroPoint, wr.lo, wr.hi);
    const emb = new Embedding(w.wrapped.numEmbeddings, w.wrapped.embeddingDim);
    emb.weight = table;
    return toInt(emb.forward(inputs[0]!));
  }
  throw new TypeError(`simulateQ: unknown wrapper ${w.constructor.name}`);
}
