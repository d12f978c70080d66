/**
 * `prepareModel`: R's `PostTrainLinearQuantizer.prepare_model()` (spec §5) on a qnmt Module tree.
 *
 * 1. The stats are deep-copied, then the LSTM gate records are clipped to ±6 (§5.1) in the copy —
 *    the caller's stats never change, so preparing several configs never accumulates edits.
 * 2. The tree is walked with `namedModules()` (registration order, each object once under its first
 *    name). Each op whose class is in the replacement table is wrapped with its effective settings:
 *    quantizer defaults, replaced by the override that matches its name (§7). Overrides setting both
 *    `bits_activations` and `bits_weights` to null leave the module FP32.
 * 3. The wrapper is installed under every name the object is reachable by (`allNamedModules()`), so
 *    the shared embedding gets one wrapper, built for `encoder.embedder` (§5.2).
 */
import { QnmtError } from '../errors.js';
import { Module, Op } from '../model/module.js';
import { BatchMatmul, Concat, EltwiseAdd, EltwiseMult, Embedding, Linear, Matmul } from '../model/ops.js';
import { adjustLstmGateStats } from './clip.js';
import type { QuantConfig } from './config.js';
import { checkOverrideKeys, nameToMatch, resolveOverride, unmatchedOverrides, type OverrideEntry } from './overrides.js';
import { WRAPPER_TYPES, type WrapperType } from './qtypes.js';
import { cloneStats, type ModuleStats, type StatsRecord, type Stats } from './stats.js';
import {
  QuantBatchMatmul, QuantConcat, QuantEltwiseAdd, QuantEltwiseMult, QuantEmbedding, QuantLinear, QuantMatmul, QuantWrapper,
  type ModuleQuantSettings,
} from './wrappers/index.js';

export interface PrepareResult {
  /** Number of wrappers built per type (a shared module counts once). */
  replaced: Record<WrapperType, number>;
  /** Things the user should look at (e.g. an override pattern that matches no module). */
  warnings: string[];
  /** Wrappers by the name they were built for, in walk order. */
  modules: Map<string, QuantWrapper>;
  /** Quantizable modules the config leaves in FP32 (all bits null in their override), in walk order. */
  fp32Modules: string[];
}

type Build = (op: Op, name: string, settings: ModuleQuantSettings, stats: ModuleStats) => QuantWrapper;

interface Replacement {
  readonly type: WrapperType;
  /** Which bit widths the wrapper needs: both (param layer), activations, or weights (embedding). */
  readonly needs: 'both' | 'acts' | 'wts';
  readonly build: Build;
}

const inputsOf = (name: string, st: ModuleStats): StatsRecord[] => {
  if (!st.inputs || st.inputs.length === 0) {
    throw new QnmtError('quant/stats-missing', `stats for ${name} have no input records (was the module called during calibration?).`);
  }
  return st.inputs;
};

/** R's replacement table (spec §5.2), keyed by op class. */
const REPLACEMENTS = new Map<abstract new (...args: never[]) => Op, Replacement>([
  [Linear, { type: 'Linear', needs: 'both', build: (op, n, s, st) => new QuantLinear(op as Linear, n, s, { input: inputsOf(n, st)[0]!, output: st.output }) }],
  [EltwiseAdd, { type: 'EltwiseAdd', needs: 'acts', build: (op, n, s, st) => new QuantEltwiseAdd(op as EltwiseAdd, n, s, { inputs: inputsOf(n, st), output: st.output }) }],
  [EltwiseMult, { type: 'EltwiseMult', needs: 'acts', build: (op, n, s, st) => new QuantEltwiseMult(op as EltwiseMult, n, s, { inputs: inputsOf(n, st), output: st.output }) }],
  [Matmul, { type: 'Matmul', needs: 'acts', build: (op, n, s, st) => new QuantMatmul(op as Matmul, n, s, { inputs: inputsOf(n, st), output: st.output }) }],
  [BatchMatmul, { type: 'BatchMatmul', needs: 'acts', build: (op, n, s, st) => new QuantBatchMatmul(op as BatchMatmul, n, s, { inputs: inputsOf(n, st), output: st.output }) }],
  [Concat, { type: 'Concat', needs: 'acts', build: (op, n, s, st) => new QuantConcat(op as Concat, n, s, { inputs: inputsOf(n, st), output: st.output }) }],
  [Embedding, { type: 'Embedding', needs: 'wts', build: (op, n, s, st) => new QuantEmbedding(op as Embedding, n, s, { output: st.output }) }],
]);

/** The replacement for a module, by its class (or nearest registered base class). */
function replacementFor(m: Module): Replacement | undefined {
  for (let proto = Object.getPrototypeOf(m); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const r = REPLACEMENTS.get(proto.constructor);
    if (r) return r;
  }
  return undefined;
}

const prepared = new WeakSet<Module>();

/**
 * The DistillerLSTMCells of a tree: modules with the children `fc_gate_x`, `fc_gate_h` and
 * `eltwiseadd_gate` (structural, so it does not depend on class names).
 */
