/** Collect what `qnmt report DIR` shows: the sweep's result rows and an activation-stats YAML. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { QnmtError } from '../errors.js';
import { loadRows, rowsDirName, type ResultRow, type SkippedFile } from '../eval/results-store.js';
import { looksLikeStats, readStatsRanges, type StatsRanges } from './stats-ranges.js';

export interface ReportInput {
  readonly dir: string;
  readonly rows: ResultRow[];
  readonly skippedRows: SkippedFile[];
  readonly stats?: { readonly path: string; readonly ranges: StatsRanges };
}

/** Largest YAML we try to parse while searching (the real WMT stats file is well below 1 MB). */
const maxYamlBytes = 64 * 1024 * 1024;

/** YAML files in DIR and its immediate subfolders (not rows/), names with "stats" first. */
async function yamlCandidates(dir: string): Promise<string[]> {
  const out: string[] = [];
  const scan = async (d: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory() && depth === 0 && e.name !== rowsDirName && !e.name.startsWith('.')) await scan(p, 1);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  await scan(dir, 0);
  return out.sort((a, b) => Number(!/stats/i.test(a)) - Number(!/stats/i.test(b)));
}

/** Find the first Distiller stats YAML under `dir` (see yamlCandidates), or undefined. */
export async function findStatsYaml(dir: string): Promise<string | undefined> {
  for (const path of await yamlCandidates(dir)) {
    if ((await stat(path)).size > maxYamlBytes) continue;
    try {
      if (looksLikeStats(parse(await readFile(path, 'utf8')))) return path;
    } catch {
      /* not YAML we can read: not a stats file */
    }
  }
  return undefined;
}

export async function loadReportInput(dir: string, options: { statsPath?: string; hasOtherResults?: boolean } = {}): Promise<ReportInput> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new QnmtError('report/no-dir', `results folder ${dir} does not exist or is not a folder; pass the --out folder of 'qnmt sweep'.`);
  }
  const { rows, skipped } = await loadRows(dir);
  const statsPath = options.statsPath ?? (await findStatsYaml(dir));
  let stats: ReportInput['stats'];
  if (statsPath !== undefined) {
    let text: string;
    try {
      text = await readFile(statsPath, 'utf8');
    } catch (e) {
      throw new QnmtError('report/stats-missing', `cannot read stats file ${statsPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
    }
    stats = { path: statsPath, ranges: readStatsRanges(text, statsPath) };
  }
  if (rows.length === 0 && !stats && !options.hasOtherResults) {
    throw new QnmtError(
      'report/empty',
      `nothing to report in ${dir}: no result rows (${relative(process.cwd(), join(dir, rowsDirName)) || rowsDirName}/*.json) and no stats YAML. ` +
        "Run 'qnmt sweep --out DIR' first, or pass --stats FILE.",
    );
  }
  return { dir, rows, skippedRows: skipped, ...(stats ? { stats } : {}) };
}
