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
 */
import type { Module, Op } from '../model/module.js';
import { Op as OpClass } from '../model/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { Embedding } from '../model/ops.js';
import { initialRecord, shapeString, type Stats, type StatsRecord } from './stats.js';

interface Entry {
  calls: number;
  inputs: StatsRecord[] | null;
  output: StatsRecord;
}

/** Hooks a model's leaf ops; `stats()` snapshots the records; `detach()` removes every hook. */
export class StatsCollector {
  private readonly entries = new Map<string, Entry>();
  private disposers: (() => void)[] = [];

  constructor(model: Module) {
    for (const [name, m] of model.namedModules()) {
      if (!m.isLeaf || !(m instanceof OpClass)) continue;
      const entry: Entry = { calls: 0, inputs: null, output: initialRecord() };
      this.entries.set(name, entry);
      this.disposers.push((m as Op).addForwardHook((_op, inputs, output) => {
        entry.calls++;
        if (!entry.inputs) {
          entry.inputs = inputs.map(() => initialRecord());
          // Token ids are int64 in PyTorch: their min/max are written as integers.
          if (m instanceof Embedding && entry.inputs[0]) entry.inputs[0].integer = true;
        }
        updateCall(entry, inputs, output);
      }));
    }
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
export async function collectStats(model: Module, run: () => Promise<void> | void): Promise<Stats> {
  const collector = new StatsCollector(model);
  try {
    await run();
    return collector.stats();
  } finally {
    collector.detach();
  }
}

/** Per-call reductions of one tensor (spec §3 steps 1–3), independent of the record. */
interface CallSummary {
  callMin: number;
  callMax: number;
  /** Mean over samples of the per-sample minimum / maximum. */
  avgMin: number;
  avgMax: number;
  /** Σ of all elements, summed in index order. */
  sum: number;
}

/** min/max per sample and the element sum in one pass (same summation order as index order). */
function summarize(t: Tensor): CallSummary {
  const d = t.data;
  const numel = d.length;
  const rows = t.shape.length === 0 ? 1 : t.shape[0]!;
  const cols = numel / rows;
  let sum = 0;
  let callMin = Infinity;
  let callMax = -Infinity;
  if (cols === 1) {
    // One value per sample: use the global extremes as a single per-sample value.
    for (let i = 0; i < numel; i++) {
      const v = d[i]!;
      if (v < callMin) callMin = v;
      if (v > callMax) callMax = v;
      sum += v;
    }
    return { callMin, callMax, avgMin: callMin, avgMax: callMax, sum };
  }
  let sumMin = 0;
  let sumMax = 0;
  for (let r = 0; r < rows; r++) {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = r * cols, e = i + cols; i < e; i++) {
      const v = d[i]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      sum += v;
    }
    sumMin += mn;
    sumMax += mx;
    if (mn < callMin) callMin = mn;
    if (mx > callMax) callMax = mx;
  }
  return { callMin, callMax, avgMin: sumMin / rows, avgMax: sumMax / rows, sum };
}

/** One call's update of one record (spec §3 steps 1–7); `n` is the module's call count including this call. */
export function updateRecord(rec: StatsRecord, t: Tensor, n: number, summary?: CallSummary): void {
  const d = t.data;
  const numel = d.length;
  if (numel === 0) return;
  const c = summary ?? summarize(t);
  rec.min = Math.min(rec.min, c.callMin);
  rec.max = Math.max(rec.max, c.callMax);
  rec.avg_min += (c.avgMin - rec.avg_min) / n;
  rec.avg_max += (c.avgMax - rec.avg_max) / n;

  const oldMean = rec.mean;
  const newMean = oldMean + (c.sum / numel - oldMean) / n;
  const nPrev = numel * (n - 1);
  let m2 = rec.std ** 2 * (nPrev - 1);
  for (let i = 0; i < numel; i++) {
    const v = d[i]!;
    m2 += (v - oldMean) * (v - newMean);
  }
  rec.std = Math.sqrt(m2 / (nPrev + numel - 1));
  rec.mean = newMean;
  if (!rec.shape) rec.shape = shapeString(t.shape);
}

/** Records of one call: a tensor passed more than once (dropout returns its input) is reduced once. */
function updateCall(entry: Entry, inputs: readonly Tensor[], output: Tensor): void {
  const done: { t: Tensor; c: CallSummary }[] = [];
  const summaryOf = (t: Tensor): CallSummary | undefined => {
    if (t.data.length === 0) return undefined;
    for (const x of done) if (x.t.data === t.data && x.t.shape[0] === t.shape[0] && x.t.shape.length === t.shape.length) return x.c;
    const c = summarize(t);
    done.push({ t, c });
    return c;
  };
  inputs.forEach((t, i) => {
    // A later call with more inputs than the first one gets fresh records (R appends too).
    entry.inputs![i] ??= initialRecord();
    updateRecord(entry.inputs![i]!, t, entry.calls, summaryOf(t));
  });
  updateRecord(entry.output, output, entry.calls, summaryOf(output));
}
