/**
 * Saturation ranges of activations from their statistics (`clip_acts`, spec §4 and §12.3) and the
 * LSTM gate statistics adjustment of spec §5.1.
 */
import { QnmtError } from '../errors.js';
import type { ClipMode, QuantMode } from './qtypes.js';
import type { StatsRecord, Stats } from './stats.js';

export interface ClipSettings {
  readonly clipActs: ClipMode;
  /** k of N_STD (required there). */
  readonly clipNStds: number | null;
  /** Activation bits (the ACIQ tables are indexed by them). */
  readonly bits: number;
  readonly mode: QuantMode;
}

/** ACIQ α multipliers of Distiller HEAD (spec §12.3), by bit width: α = b·A_L (LAPLACE), std·A_G (GAUSS). */
export const ACIQ_LAPLACE: Readonly<Record<number, number>> = { 0: 1.05, 1: 1.86, 2: 2.83, 3: 3.89, 4: 5.03, 5: 6.2, 6: 7.41, 7: 8.64, 8: 9.89 };
export const ACIQ_GAUSS: Readonly<Record<number, number>> = { 1: 1.24, 2: 1.71, 3: 2.15, 4: 2.55, 5: 2.93, 6: 3.28, 7: 3.61, 8: 3.92 };

/**
 * The (m, M) range of spec §4 for one tensor record; the returned numbers are float32 values.
 *
 * - NONE: (min, max); AVG: (avg_min, avg_max).
 * - N_STD (R): m = max(min, fround(mean − fround(k·std))), M = min(max, fround(mean + fround(k·std))),
 *   all operands float32 (R builds float32 tensors; k·std is a Python-float × float32-tensor product).
 * - GAUSS / LAPLACE (HEAD §12.3): α = std·A_G[bits] or b·A_L[bits]; SYMMETRIC: ±(|mean| + α);
 *   asymmetric: m = max(avg_min, mean − α), M = m + 2α. HEAD computes these with Python floats
 *   (float64) before building the float32 tensors, and so does this function.
 *   LAPLACE needs the `b` field (stats files from Distiller ≥ Oct 2019); without it → QnmtError
 *   naming the module, because silently falling back would change the results.
 *
 * `where` names the record in messages (e.g. `decoder.classifier.classifier.output`).
 */
export function saturationRange(rec: StatsRecord, c: ClipSettings, where: string): [number, number] {
  const f = Math.fround;
  checkUsedStats(rec, c, where);
  switch (c.clipActs) {
    case 'NONE':
      return [f(rec.min), f(rec.max)];
    case 'AVG':
      return [f(rec.avg_min), f(rec.avg_max)];
    case 'N_STD': {
      if (c.clipNStds === null) {
        throw new QnmtError('quant/missing-clip-n-stds', `${where}: clip_acts N_STD needs clip_n_stds (a number of standard deviations).`);
      }
      const kStd = f(f(c.clipNStds) * f(rec.std));
      return [Math.max(f(rec.min), f(f(rec.mean) - kStd)), Math.min(f(rec.max), f(f(rec.mean) + kStd))];
    }
    case 'GAUSS':
    case 'LAPLACE': {
      const table = c.clipActs === 'GAUSS' ? ACIQ_GAUSS : ACIQ_LAPLACE;
      const mult = table[c.bits];
      if (mult === undefined) {
        throw new QnmtError('quant/aciq-bits', `${where}: clip_acts ${c.clipActs} has no ACIQ constant for ${c.bits} bits (known: ${Object.keys(table).join(', ')}).`);
      }
      let spread: number;
      if (c.clipActs === 'LAPLACE') {
        if (rec.b === undefined) {
          throw new QnmtError('quant/stats-missing-b', `${where}: clip_acts LAPLACE needs the 'b' (mean absolute deviation) statistic, which this stats file lacks; re-collect with a collector that records 'b' or use another clip mode.`);
        }
        spread = rec.b;
      } else spread = rec.std;
      const alpha = spread * mult;
      if (!Number.isFinite(alpha)) throw new QnmtError('quant/aciq-nan', `${where}: clip_acts ${c.clipActs}: alpha is ${alpha} (statistics ${c.clipActs === 'GAUSS' ? 'std' : 'b'} = ${spread}).`);
      if (c.mode === 'SYMMETRIC') {
        const sat = Math.abs(rec.mean) + alpha;
        return [f(-sat), f(sat)];
      }
      const m = Math.max(rec.avg_min, rec.mean - alpha);
      return [f(m), f(m + 2 * alpha)];
    }
  }
}

