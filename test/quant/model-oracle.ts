/**
 * Test oracle for the whole quantized GNMT: the op-by-op float32 simulation of spec §6, written
 * independently of src/quant's preparation and execution.
 *
 * What it shares with the product, and why that is safe: the FP32 model tree (verified against MLPerf
 * token for token), the stats YAML reader (round-trips Distiller's files byte for byte), and the
 * spec §2/§4 primitives — quantize/round-half-even, scale and zero point from a range, per-channel
 * weight ranges, saturation range per clip mode, the §2.4 approximation — each checked against the
 * spec's own vectors (395 module qparams). Everything a wiring bug could hide in is written again
 * here, literally: reading the config YAML, override matching (§7), the ±6 gate clipping (§5.1),
 * which module gets which settings and stats, every wrapper's arithmetic (§6.2–§6.7), the shared
 * embedding, and running the model op by op (the replacement ops offer no fused form, so the model
 * calls every op, including sigmoid/tanh/softmax, one at a time).
 *
 * The one deliberate departure from float32: accumulators are summed in float64, i.e. exactly (spec
 * §11: with GNMT's sizes a float32 sum can pass 2^24); A is then held as float32 before
 * requantization, as in the original.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Tensor } from '../../src/tensor/tensor.js';
import { broadcastShape, forEachBroadcast } from '../../src/tensor/ops.js';
import { Module, Op } from '../../src/model/module.js';
import { BatchMatmul, Concat, EltwiseAdd, EltwiseMult, Embedding, Linear, Matmul } from '../../src/model/ops.js';
import { clamp, quantize, roundHalfEven, type ClipMode, type QuantMode } from '../../src/quant/qtypes.js';
import { approxScale, paramsFromRange, weightParams } from '../../src/quant/qparams.js';
import { saturationRange } from '../../src/quant/clip.js';
import type { ModuleStats, Stats, StatsRecord } from '../../src/quant/stats.js';

const f = Math.fround;

/** Effective settings of one module (quantizer defaults, then its override). */
export interface OracleSettings {
  mode: QuantMode;
  bitsActivations: number | null;
  bitsWeights: number | null;
  bitsAccum: number;
  perChannelWts: boolean;
  clipActs: ClipMode;
  clipNStds: number | null;
  scaleApproxMultBits: number | null;
}

export interface OracleConfig {
  defaults: OracleSettings;
  /** Override patterns in file order with their raw settings. */
  overrides: Array<[string, Record<string, unknown>]>;
}

/** The first quantizer of a Distiller schedule YAML, read directly (no src/quant code). */
export function readOracleConfig(path: string, changes: Partial<OracleSettings> = {}): OracleConfig {
  const doc = parse(readFileSync(path, 'utf8')) as { quantizers: Record<string, Record<string, unknown>> };
  const q = Object.values(doc.quantizers)[0]!;
  const get = <T>(k: string, d: T): T => (q[k] === undefined ? d : (q[k] as T));
  const defaults: OracleSettings = {
    mode: get('mode', 'SYMMETRIC'),
    bitsActivations: get('bits_activations', 8),
    bitsWeights: get('bits_parameters', 8),
    bitsAccum: get('bits_accum', 32),
    perChannelWts: get('per_channel_wts', false),
    clipActs: get('clip_acts', 'NONE'),
    clipNStds: get('clip_n_stds', null),
    scaleApproxMultBits: get('scale_approx_mult_bits', null),
    ...changes,
  };
  const overrides = Object.entries((q['overrides'] ?? {}) as Record<string, Record<string, unknown>>);
  return { defaults, overrides };
}

/** Spec §7: first `module.` dropped; a literally equal key wins, else the first pattern matching the whole name. */
export function oracleSettings(config: OracleConfig, name: string): OracleSettings {
  const n = name.replace('module.', '');
  const hit = config.overrides.find(([p]) => p === n) ?? config.overrides.find(([p]) => new RegExp(`^(?:${p})$`).test(n));
  const s = { ...config.defaults };
  if (!hit) return s;
  const o = hit[1];
  const keys: Record<string, keyof OracleSettings> = {
    bits_activations: 'bitsActivations', bits_weights: 'bitsWeights', mode: 'mode', per_channel_wts: 'perChannelWts',
    clip_acts: 'clipActs', clip_n_stds: 'clipNStds', scale_approx_mult_bits: 'scaleApproxMultBits',
  };
  for (const [k, v] of Object.entries(o)) {
    const key = keys[k];
    if (key) (s as unknown as Record<string, unknown>)[key] = v;
  }
  return s;
}

