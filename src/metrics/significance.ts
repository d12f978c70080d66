/**
 * Bootstrap resampling as sacrebleu 2.x does it (`sacrebleu --confidence`, `--paired-bs`), so the numbers
 * agree with sacrebleu's to the printed digit:
 *
 * - the resamples are `default_rng(seed).choice(n, (samples, n))` (numpy-random.ts reproduces the draws);
 *   every system and the baseline use the same index matrix (sacrebleu reseeds for each);
 * - a resample's score is the metric computed from the sum of its sentences' sufficient statistics;
 * - confidence: sort the resampled scores, take the (n//40)-th from each end; `ci` is half their distance
 *   and `mean` the mean of all resampled scores (sacrebleu's estimate_ci);
 * - paired test (Moses' bootstrap-hypothesis-difference-significance.pl as sacrebleu ports it):
 *   d_i = |sys_i − base_i|, p = (#{d_i − mean(d) > |sys − base|} + 1) / (samples + 1).
 *
 * The statistics and the score function are the caller's, so the same code serves BLEU, chrF or any
 * additive metric.
 */
import { NumpyRng } from './numpy-random.js';

/** sacrebleu's defaults: 1000 resamples, seed 12345 (SACREBLEU_SEED). */
export const BOOTSTRAP_DEFAULTS = Object.freeze({ samples: 1000, seed: 12345 });

export interface BootstrapOptions {
  /** Number of resamples. @default 1000 */
  samples?: number;
  /** numpy default_rng seed. @default 12345 */
  seed?: number;
}

/** Per-sentence sufficient statistics: row i = the statistics of sentence i (all rows the same length). */
export type SentenceStats = readonly (readonly number[])[];

/** A metric from summed statistics (e.g. stats → computeBleu(...).score). */
export type ScoreFromStats = (summed: Float64Array) => number;

export interface Confidence {
  /** Mean of the resampled scores (sacrebleu's μ). */
  mean: number;
  /** Half-width of the 95% interval (sacrebleu's ±). */
  ci: number;
  /** Lower and upper ends of the interval. */
  low: number;
  high: number;
}

export interface PairedResult {
  /** The system's confidence interval from the same resamples. */
  confidence: Confidence;
  /** p-value of the difference to the baseline (small = unlikely to be chance). */
  pValue: number;
}

/** The sentences of each resample: row r of `samples` rows of n indices (numpy's choice, row-major). */
export function bootstrapIndices(n: number, options: BootstrapOptions = {}): Int32Array {
  const samples = options.samples ?? BOOTSTRAP_DEFAULTS.samples;
  if (n < 1) throw new RangeError('bootstrap resampling needs at least one sentence');
  return new NumpyRng(options.seed ?? BOOTSTRAP_DEFAULTS.seed).choice(n, samples * n);
}

/** The metric on every resample (same order as the rows of `indices`). */
export function resampledScores(stats: SentenceStats, score: ScoreFromStats, indices: Int32Array): Float64Array {
  const n = stats.length;
  const width = stats[0]?.length ?? 0;
  const samples = indices.length / n;
  const out = new Float64Array(samples);
  const sum = new Float64Array(width);
  for (let r = 0; r < samples; r++) {
    sum.fill(0);
    for (let i = r * n; i < (r + 1) * n; i++) {
      const row = stats[indices[i]!]!;
      for (let k = 0; k < width; k++) sum[k]! += row[k]!;
    }
    out[r] = score(sum);
  }
  return out;
}

/** sacrebleu's estimate_ci over resampled scores. */
export function estimateConfidence(scores: Float64Array): Confidence {
  const sorted = Float64Array.from(scores).sort();
  const n = sorted.length;
  const lowIdx = Math.floor(n / 40);
  const low = sorted[lowIdx]!;
  const high = sorted[n - lowIdx - 1]!;
  return { mean: pairwiseMean(sorted), ci: 0.5 * (high - low), low, high };
}

/** `sacrebleu --confidence`: the 95% interval of one system. */
export function bootstrapConfidence(stats: SentenceStats, score: ScoreFromStats, options: BootstrapOptions = {}): Confidence {
  return estimateConfidence(resampledScores(stats, score, bootstrapIndices(stats.length, options)));
}

/**
 * `sacrebleu --paired-bs`: each system against the baseline on the same resamples. `baseline` and every
 * entry of `systems` hold the statistics of the same sentences.
 */
export function pairedBootstrap(
  baseline: SentenceStats,
  systems: readonly SentenceStats[],
  score: ScoreFromStats,
  options: BootstrapOptions = {},
): { baseline: Confidence; systems: PairedResult[] } {
  for (const s of systems) {
    if (s.length !== baseline.length) throw new RangeError(`paired bootstrap needs the same sentences: ${s.length} vs ${baseline.length}`);
  }
  const indices = bootstrapIndices(baseline.length, options);
  const baseScores = resampledScores(baseline, score, indices);
  const baseActual = score(sumRows(baseline));
  return {
    baseline: estimateConfidence(baseScores),
    systems: systems.map((stats) => {
      const sysScores = resampledScores(stats, score, indices);
      const diff = Math.abs(baseActual - score(sumRows(stats)));
      const diffs = sysScores.map((s, r) => Math.abs(s - baseScores[r]!));
      const meanDiff = pairwiseMean(diffs);
      let count = 0;
      for (const d of diffs) if (d - meanDiff > diff) count++;
      return { confidence: estimateConfidence(sysScores), pValue: (count + 1) / (diffs.length + 1) };
    }),
  };
}

function sumRows(stats: SentenceStats): Float64Array {
  const sum = new Float64Array(stats[0]?.length ?? 0);
  for (const row of stats) for (let k = 0; k < sum.length; k++) sum[k]! += row[k]!;
  return sum;
}

/** numpy's float64 mean: pairwise summation in blocks of 8 below 128 elements (differs from a plain loop in the last bits). */
function pairwiseMean(values: Float64Array): number {
  return pairwiseSum(values, 0, values.length) / values.length;
}

function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = start; i < start + n; i++) s += a[i]!;
    return s;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k]! += a[start + i + k]!;
    let s = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) s += a[start + i]!;
    return s;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, start, half) + pairwiseSum(a, start + half, n - half);
}