export function lstmCellNames(model: Module): string[] {
  const out: string[] = [];
  for (const [name, m] of model.namedModules()) {
    const kids = new Set([...m.children()].map(([k]) => k));
    if (kids.has('fc_gate_x') && kids.has('fc_gate_h') && kids.has('eltwiseadd_gate')) out.push(name);
  }
  return out;
}

/** The modules a config can quantize (every op with a replacement), with their wrapper type, in walk order. */
export function quantizableModules(model: Module): { name: string; type: WrapperType }[] {
  const out: { name: string; type: WrapperType }[] = [];
  for (const [name, m] of model.namedModules()) {
    const rep = replacementFor(m);
    if (rep) out.push({ name, type: rep.type });
  }
  return out;
}

/** Quantizer defaults with the module's override applied. */
export function moduleSettings(config: QuantConfig, entry: OverrideEntry | undefined): {
  settings: ModuleQuantSettings; bitsActivations: number | null; bitsWeights: number | null;
} {
  const o = entry?.settings ?? {};
  const has = (k: keyof typeof o): boolean => Object.prototype.hasOwnProperty.call(o, k);
  const bitsActivations = has('bitsActivations') ? o.bitsActivations! : config.bitsActivations;
  const bitsWeights = has('bitsWeights') ? o.bitsWeights! : config.bitsParameters;
  return {
    bitsActivations,
    bitsWeights,
    settings: {
      mode: o.mode ?? config.mode,
      bitsActivations: bitsActivations ?? config.bitsActivations,
      bitsWeights: bitsWeights ?? config.bitsParameters,
      bitsAccum: config.bitsAccum,
      perChannelWts: o.perChannelWts ?? config.perChannelWts,
      clipActs: o.clipActs ?? config.clipActs,
      clipNStds: has('clipNStds') ? o.clipNStds! : config.clipNStds,
      scaleApproxMultBits: has('scaleApproxMultBits') ? o.scaleApproxMultBits! : config.scaleApproxMultBits,
    },
  };
}

/** Replace the quantizable ops of `model` in place by their quantized wrappers (spec §5). */
export function prepareModel(model: Module, config: QuantConfig, stats: Stats): PrepareResult {
  if (prepared.has(model) || [...model.namedModules()].some(([, m]) => m instanceof QuantWrapper)) {
    throw new TypeError('prepareModel: this model was already prepared for quantization; prepare a fresh copy of the FP32 model.');
  }
  const st = cloneStats(stats);
  adjustLstmGateStats(st, lstmCellNames(model));

  const replaced = Object.fromEntries(WRAPPER_TYPES.map((t) => [t, 0])) as Record<WrapperType, number>;
  const modules = new Map<string, QuantWrapper>();
  const byObject = new Map<Module, QuantWrapper>();
  const fp32Modules: string[] = [];
  for (const [name, m] of model.namedModules()) {
    const rep = replacementFor(m);
    if (!rep) continue;
    const entry = resolveOverride(config.overrides, name);
    const { settings, bitsActivations, bitsWeights } = moduleSettings(config, entry);
    if (bitsActivations === null && bitsWeights === null) {
      const other = entry!.keys.filter((k) => !k.startsWith('bits_'));
      if (other.length > 0) {
        throw new QnmtError('quant/override-on-fp32', `${entry!.where}: override '${entry!.pattern}' leaves ${name} unquantized (bits null) but also sets ${other.join(', ')}; remove them.`);
      }
      fp32Modules.push(name);
      continue;
    }
    const missing = rep.needs === 'both' ? (bitsActivations === null ? 'bits_activations' : bitsWeights === null ? 'bits_weights' : null)
      : rep.needs === 'acts' ? (bitsActivations === null ? 'bits_activations' : null)
        : bitsWeights === null ? 'bits_weights' : null;
    if (missing) {
      throw new QnmtError('quant/partial-bits', `${entry?.where ?? config.file ?? 'config'}: ${name} (${rep.type}) needs ${missing}; set both bits_activations and bits_weights to null to leave it FP32.`);
    }
    if (entry) checkOverrideKeys(entry, rep.type, name);
    const ms = st.get(nameToMatch(name));
    if (!ms) {
      throw new QnmtError('quant/stats-missing', `stats have no entry for ${name} (${rep.type}); the stats file must come from calibrating this model.`);
    }
    const wrapper = rep.build(m as Op, name, settings, ms);
    modules.set(name, wrapper);
    byObject.set(m, wrapper);
    replaced[rep.type]++;
  }
  const allNames: string[] = [];
  const installs: [string, QuantWrapper][] = [];
  for (const [name, m] of model.allNamedModules()) {
    allNames.push(name);
    const w = byObject.get(m);
    if (w) installs.push([name, w]);
  }
  for (const [name, w] of installs) model.setModule(name, w);
  prepared.add(model);

  const warnings = unmatchedOverrides(config.overrides, allNames).map(
    (o) => `${o.where}: override pattern '${o.pattern}' matches no module of the model (patterns must match the whole dotted name).`,
  );
  return { replaced, warnings, modules, fp32Modules };
}