/** Spec §5.1, on a copy: every LSTM cell's eltwiseadd_gate output record clipped to [−6, 6]. */
export function clipGateStats(stats: Stats, cellNames: readonly string[]): Stats {
  const out: Stats = new Map([...stats].map(([k, v]) => [k, structuredClone(v)]));
  for (const cell of cellNames) {
    const r = out.get(`${cell}.eltwiseadd_gate`)?.output;
    if (!r) continue;
    if (r.max < -6) r.min = r.avg_min = r.max = r.avg_max = -6;
    else if (r.min > 6) r.min = r.avg_min = r.max = r.avg_max = 6;
    else {
      r.min = Math.max(-6, r.min);
      r.avg_min = Math.max(-6, r.avg_min);
      r.max = Math.min(6, r.max);
      r.avg_max = Math.min(6, r.avg_max);
    }
  }
  return out;
}

interface P {
  scale: number;
  zp: number;
}

function ranges(s: OracleSettings): { lo: number; hi: number; acc: { lo: number; hi: number } } {
  const b = s.bitsActivations!;
  const lo = s.mode === 'ASYMMETRIC_UNSIGNED' ? 0 : -(2 ** (b - 1));
  const hi = s.mode === 'ASYMMETRIC_UNSIGNED' ? 2 ** b - 1 : 2 ** (b - 1) - 1;
  return { lo, hi, acc: { lo: -(2 ** (s.bitsAccum - 1)), hi: 2 ** (s.bitsAccum - 1) - 1 } };
}

/** §2.2/§4/§2.4: activation (s, z) of a record; the zero point keeps the exact scale. */
function act(rec: StatsRecord, s: OracleSettings, where: string): P {
  const [m, M] = saturationRange(rec, { clipActs: s.clipActs, clipNStds: s.clipNStds, bits: s.bitsActivations!, mode: s.mode }, where);
  const p = paramsFromRange(s.mode, m, M, s.bitsActivations!);
  return { scale: approxScale(p.scale, s.scaleApproxMultBits), zp: p.zeroPoint };
}

/** X = Q(x; s, z) + z, as float64 integers. */
function qPlusZ(x: Tensor, p: P, lo: number, hi: number): Float64Array {
  const out = new Float64Array(x.numel);
  const { scale, zp } = p;
  for (let i = 0; i < out.length; i++) out[i] = quantize(x.data[i]!, scale, zp, lo, hi) + zp;
  return out;
}

/** out[i] = fn(src[i]) (a plain loop: typed-array `from` with a map function is slow on large tensors). */
function mapTo<T extends Float32Array | Float64Array>(out: T, src: ArrayLike<number>, fn: (v: number) => number): T {
  for (let i = 0; i < out.length; i++) out[i] = fn(src[i]!);
  return out;
}

/** q_out = clamp(round(fround(fround(r·fround(A)) − z_y)), lo, hi). */
const requant = (a: number, r: number, zy: number, lo: number, hi: number): number => clamp(roundHalfEven(f(f(r * f(a)) - zy)), lo, hi);
/** D(q; s, z). */
const deq = (q: number, p: P): number => f(f(q + p.zp) / p.scale);

/** A replacement op that runs the literal simulation; it offers no fused form to the model. */
export abstract class OracleOp extends Op {
  /** Fixed parameters: output row i depends on input row i only (lets a search skip finished beams). */
  readonly rowsIndependent = true;

  constructor(readonly moduleName: string, readonly settings: OracleSettings) {
    super();
  }
}

/**
 * §6.2. A = X·(Wq + z_w)ᵀ is formed by the FP32 GEMM (a float32 code path, not the integer kernels)
 * over chunks of the inner dimension small enough that every partial sum is an integer below 2^24
 * (|X| and |Wq + z_w| are bounded by the integer ranges), so each chunk is exact; chunks and the bias
 * are then summed in float64.
 */
class OracleLinear extends OracleOp {
  private readonly chunks: Array<{ from: number; to: number; op: Linear }> = [];
  private readonly bias: Float64Array | null;
  private readonly r: Float32Array;
  private readonly pin: P;
  private readonly pout: P;

