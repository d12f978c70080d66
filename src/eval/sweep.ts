/**
 * The study in one call (Distiller's notebook, results-table.md): FP32, then — with statistics
 * given, or collected by a calibration pass over the evaluated set as the notebook does — every
 * quantization config, each on a fresh model over the same weights.
 *
 * Nothing is lost on interruption: every finished configuration is written at once (atomic row file
 * plus its hypotheses), the calibration statistics too, and a resumed sweep skips every row whose
 * settings hash (model, input, reference, search settings) and job hash (config, statistics) are unchanged.
 * The jobs themselves (plan, run one) are in sweep-jobs.ts.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { GnmtCheckpoint } from '../io/checkpoint.js';
import type { Gnmt } from '../model/gnmt.js';
import { hashFile } from '../data/hash-file.js';
import { formatStats, parseStats, type Stats } from '../quant/stats.js';
import { collectStats } from '../quant/collector.js';
import { readLines, joinLines } from '../text/text-lines.js';
import { QnmtError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { ensureOutputDir } from '../io/safe-write.js';
import { loadRows, settingsHash, type ResultRow } from './results-store.js';
import { translateLines, type TranslateOptions } from './translate.js';
import { fp32Model, openCheckpoint } from './models.js';
import { dropFinished, planJobs, runJob, saveJobRow, type JobContext, type NamedConfig } from './sweep-jobs.js';
import { planBatches, type ShardSpec } from './shard-plan.js';
import { jobOutputFromParts, runSweepShard, type SweepShardContext } from './sharded-sweep.js';

export interface SweepOptions {
  model: string;
  input: string;
  ref: string;
  /** Activation statistics (Distiller YAML); collected on `input` when absent. */
  stats?: string;
  /** The quantization configurations, by value (the CLI loads them from files). */
  configs: readonly NamedConfig[];
  out: string;
  beam: number;
  batch: number;
  maxLen: number;
  /** Include the FP32 row (default true). */
  fp32?: boolean;
  /** Called as the sweep progresses (progress bars, logs). */
  onEvent?: (event: SweepEvent) => void;
  /**
   * Compute only this shard's (row, batch) units, into DIR/parts (needs `stats` for quantized rows).
   * Without it, rows whose parts are all in DIR/parts are merged from them instead of computed.
   */
  shard?: ShardSpec;
  /** The command line that runs this sweep, without --shard: errors about parts name it. */
  command?: string[];
}

export type SweepEvent =
  | { kind: 'start'; config: string; sentences: number; task: 'translate' | 'calibrate' }
  | { kind: 'progress'; config: string; done: number; total: number }
  | { kind: 'done'; config: string; row?: ResultRow; seconds: number }
  | { kind: 'skip'; config: string; row?: ResultRow; reason: string }
  | { kind: 'part'; config: string; path: string; seconds: number }
  | { kind: 'merged'; config: string; row: ResultRow }
  | { kind: 'warning'; message: string };

export { FP32_CONFIG, MODULE_ERROR_LINES } from './sweep-jobs.js';
export const STATS_FILE = 'stats.yaml';
/** What identifies statistics collected on the evaluated input (which the settings hash covers). */
const CALIBRATED_STATS = 'calibrated-on-input';

/** The row name of a config file: its base name without .yaml. */
export function configName(path: string): string {
  return basename(path).replace(/\.ya?ml$/i, '');
}

