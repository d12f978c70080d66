/**
 * Per-module output ranges from a Distiller activation-stats YAML (spec/quantization.md; e.g.
 * spec/data/gnmt_model_stats_aug2019.yaml). Layout: `<dotted module name>: {inputs: {0: {...}, ...},
 * output: {min, max, avg_min, avg_max, mean, std, shape}}`. Two quirks of real files are handled:
 * `.nan` values (e.g. std of a single sample) and modules that never ran, whose min/max keep the
 * collector's initial ±1.7976931348623157e+308 (float max) with min > max.
 */
import { parse } from 'yaml';
import { QnmtError } from '../errors.js';

export interface ModuleRange {
  readonly name: string;
  /** False when the module never ran during calibration (no meaningful range). */
  readonly called: boolean;
  /** Null where the file has `.nan` or the value is missing. */
  readonly min: number | null;
  readonly max: number | null;
  readonly avg_min: number | null;
  readonly avg_max: number | null;
  readonly mean: number | null;
  readonly std: number | null;
  readonly shape: string | null;
}

export interface StatsRanges {
  readonly modules: ModuleRange[];
  /** Module entries without an `output` section (skipped). */
  readonly withoutOutput: string[];
}

/** The initial value Distiller's collector gives min (and −max): Python's sys.float_info.max. */
const floatMax = 1.7976931348623157e308;

function num(v: unknown): number | null {
  return typeof v === 'number' && !Number.isNaN(v) ? v : null;
}

/** True when the parsed YAML looks like a Distiller stats file (a mapping of modules with output stats). */
export function looksLikeStats(doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  return Object.values(doc as Record<string, unknown>).some((v) => {
    const out = (v as Record<string, unknown> | null)?.['output'] as Record<string, unknown> | undefined;
    return out !== undefined && out !== null && typeof out === 'object' && 'min' in out && 'max' in out;
  });
}

export function readStatsRanges(text: string, file: string): StatsRanges {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new QnmtError('report/stats-yaml', `${file}: not valid YAML (${(e as Error).message.split('\n')[0]}). Pass a Distiller stats file with --stats.`);
  }
  if (!looksLikeStats(doc)) {
    throw new QnmtError('report/stats-yaml', `${file}: not a Distiller activation-stats file (expected '<module>: {output: {min, max, avg_min, avg_max, ...}}').`);
  }
  const modules: ModuleRange[] = [];
  const withoutOutput: string[] = [];
  for (const [name, entry] of Object.entries(doc as Record<string, unknown>)) {
    const out = (entry as Record<string, unknown> | null)?.['output'] as Record<string, unknown> | undefined;
    if (!out || typeof out !== 'object') {
      withoutOutput.push(name);
      continue;
    }
    const min = num(out['min']);
    const max = num(out['max']);
    const called = !(min !== null && max !== null && (min > max || Math.abs(min) >= floatMax || Math.abs(max) >= floatMax));
    modules.push({
      name,
      called,
      min: called ? min : null,
      max: called ? max : null,
      avg_min: called ? num(out['avg_min']) : null,
      avg_max: called ? num(out['avg_max']) : null,
      mean: called ? num(out['mean']) : null,
      std: called ? num(out['std']) : null,
      shape: out['shape'] === undefined || out['shape'] === '' ? null : String(out['shape']),
    });
  }
  return { modules, withoutOutput };
}