  constructor(private readonly op: Linear, name: string, s: OracleSettings, st: ModuleStats) {
    super(name, s);
    const { outFeatures: n, inFeatures: k } = op;
    const wb = s.bitsWeights!;
    const wlo = s.mode === 'ASYMMETRIC_UNSIGNED' ? 0 : -(2 ** (wb - 1));
    const whi = s.mode === 'ASYMMETRIC_UNSIGNED' ? 2 ** wb - 1 : 2 ** (wb - 1) - 1;
    const wp = weightParams(op.weight.data, n, k, s.mode, wb, s.perChannelWts);
    this.pin = act(st.inputs![0]!, s, `${name}.inputs.0`);
    this.pout = act(st.output, s, `${name}.output`);
    const w = new Float32Array(n * k);
    const sa = new Float32Array(n);
    let maxW = 1;
    for (let j = 0; j < n; j++) {
      const p = wp.length === 1 ? wp[0]! : wp[j]!;
      sa[j] = f(this.pin.scale * p.scale);
      for (let i = j * k; i < (j + 1) * k; i++) {
        w[i] = f(quantize(op.weight.data[i]!, p.scale, p.zeroPoint, wlo, whi) + p.zeroPoint);
        maxW = Math.max(maxW, Math.abs(w[i]!));
      }
    }
    const { lo, hi, acc } = ranges(s);
    const maxX = Math.max(1, Math.abs(lo + this.pin.zp), Math.abs(hi + this.pin.zp));
    const step = Math.max(1, Math.floor(2 ** 24 / (maxX * maxW)));
    for (let from = 0; from < k; from += step) {
      const to = Math.min(k, from + step);
      const part = new Float32Array(n * (to - from));
      for (let j = 0; j < n; j++) part.set(w.subarray(j * k + from, j * k + to), j * (to - from));
      const lin = new Linear(to - from, n, false);
      lin.setParameters(new Tensor(part, [n, to - from]), null);
      this.chunks.push({ from, to, op: lin });
    }
    this.bias = op.bias ? Float64Array.from(op.bias.data, (b, j) => clamp(roundHalfEven(f(sa[j]! * b)), acc.lo, acc.hi)) : null;
    this.r = Float32Array.from(sa, (a) => approxScale(f(this.pout.scale / a), s.scaleApproxMultBits));
  }

  forward(x: Tensor): Tensor {
    const { outFeatures: n, inFeatures: k } = this.op;
    const { lo, hi, acc } = ranges(this.settings);
    const X = qPlusZ(x, this.pin, lo, hi);
    const m = x.numel / k;
    const A = new Float64Array(m * n);
    if (this.bias) for (let i = 0; i < m; i++) A.set(this.bias, i * n);
    for (const { from, to, op } of this.chunks) {
      const xc = new Float32Array(m * (to - from));
      for (let i = 0; i < m; i++) for (let p = from; p < to; p++) xc[i * (to - from) + p - from] = X[i * k + p]!;
      const part = op.forward(new Tensor(xc, [m, to - from])).data;
      for (let i = 0; i < A.length; i++) A[i] += part[i]!;
    }
    const out = new Float32Array(m * n);
    const { zp } = this.pout;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) out[i * n + j] = deq(requant(clamp(A[i * n + j]!, acc.lo, acc.hi), this.r[j]!, zp, lo, hi), this.pout);
    }
    return new Tensor(out, [...x.shape.slice(0, -1), n]);
  }
}

/** Element-wise combination of float64 integer arrays with broadcasting. */
function combine(a: Float64Array, as: readonly number[], b: Float64Array, bs: readonly number[], fn: (x: number, y: number) => number): [Float64Array, number[]] {
  const shape = broadcastShape(as, bs);
  const out = new Float64Array(shape.reduce((x, y) => x * y, 1));
  forEachBroadcast(as, bs, shape, (i, ia, ib) => {
    out[i] = fn(a[ia]!, b[ib]!);
  });
  return [out, shape];
}

/** §6.3 EltwiseAdd, §6.4 EltwiseMult, §6.5 Matmul/BatchMatmul, §6.6 Concat: one class, by kind. */
class OracleActs extends OracleOp {
  private readonly pin: P[];
  private readonly pout: P;

  constructor(private readonly op: Op, private readonly kind: 'add' | 'mult' | 'matmul' | 'bmm' | 'concat', name: string, s: OracleSettings, st: ModuleStats) {
    super(name, s);
    this.pin = st.inputs!.map((r, i) => act(r, s, `${name}.inputs.${i}`));
    this.pout = act(st.output, s, `${name}.output`);
  }

