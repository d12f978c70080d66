/**
 * Value-by-value comparison of two activation-statistics sets (Distiller's model_stats.yaml layout):
 * same module names in the same order, the same records, every shape string equal, and the largest
 * relative difference of each numeric field. Used by the calibration tests and by
 * bench/calibration-full.ts (which compares qnmt's collector with Distiller's own file).
 */
import type { Stats, StatsRecord } from '../../src/quant/stats.js';

const FIELDS = ['min', 'max', 'avg_min', 'avg_max', 'mean', 'std'] as const;

export interface StatsComparison {
  /** Structural problems: missing or extra modules/records, order, shapes. Empty when the layouts agree. */
  problems: string[];
  /** Records compared. */
  records: number;
  /** Largest |got − want| / |want| per field (0 where want = got = 0), with where it occurs. */
  worst: Record<(typeof FIELDS)[number], { rel: number; where: string; got: number; want: number }>;
}

export function relDiff(got: number, want: number): number {
  if (got === want) return 0;
  return Math.abs(got - want) / Math.abs(want);
}

export function compareStats(got: Stats, want: Stats): StatsComparison {
  const problems: string[] = [];
  const worst = Object.fromEntries(FIELDS.map((f) => [f, { rel: 0, where: '', got: 0, want: 0 }])) as StatsComparison['worst'];
  const gk = [...got.keys()];
  const wk = [...want.keys()];
  if (gk.join('\n') !== wk.join('\n')) {
    problems.push(`module names differ: missing ${wk.filter((k) => !got.has(k)).join(', ') || '-'}; extra ${gk.filter((k) => !want.has(k)).join(', ') || '-'}; or order`);
  }
  let records = 0;
  const one = (where: string, g: StatsRecord | undefined, w: StatsRecord | undefined): void => {
    if (!g || !w) return void problems.push(`${where}: record ${g ? 'extra' : 'missing'}`);
    records++;
    if ((g.shape ?? '') !== (w.shape ?? '')) problems.push(`${where}: shape ${g.shape} vs ${w.shape}`);
    for (const f of FIELDS) {
      const rel = relDiff(g[f], w[f]);
      if (!(rel <= worst[f].rel)) worst[f] = { rel, where, got: g[f], want: w[f] };
    }
  };
  for (const [name, w] of want) {
    const g = got.get(name);
    if (!g) continue;
    const n = Math.max(g.inputs?.length ?? 0, w.inputs?.length ?? 0);
    for (let i = 0; i < n; i++) one(`${name}.inputs.${i}`, g.inputs?.[i], w.inputs?.[i]);
    one(`${name}.output`, g.output, w.output);
  }
  return { problems, records, worst };
}

/** The largest relative difference over all fields. */
export function maxRel(c: StatsComparison): number {
  return Math.max(...Object.values(c.worst).map((w) => w.rel));
}

/** One line per field: the largest relative difference and where. */
export function describeComparison(c: StatsComparison): string[] {
  return Object.entries(c.worst).map(([f, w]) => `${f.padEnd(8)} max rel diff ${w.rel.toExponential(2)}${w.rel > 0 ? ` at ${w.where} (${w.got} vs ${w.want})` : ''}`);
}
