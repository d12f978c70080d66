/**
 * Activation statistics collector: R's `QuantCalibrationStatsCollector` (spec §3) on forward hooks.
 *
 * - Every leaf Op of the tree gets a hook; names come from `namedModules()`, so a shared module is
 *   observed once under its first name (`encoder.embedder`) and accumulates the calls made through
 *   every name.
 * - Per module a call counter n; per call and per tensor (each positional input, and the output):
 *   the tensor is viewed as (size(0), rest) — the first dimension is the sample dimension; if every
 *   row has one element the global min/max is the single per-sample value, else per-row min/max.
 *   min/max are absolute extremes; avg_min/avg_max and mean are running means **over calls**
 *   (x ← x + (v − x)/n, every call weighs the same); std uses Distiller's incremental formula that
 *   assumes all earlier calls had as many elements as this one:
 *       N_prev = numel·(n−1); M = std²·(N_prev − 1) + Σ (v − mean_old)(v − mean_new);
 *       std = sqrt(M / (N_prev + numel − 1))         (NaN for a first call with one element, as R)
 *   shape is the first call's shape, "(d0, d1, …)".
 * - Never-called leaves keep the initial record (no `inputs`, output min = 1.797e308,
 *   max = −1.797e308, zeros, shape '').
 *
 * Precision: per-call reductions are computed in float64 (the original reduces float32 tensors on
 * the GPU in an unspecified order, so its last bits are not reproducible anyway). Empty tensors are
 * skipped (the original would fail on them).
 *
 * The per-call reductions and the record update live in call-summary.ts; an optional observer sees
 * every call's summaries (a shard's partial statistics keep them to merge shards exactly).
 */
import type { Module, RecordedTensor } from '../model/module.js';
import { Op as OpClass } from '../model/module.js';
import { Tensor } from '../tensor/tensor.js';
import { allPlainOps } from '../model/gnmt.js';
import { Embedding } from '../model/ops.js';
import { initialRecord, type Stats, type StatsRecord } from './stats.js';
import { applySummary, summarizeSamples, summarizeTensor, type TensorSummary } from './call-summary.js';

/**
 * 'batched' (default for models of plain FP32 ops): call recorders; the model keeps its batched GEMMs and
 * fused kernels and reports Distiller's calls as per-sample reductions (tensor/sample-stats.ts).
 * 'per-call' (the reference; automatic for models with replaced ops): forward hooks, which make the model
 * call every op as Distiller does.
 */
export type CollectorMode = 'batched' | 'per-call';

interface Entry {
  calls: number;
  inputs: StatsRecord[] | null;
  output: StatsRecord;
}

/** What an observer sees of one call of one module (undefined summaries: empty tensors, skipped). */
export interface ObservedCall {
  /** The module's own call count, this call included (1, 2, …). */
  call: number;
  inputs: (TensorSummary | undefined)[];
  output: TensorSummary | undefined;
  /** Input 0 holds token ids (written as integers in Distiller's file). */
  integerInput: boolean;
}

/** Receives every observed call, in call order (e.g. a shard's partial statistics). */
export type CallObserver = (module: string, call: ObservedCall) => void;

/**
 * Hooks a model's leaf ops; `stats()` snapshots the records; `detach()` removes every hook.
 * `modules()` lists the observed names in module-walk order; `observer` sees every call's summaries.
 */
export class StatsCollector {
  private readonly entries = new Map<string, Entry>();
  private disposers: (() => void)[] = [];

  readonly mode: CollectorMode;

  constructor(model: Module, observer?: CallObserver, options: { mode?: CollectorMode } = {}) {
    this.mode = options.mode ?? (allPlainOps(model) ? 'batched' : 'per-call');
    for (const [name, m] of model.namedModules()) {
      if (!m.isLeaf || !(m instanceof OpClass)) continue;
      const entry: Entry = { calls: 0, inputs: null, output: initialRecord() };
      this.entries.set(name, entry);
      const onCall = (_op: unknown, inputs: readonly RecordedTensor[], output: RecordedTensor): void => {
        entry.calls++;
        // Token ids are int64 in PyTorch: their min/max are written as integers.
        const integerInput = m instanceof Embedding;
        if (!entry.inputs) {
          entry.inputs = inputs.map(() => initialRecord());
          if (integerInput && entry.inputs[0]) entry.inputs[0].integer = true;
        }
        const call: ObservedCall = { call: entry.calls, ...summarizeCall(inputs, output), integerInput };
        updateCall(entry, call);
        observer?.(name, call);
      };
      this.disposers.push(this.mode === 'batched' ? m.addCallRecorder(onCall) : m.addForwardHook(onCall));
    }
  }

  /** The observed module names, in module-walk order. */
  modules(): string[] {
    return [...this.entries.keys()];
  }

  /** A copy of the statistics so far, in module-walk order. */
  stats(): Stats {
    const out: Stats = new Map();
    for (const [name, e] of this.entries) {
      out.set(name, e.inputs ? { inputs: e.inputs.map((r) => ({ ...r })), output: { ...e.output } } : { output: { ...e.output } });
    }
    return out;
  }

  detach(): void {
    for (const d of this.disposers) d();
    this.disposers = [];
  }
}

/** Run `run` with a collector attached to every leaf op of `model`; hooks are removed afterwards. */
export async function collectStats(
  model: Module,
  run: () => Promise<void> | void,
  observer?: CallObserver,
  options: { mode?: CollectorMode } = {},
): Promise<Stats> {
  const collector = new StatsCollector(model, observer, options);
  try {
    await run();
    return collector.stats();
  } finally {
    collector.detach();
  }
}

/** The summaries of one call: a tensor passed more than once (dropout returns its input) is reduced once. */
function summarizeCall(inputs: readonly RecordedTensor[], output: RecordedTensor): Pick<ObservedCall, 'inputs' | 'output'> {
  const done: { t: Tensor; s: TensorSummary | undefined }[] = [];
  const summaryOf = (t: RecordedTensor): TensorSummary | undefined => {
    if (!(t instanceof Tensor)) return summarizeSamples(t);
    for (const x of done) if (x.t.data === t.data && x.t.shape[0] === t.shape[0] && x.t.shape.length === t.shape.length) return x.s;
    const s = summarizeTensor(t);
    done.push({ t, s });
    return s;
  };
  const ins = inputs.map(summaryOf);
  return { inputs: ins, output: summaryOf(output) };
}

/** One call's update of a module's records (spec §3); `entry.calls` already counts this call. */
function updateCall(entry: Entry, call: ObservedCall): void {
  call.inputs.forEach((s, i) => {
    // A later call with more inputs than the first one gets fresh records (R appends too).
    entry.inputs![i] ??= initialRecord();
    if (s) applySummary(entry.inputs![i]!, s, entry.calls);
  });
  if (call.output) applySummary(entry.output, call.output, entry.calls);
}