  forward(...xs: Tensor[]): Tensor {
    const s = this.settings;
    const { lo, hi, acc } = ranges(s);
    const X = xs.map((x, i) => qPlusZ(x, this.pin[i]!, lo, hi));
    const py = this.pout;
    let A: Float64Array;
    let shape: number[];
    let r = 1;
    let zy = py.zp;
    if (this.kind === 'add') {
      const R = X.map((x, i) => {
        const ri = approxScale(f(py.scale / this.pin[i]!.scale), s.scaleApproxMultBits);
        return mapTo(new Float64Array(x.length), x, (v) => clamp(roundHalfEven(f(ri * v)), acc.lo, acc.hi));
      });
      [A, shape] = [R[0]!, [...xs[0]!.shape]];
      for (let i = 1; i < R.length; i++) [A, shape] = combine(A, shape, R[i]!, xs[i]!.shape, (u, v) => u + v);
    } else if (this.kind === 'concat') {
      const R = X.map((x, i) => {
        const ri = approxScale(f(py.scale / this.pin[i]!.scale), s.scaleApproxMultBits);
        return new Tensor(mapTo(new Float32Array(x.length), x, (v) => clamp(roundHalfEven(f(f(ri * v) - py.zp)), lo, hi)), xs[i]!.shape);
      });
      const cat = (this.op as Concat).forward(...R);
      [A, shape] = [Float64Array.from(cat.data), [...cat.shape]];
      zy = 0;
    } else {
      const sa = this.pin.slice(1).reduce((p, q) => f(p * q.scale), this.pin[0]!.scale);
      r = approxScale(f(py.scale / sa), s.scaleApproxMultBits);
      if (this.kind === 'mult') {
        [A, shape] = [X[0]!, [...xs[0]!.shape]];
        for (let i = 1; i < X.length; i++) [A, shape] = combine(A, shape, X[i]!, xs[i]!.shape, (u, v) => u * v);
      } else if (this.kind === 'matmul') {
        // (…, K)·(K) → (…)
        const k = xs[1]!.numel;
        shape = xs[0]!.shape.slice(0, -1);
        A = new Float64Array(xs[0]!.numel / k);
        for (let i = 0; i < A.length; i++) {
          let a = 0;
          for (let p = 0; p < k; p++) a += X[0]![i * k + p]! * X[1]![p]!;
          A[i] = a;
        }
      } else {
        // (B, M, K)·(B, K, N) → (B, M, N)
        const [B, M, K] = xs[0]!.shape as [number, number, number];
        const N = xs[1]!.shape[2]!;
        shape = [B, M, N];
        A = new Float64Array(B * M * N);
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let a = 0;
              for (let p = 0; p < K; p++) a += X[0]![(b * M + i) * K + p]! * X[1]![(b * K + p) * N + j]!;
              A[(b * M + i) * N + j] = a;
            }
          }
        }
      }
    }
    const out = mapTo(new Float32Array(A.length), A, (a) => deq(requant(clamp(a, acc.lo, acc.hi), r, zy, lo, hi), py));
    return new Tensor(out, shape);
  }
}

/** §6.7: table Q(E; s_e, z_e) from the output stats, clip NONE, weight bits, no approximation. */
class OracleEmbedding extends OracleOp {
  private readonly table: Float32Array;
  private readonly p: P;

  constructor(private readonly op: Embedding, name: string, s: OracleSettings, st: ModuleStats) {
    super(name, s);
    const es: OracleSettings = { ...s, clipActs: 'NONE', clipNStds: null, scaleApproxMultBits: null, bitsActivations: s.bitsWeights };
    this.p = act(st.output, es, `${name}.output`);
    const { lo, hi } = ranges(es);
    this.table = mapTo(new Float32Array(op.weight.numel), op.weight.data, (v) => quantize(v, this.p.scale, this.p.zp, lo, hi));
  }

  forward(ids: Tensor): Tensor {
    const d = this.op.embeddingDim;
    const out = new Float32Array(ids.numel * d);
    for (let i = 0; i < ids.numel; i++) {
      const id = ids.data[i]!;
      for (let j = 0; j < d; j++) out[i * d + j] = deq(this.table[id * d + j]!, this.p);
    }
    return new Tensor(out, [...ids.shape, d]);
  }
}

/**
 * Replace, in place, every Linear/Embedding/EltwiseAdd/EltwiseMult/Matmul/BatchMatmul/Concat of an
 * FP32 model tree by its oracle op (§5.2: walk in registration order, a shared module is built once
 * for its first name and installed under all its names). Returns the oracle ops by first name.
 */
export function toOracle(model: Module, config: OracleConfig, stats: Stats): Map<string, OracleOp> {
  const cells = [...model.namedModules()].filter(([n]) => /\.cells(_reverse)?\.0$/.test(n)).map(([n]) => n);
  const st = clipGateStats(stats, cells);
  const built = new Map<Module, OracleOp>();
  const byName = new Map<string, OracleOp>();
  for (const [name, m] of model.namedModules()) {
    const s = oracleSettings(config, name);
    const c = m.constructor;
    const kind = c === EltwiseAdd ? 'add' : c === EltwiseMult ? 'mult' : c === Matmul ? 'matmul' : c === BatchMatmul ? 'bmm' : c === Concat ? 'concat' : null;
    if (c !== Linear && c !== Embedding && !kind) continue;
    if (s.bitsActivations === null && s.bitsWeights === null) continue;
    const ms = st.get(name);
    if (!ms) throw new Error(`oracle: no stats for ${name}`);
    const o =
      c === Linear ? new OracleLinear(m as Linear, name, s, ms)
        : c === Embedding ? new OracleEmbedding(m as Embedding, name, s, ms)
          : new OracleActs(m as Op, kind!, name, s, ms);
    built.set(m, o);
    byName.set(name, o);
  }
  const installs = [...model.allNamedModules()].filter(([, m]) => built.has(m));
  for (const [name, m] of installs) model.setModule(name, built.get(m)!);
  return byName;
}
