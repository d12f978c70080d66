/**
 * `quantizationStudy`: the sweep as one library call — pick the backend, run FP32 and every config
 * (calibrating first when no statistics are given), and write the tables next to the rows.
 * `qnmt sweep` is this function plus progress bars.
 */
import { join } from 'node:path';
import { SEARCH_DEFAULTS } from '../decode/search-options.js';
import { QnmtError } from '../errors.js';
import { activeBackend, selectBackend } from '../tensor/backend.js';
import { writeFileAtomic } from './atomic-file.js';
import type { ResultRow } from './results-store.js';
import { renderSummary, renderTable } from './results-table.js';
import { configName, runSweep, type SweepEvent, type SweepOptions } from './sweep.js';
import type { NamedConfig } from './sweep-jobs.js';
import { loadQuantConfig } from '../quant/config.js';

export interface StudyOptions extends Omit<SweepOptions, 'beam' | 'batch' | 'maxLen' | 'configs'> {
  /** Distiller config files (row name = file name without .yaml) or configs by value. */
  configs: readonly (string | NamedConfig)[];
  /** @default 10 (the notebook's) */
  beam?: number;
  /** @default 128 */
  batch?: number;
  /** @default 80 */
  maxLen?: number;
  /** Threads of the compute backend. @default 2 (or QNMT_THREADS) */
  threads?: number;
  /** 'auto' or a backend name. @default 'auto' (or QNMT_BACKEND) */
  backend?: string;
}

export interface StudyResult {
  /** One row per configuration, FP32 first, in the order given. */
  rows: ResultRow[];
  /** The study's table as markdown (also written to OUT/table.md, table.json, table.csv). */
  table: string;
  /** One closing sentence: FP32 and the best INT8 row. */
  summary: string;
  backend: { name: string; threads: number };
}

export type { SweepEvent };

export async function quantizationStudy(options: StudyOptions): Promise<StudyResult> {
  // Parse every config before any long computation, so a typo fails in the first second.
  const configs = options.configs.map((c) => (typeof c === 'string' ? { name: configName(c), config: loadQuantConfig(c) } : c));
  await selectBackend(options.backend, options.threads, () => undefined);
  const rows = await runSweep({
    ...options,
    configs,
    beam: options.beam ?? SEARCH_DEFAULTS.beam,
    batch: options.batch ?? 128,
    maxLen: options.maxLen ?? SEARCH_DEFAULTS.maxLen,
  });
  if (rows.length === 0) throw new QnmtError('sweep/nothing', 'nothing to evaluate: give configs or keep the FP32 row.');
  const table = renderTable(rows, 'md');
  await writeFileAtomic(join(options.out, 'table.md'), table);
  await writeFileAtomic(join(options.out, 'table.json'), renderTable(rows, 'json'));
  await writeFileAtomic(join(options.out, 'table.csv'), renderTable(rows, 'csv'));
  return { rows, table, summary: renderSummary(rows), backend: activeBackend() };
}
