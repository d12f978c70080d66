/**
 * One observed call of one tensor, reduced to the few numbers Distiller's record update needs
 * (spec §3 steps 1–7), and the update itself.
 *
 * This is the seam between "where the numbers come from" (the hook-based collector today, faster
 * observed kernels later) and "what is done with them": Distiller's running records
 * (`applySummary`), or the partial statistics of a shard, which keep the summaries of every call so
 * that shards can be merged into exactly the records one process would have built.
 *
 * The element spread is kept as m2 = Σ (v − μ)², centred on the call's own mean μ = sum/numel, so
 * that Distiller's Σ (v − mean_old)(v − mean_new) = m2 + numel·(μ − mean_old)(μ − mean_new)
 * needs no second pass over the data and does not cancel catastrophically.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { SampleStats } from '../tensor/sample-stats.js';
import { shapeString, type StatsRecord } from './stats.js';

export interface TensorSummary {
  numel: number;
  /** Σ of all elements, in index order. */
  sum: number;
  /** Σ (v − sum/numel)² over all elements. */
  m2: number;
  /** Extremes of this call. */
  callMin: number;
  callMax: number;
  /** Mean over samples (first dimension) of the per-sample minimum / maximum. */
  avgMin: number;
  avgMax: number;
  /** "(d0, d1, …)" of this call (the record keeps the first call's). */
  shape: string;
}

/**
 * The summary of one call's tensor, or undefined for an empty tensor (the original would fail on
 * it; it is skipped). Rows are the first dimension; if every row has one element, the global
 * extremes are the single per-sample value (spec §3).
 */
export function summarizeTensor(t: Tensor): TensorSummary | undefined {
  const d = t.data;
  const numel = d.length;
  if (numel === 0) return undefined;
  const rows = t.shape.length === 0 ? 1 : t.shape[0]!;
  const cols = numel / rows;
  let sum = 0;
  let callMin = Infinity;
  let callMax = -Infinity;
  let avgMin: number;
  let avgMax: number;
  if (cols === 1) {
    for (let i = 0; i < numel; i++) {
      const v = d[i]!;
      if (v < callMin) callMin = v;
      if (v > callMax) callMax = v;
      sum += v;
    }
    avgMin = callMin;
    avgMax = callMax;
  } else {
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
    avgMin = sumMin / rows;
    avgMax = sumMax / rows;
  }
  const mu = sum / numel;
  let m2 = 0;
  for (let i = 0; i < numel; i++) {
    const dv = d[i]! - mu;
    m2 += dv * dv;
  }
  return { numel, sum, m2, callMin, callMax, avgMin, avgMax, shape: shapeString(t.shape) };
}

/**
 * Distiller's update of one record by one call (spec §3); `n` is the module's call count including
 * this call. min/max are absolute extremes; avg_min/avg_max/mean are running means over calls;
 * std is R's incremental formula, which assumes every earlier call had as many elements as this one:
 *   N_prev = numel·(n−1); M = std²·(N_prev − 1) + Σ (v − mean_old)(v − mean_new);
 *   std = sqrt(M / (N_prev + numel − 1))        (NaN after a first call with one element, as R)
 */
export function applySummary(rec: StatsRecord, s: TensorSummary, n: number): void {
  rec.min = Math.min(rec.min, s.callMin);
  rec.max = Math.max(rec.max, s.callMax);
  rec.avg_min += (s.avgMin - rec.avg_min) / n;
  rec.avg_max += (s.avgMax - rec.avg_max) / n;
  const oldMean = rec.mean;
  const mu = s.sum / s.numel;
  const newMean = oldMean + (mu - oldMean) / n;
  const nPrev = s.numel * (n - 1);
  const m = rec.std ** 2 * (nPrev - 1) + s.m2 + s.numel * (mu - oldMean) * (mu - newMean);
  rec.std = Math.sqrt(m / (nPrev + s.numel - 1));
  rec.mean = newMean;
  if (!rec.shape) rec.shape = s.shape;
}

/**
 * The summary of a call reported as per-sample quads [min, max, Σx, Σx²] (a batched model's recorded
 * call), or undefined for an empty tensor. m2 = Σx² − (Σx)²/numel in float64.
 */
export function summarizeSamples(s: SampleStats): TensorSummary | undefined {
  const numel = s.numel;
  if (numel === 0) return undefined;
  const q = s.quads;
  const rows = s.samples;
  let sum = 0;
  let sumSq = 0;
  let sumMin = 0;
  let sumMax = 0;
  let callMin = Infinity;
  let callMax = -Infinity;
  for (let i = 0; i < rows; i++) {
    const o = s.at(i);
    const mn = q[o]!;
    const mx = q[o + 1]!;
    sum += q[o + 2]!;
    sumSq += q[o + 3]!;
    sumMin += mn;
    sumMax += mx;
    if (mn < callMin) callMin = mn;
    if (mx > callMax) callMax = mx;
  }
  const m2 = Math.max(0, sumSq - (sum * sum) / numel);
  // One value per sample: the global extremes are the single per-sample value.
  const single = numel === rows;
  return {
    numel, sum, m2, callMin, callMax,
    avgMin: single ? callMin : sumMin / rows,
    avgMax: single ? callMax : sumMax / rows,
    shape: shapeString(s.shape),
  };
}