/** The study: plan the jobs, drop those already finished with the same settings, run the rest. */
export async function runSweep(options: SweepOptions): Promise<ResultRow[]> {
  const emit = options.onEvent ?? (() => undefined);
  const lines = readLines(options.input);
  const refs = readLines(options.ref);
  if (lines.length !== refs.length) {
    throw new QnmtError(
      'sweep/line-count',
      `${options.ref} has ${refs.length} lines but ${options.input} has ${lines.length}; they must be line-aligned.`,
    );
  }
  const statsText = options.stats === undefined ? null : readFileSync(options.stats, 'utf8');
  const jobs = planJobs(options.configs, { fp32: options.fp32 !== false, statsId: statsText === null ? CALIBRATED_STATS : sha256(statsText) });

  const search = { beam: options.beam, batch: options.batch, maxLen: options.maxLen };
  const common = {
    model_sha256: (await hashFile(options.model)).sha256,
    input_sha256: sha256(joinLines(lines)),
    ref_sha256: sha256(joinLines(refs)),
    beam_size: search.beam,
    batch_size: search.batch,
    max_seq_len: search.maxLen,
  };
  // Rows of one sweep share the settings hash (model, data, search); a config's own inputs go into its job hash.
  const hash = settingsHash(common);
  ensureOutputDir(options.out);
  const previous = (await loadRows(options.out)).rows;
  const pending = new Set(dropFinished(jobs, previous, hash));
  const finished = new Map(previous.map((r) => [r.config, r]));
  const shardContext: SweepShardContext = {
    modelSha256: common.model_sha256, inputSha256: common.input_sha256, batchPlan: planBatches(lines, search.batch), jobs, command: options.command ?? [],
  };
  const rowsContext = { out: options.out, settingsHash: hash, lines };
  // The checkpoint is read only when something is translated (a merge of parts needs none).
  let ckpt: GnmtCheckpoint | undefined;
  const context = (stats: Stats | null, name: string): JobContext => ({
    ckpt: ckpt!, lines, refs, refName: options.ref, search, stats, settingsHash: hash, out: options.out,
    onProgress: (done, total) => emit({ kind: 'progress', config: name, done, total }),
    onWarning: (message) => emit({ kind: 'warning', message }),
  });

  if (options.shard) {
    const quantized = [...pending].some((j) => j.config !== null);
    if (quantized && statsText === null) {
      throw new QnmtError('sweep/shard-needs-stats', 'a sharded sweep needs --stats FILE for its quantized rows (shards cannot calibrate together): run the calibration shards and \'qnmt calibrate --merge\' first.');
    }
    const stats = quantized ? parseStats(statsText!, options.stats!) : null;
    const shard = options.shard;
    ckpt = await openCheckpoint(options.model);
    await runSweepShard([...pending], context(stats, ''), shardContext, shard, {
      onStart: (job, sentences) => emit({ kind: 'start', config: job.name, sentences, task: 'translate' }),
      onDone: (job, path, seconds) => emit({ kind: 'part', config: job.name, path, seconds }),
      onSkip: (job, reason) => emit({ kind: 'skip', config: job.name, reason }),
    });
    return jobs.filter((j) => !pending.has(j)).map((j) => finished.get(j.name)!);
  }

  // Rows whose shards are all done are merged from their parts; only the others are computed.
  const fromParts = new Map([...pending].map((j) => [j, jobOutputFromParts(j, rowsContext, shardContext)] as const));
  if ([...pending].some((j) => !fromParts.get(j))) ckpt = await openCheckpoint(options.model);
  const needsStats = [...pending].some((j) => j.config !== null && !fromParts.get(j));
  const stats = !needsStats ? null
    : statsText !== null ? parseStats(statsText, options.stats!) : await obtainStats(options, ckpt!, lines, common, search, emit);

  const rows: ResultRow[] = [];
  for (const job of jobs) {
    if (!pending.has(job)) {
      const row = finished.get(job.name)!;
      emit({ kind: 'skip', config: job.name, row, reason: 'already finished with the same settings' });
      rows.push(row);
      continue;
    }
    const merged = fromParts.get(job);
    if (merged) {
      const row = await saveJobRow(job, context(stats, job.name), merged);
      emit({ kind: 'merged', config: job.name, row });
      rows.push(row);
      continue;
    }
    emit({ kind: 'start', config: job.name, sentences: lines.length, task: 'translate' });
    const row = await runJob(job, context(stats, job.name));
    emit({ kind: 'done', config: job.name, row, seconds: row.seconds });
    rows.push(row);
  }
  return rows;
}

/**
 * Statistics collected on the evaluated input: DIR/stats.yaml from an earlier run with the same
 * model/input/search settings, or a calibration pass now (saved before it is used).
 */
async function obtainStats(
  options: SweepOptions,
  ckpt: GnmtCheckpoint,
  lines: readonly string[],
  common: Record<string, unknown>,
  search: { beam: number; batch: number; maxLen: number },
  emit: (e: SweepEvent) => void,
): Promise<Stats> {
  const statsPath = join(options.out, STATS_FILE);
  const metaPath = `${statsPath}.json`;
  const calibrationHash = settingsHash({ ...common, calibration: 'distiller-r-collector' });
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { settings_hash?: string };
    if (meta.settings_hash === calibrationHash) {
      const text = readFileSync(statsPath, 'utf8');
      emit({ kind: 'skip', config: 'calibration', reason: `statistics already collected (${statsPath})` });
      return parseStats(text, statsPath);
    }
  } catch {
    /* no earlier calibration: collect now */
  }
  emit({ kind: 'start', config: 'calibration', sentences: lines.length, task: 'calibrate' });
  const t0 = performance.now();
  const stats = await calibrate(fp32Model(ckpt), ckpt.vocab, lines, progressOptions('calibration', search, emit));
  const seconds = (performance.now() - t0) / 1000;
  const text = formatStats(stats);
  await writeFileAtomic(statsPath, text);
  await writeFileAtomic(metaPath, JSON.stringify({ settings_hash: calibrationHash, seconds, ...common }, null, 2) + '\n');
  emit({ kind: 'done', config: 'calibration', seconds });
  return stats;
}

/**
 * Distiller's calibration (quantization.md §1.3, §3): a full FP32 evaluation of `lines` with the
 * statistics collector on every leaf op.
 */
export async function calibrate(model: Gnmt, vocab: readonly string[], lines: readonly string[], options: TranslateOptions): Promise<Stats> {
  return collectStats(model, async () => {
    await translateLines(model, vocab, lines, options);
  });
}

function progressOptions(config: string, search: TranslateOptions, emit: (e: SweepEvent) => void): TranslateOptions {
  return {
    ...search,
    onProgress: (done, total) => emit({ kind: 'progress', config, done, total }),
    onWarning: (message) => emit({ kind: 'warning', message }),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