/** The statistics each clip mode reads (spec §4), and the ordered pairs among them. */
const USED_FIELDS: Readonly<Record<ClipMode, { fields: readonly (keyof StatsRecord)[]; ordered?: [keyof StatsRecord, keyof StatsRecord]; spread?: keyof StatsRecord }>> = {
  NONE: { fields: ['min', 'max'], ordered: ['min', 'max'] },
  AVG: { fields: ['avg_min', 'avg_max'], ordered: ['avg_min', 'avg_max'] },
  N_STD: { fields: ['min', 'max', 'mean', 'std'], ordered: ['min', 'max'], spread: 'std' },
  GAUSS: { fields: ['avg_min', 'mean', 'std'], spread: 'std' },
  LAPLACE: { fields: ['avg_min', 'mean'], spread: 'b' },
};

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The statistics a clip mode uses must be finite float32 values, min ≤ max and std/b ≥ 0; otherwise the
 * quantized model would compute with NaN or infinite scales and translate into garbage. The error names
 * the module, the field and the value, and the way out (another clip mode for this module).
 */
export function checkUsedStats(rec: StatsRecord, c: Pick<ClipSettings, 'clipActs'>, where: string): void {
  const used = USED_FIELDS[c.clipActs];
  const moduleName = where.replace(/\.(inputs\.\d+|output)$/, '');
  const fix =
    `Use another clip mode for this module via overrides (for example  overrides: {'${moduleName.replace(/\./g, '\\.')}': {clip_acts: NONE}}  ` +
    `or AVG), or collect the statistics again ('qnmt calibrate').`;
  const bad = (what: string): never => {
    throw new QnmtError('quant/bad-stats', `${where}: clip_acts ${c.clipActs} uses ${what}. ${fix}`);
  };
  const fields = used.spread && used.spread !== 'std' ? [...used.fields, used.spread] : used.fields;
  for (const k of fields) {
    const v = rec[k];
    if (typeof v !== 'number') {
      if (k === 'b') continue; // a missing 'b' has its own error (LAPLACE below)
      bad(`'${k}', which is missing`);
    }
    const n = v as number;
    if (Number.isNaN(n)) bad(`'${k}', which is NaN in the statistics${k === 'std' && rec.min === rec.max ? ' (the tensor held a single value, so it has no standard deviation)' : ''}`);
    if (!(Math.abs(n) <= FLOAT32_MAX)) bad(`'${k}' = ${n}, which is not a finite float32 value`);
  }
  if (used.ordered) {
    const [lo, hi] = used.ordered;
    if ((rec[lo] as number) > (rec[hi] as number)) {
      const never = rec.min === Number.MAX_VALUE && rec.max === -Number.MAX_VALUE;
      bad(`'${lo}' = ${rec[lo]} > '${hi}' = ${rec[hi]}${never ? ' (the module never ran during calibration)' : ''}`);
    }
  }
  if (used.spread) {
    const s = rec[used.spread];
    if (typeof s === 'number' && s < 0) bad(`'${used.spread}' = ${s}, which is negative`);
  }
}

/**
 * Spec §5.1 (R `_clip_stats`): clip a gate pre-activation record to [lo, hi] in place.
 * max < lo → min/avg_min/max/avg_max := lo; min > hi → all := hi; otherwise min/avg_min are raised
 * to lo and max/avg_max lowered to hi. mean/std/b are untouched.
 */
export function clipRecord(rec: StatsRecord, lo: number, hi: number): void {
  if (rec.max < lo) rec.min = rec.avg_min = rec.max = rec.avg_max = lo;
  else if (rec.min > hi) rec.min = rec.avg_min = rec.max = rec.avg_max = hi;
  else {
    rec.min = Math.max(lo, rec.min);
    rec.avg_min = Math.max(lo, rec.avg_min);
    rec.max = Math.min(hi, rec.max);
    rec.avg_max = Math.min(hi, rec.avg_max);
  }
}

/** Sigmoid saturates around ±6, the rationale of R's gate clipping. */
export const LSTM_GATE_CLIP = 6;

/**
 * Spec §5.1: for every DistillerLSTMCell (given by dotted name), clip the **output** record of
 * `<cell>.eltwiseadd_gate` to [−6, 6], in the given stats (callers pass a copy). Cells missing from
 * the stats are skipped, as in R. Returns the names of the records changed.
 */
export function adjustLstmGateStats(stats: Stats, cellNames: readonly string[]): string[] {
  const done: string[] = [];
  for (const cell of cellNames) {
    const name = `${cell}.eltwiseadd_gate`;
    const m = stats.get(name);
    if (!m) continue;
    clipRecord(m.output, -LSTM_GATE_CLIP, LSTM_GATE_CLIP);
    done.push(name);
  }
  return done;
}
