/**
 * A sweep as data: `planJobs` turns named configurations (values, not files) into jobs, each with the
 * hash of everything it depends on through its configuration; `runJob` runs one job
 * (build → translate → score → row) and saves its row and hypotheses at once. A sweep, a sensitivity
 * scan or a tuner is then: plan → drop the jobs whose row is already finished → run the rest.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { GnmtCheckpoint } from '../io/checkpoint.js';
import { formatQuantConfig, overrideFileSettings, type QuantConfig } from '../quant/config.js';
import type { Stats } from '../quant/stats.js';
import { measureModuleErrors } from '../quant/module-error.js';
import { activeBackend } from '../tensor/backend.js';
import { joinLines } from '../text/text-lines.js';
import { QnmtError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { ensureOutputDir } from '../io/safe-write.js';
import { packLineStats, settingsHash, writeRow, type ResultRow } from './results-store.js';
import { scoreJoined } from './score.js';
import { translateLines, type TranslateOptions } from './translate.js';
import { fp32Model, quantizedModel } from './models.js';

/** Name of the FP32 row. */
export const FP32_CONFIG = 'fp32';
/** Sentences on which each quantized row also measures its per-module error. */
export const MODULE_ERROR_LINES = 16;

/** A configuration to evaluate, by value, with the name its row gets. */
export interface NamedConfig {
  readonly name: string;
  readonly config: QuantConfig;
}

/** The table columns of a row that come from its configuration. */
export type RowDescription = Pick<ResultRow, 'precision' | 'mode' | 'per_channel' | 'clip_acts' | 'overrides'>;

export interface SweepJob {
  /** Row name, unique within a plan. */
  readonly name: string;
  /** The quantization config, or null for the FP32 row. */
  readonly config: QuantConfig | null;
  /** The row's configuration columns. */
  readonly describe: RowDescription;
  /** Hash of what the row depends on through its configuration (the config's YAML, the statistics' identity): the row's `config_hash`. */
  readonly hash: string;
  /** Position in the plan (tables sort rows by it): the row's `order`. */
  readonly order: number;
}

export interface PlanOptions {
  /** Include the FP32 job first (default true). */
  fp32?: boolean;
  /**
   * What identifies the statistics the quantized jobs will use: e.g. the SHA-256 of a given stats
   * file, or 'calibrated' when they are collected on the evaluated input (which `settings_hash` covers).
   */
  statsId: string;
}

/** The jobs of a sweep, in order: FP32 (unless left out), then each configuration. Names must be unique. */
export function planJobs(configs: readonly NamedConfig[], options: PlanOptions): SweepJob[] {
  const names = configs.map((c) => c.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i || n === FP32_CONFIG);
  if (duplicate !== undefined) {
    throw new QnmtError('sweep/duplicate-config', `two configurations are named '${duplicate}' (the file name without .yaml must be unique and not '${FP32_CONFIG}').`);
  }
  const jobs: SweepJob[] = [];
  if (options.fp32 !== false) {
    jobs.push({
      name: FP32_CONFIG, config: null, order: 0, hash: settingsHash({ config: FP32_CONFIG }),
      describe: { precision: 'FP32', mode: null, per_channel: null, clip_acts: null, overrides: null },
    });
  }
  for (const [i, c] of configs.entries()) jobs.push(quantizedJob(c, i + 1, options.statsId));
  return jobs;
}

/** The job of one quantization config. */
export function quantizedJob(c: NamedConfig, order: number, statsId: string): SweepJob {
  return { name: c.name, config: c.config, order, hash: configHash(c.config, statsId), describe: describeConfig(c.config) };
}

/** A config's part of a row's identity: its YAML (name and source file aside) and the statistics it uses. */
export function configHash(config: QuantConfig, statsId: string): string {
  return settingsHash({ config_yaml: formatQuantConfig({ ...config, name: 'q', file: null }), stats: statsId });
}

/** The jobs that have no finished row with the same settings and config hash. */
export function dropFinished(jobs: readonly SweepJob[], finished: readonly ResultRow[], settingsHashValue: string): SweepJob[] {
  const done = new Set(finished.filter((r) => r.settings_hash === settingsHashValue).map((r) => `${r.config}\0${r.config_hash}`));
  return jobs.filter((j) => !done.has(`${j.name}\0${j.hash}`));
}

/** Everything a job needs besides its configuration. */
export interface JobContext {
  readonly ckpt: GnmtCheckpoint;
  /** BPE'd source lines and their raw references (line-aligned). */
  readonly lines: readonly string[];
  readonly refs: readonly string[];
  /** The reference's name for messages. */
  readonly refName: string;
  readonly search: { beam: number; batch: number; maxLen: number };
  /** Activation statistics for quantized jobs (unused by the FP32 job). */
  readonly stats: Stats | null;
  /** The settings hash every row of this plan shares (model, data, search). */
  readonly settingsHash: string;
  /** Results folder: the row goes to DIR/rows/<name>.json, the hypotheses to DIR/hyp/<name>.detok.de. */
  readonly out: string;
  /** Sentences for the per-module error of quantized rows (default MODULE_ERROR_LINES; 0 skips it). */
  readonly moduleErrorLines?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly onWarning?: (message: string) => void;
}

/** Build the job's model, translate, score, and save the row (and hypotheses) atomically; returns the row. */
export async function runJob(job: SweepJob, ctx: JobContext): Promise<ResultRow> {
  return saveJobRow(job, ctx, await translateJob(job, ctx));
}

/** What translating a job (or a shard's batches of it) gives, before scoring. */
export interface JobOutput {
  /** BPE-joined hypotheses, input order ('' for lines of batches not run). */
  joined: string[];
  /** Translation wall time, seconds (for merged shards: the sum over the shards). */
  seconds: number;
  moduleErrors?: Record<string, number | null>;
  fp32Modules: string[] | null;
  backend: string;
  threads: number;
  host: string;
}

/**
 * Build the job's model and translate `batches` of the input (default all); the per-module error of a
 * quantized job is measured unless `moduleErrors` is false (a shard measures it only once per job).
 */
export async function translateJob(
  job: SweepJob,
  ctx: JobContext,
  options: { batches?: readonly number[]; moduleErrors?: boolean } = {},
): Promise<JobOutput> {
  const { model, prepared } = job.config ? buildQuantized(job, ctx) : { model: fp32Model(ctx.ckpt), prepared: null };
  const t0 = performance.now();
  const result = await translateLines(model, ctx.ckpt.vocab, ctx.lines, { ...translateOptions(ctx), ...(options.batches && { batches: options.batches }) });
  const seconds = (performance.now() - t0) / 1000;
  // Outside the timed part: each quantized module's own error on a few sentences (for the report).
  const errorLines = ctx.moduleErrorLines ?? MODULE_ERROR_LINES;
  const moduleErrors = prepared && errorLines > 0 && options.moduleErrors !== false
    ? await measureModuleErrors(prepared.modules, async () => {
        await translateLines(model, ctx.ckpt.vocab, ctx.lines.slice(0, errorLines), ctx.search);
      })
    : undefined;
  const backend = activeBackend();
  return {
    joined: result.joined,
    seconds,
    ...(moduleErrors ? { moduleErrors } : {}),
    fp32Modules: prepared ? prepared.fp32Modules : null,
    backend: backend.name,
    threads: backend.threads,
    host: hostname(),
  };
}

/** Score a job's hypotheses, write them and the row atomically; returns the row. */
export async function saveJobRow(job: SweepJob, ctx: JobContext, out: JobOutput): Promise<ResultRow> {
  const scored = scoreJoined(out.joined, ctx.refs, ctx.refName);
  ensureOutputDir(ctx.out);
  ensureOutputDir(join(ctx.out, 'hyp'));
  const hypPath = join(ctx.out, 'hyp', `${job.name}.detok.de`);
  await writeFileAtomic(hypPath, joinLines(scored.detok));
  const b = scored.bleu;
  const row: ResultRow = {
    config: job.name,
    ...job.describe,
    bleu: b.score,
    bleu_line: b.formatted,
    seconds: out.seconds,
    hyp_path: hypPath,
    finished_at: new Date().toISOString(),
    settings_hash: ctx.settingsHash,
    config_hash: job.hash,
    order: job.order,
    ...(out.moduleErrors ? { module_errors: out.moduleErrors } : {}),
    fp32_modules: out.fp32Modules,
    backend: out.backend,
    threads: out.threads,
    host: out.host,
    bleu_stats: { counts: b.counts, totals: b.totals, sys_len: b.sysLen, ref_len: b.refLen },
    line_stats: packLineStats(scored.lineStats),
  };
  await writeRow(ctx.out, row);
  return row;
}

function buildQuantized(job: SweepJob, ctx: JobContext): ReturnType<typeof quantizedModel> {
  if (!ctx.stats) throw new TypeError(`runJob: job '${job.name}' is quantized but the context has no statistics.`);
  const built = quantizedModel(ctx.ckpt, job.config!, ctx.stats);
  for (const w of built.prepared.warnings) ctx.onWarning?.(`${job.config!.file ?? job.name}: ${w}`);
  return built;
}

function translateOptions(ctx: JobContext): TranslateOptions {
  return {
    ...ctx.search,
    ...(ctx.onProgress && { onProgress: ctx.onProgress }),
    ...(ctx.onWarning && { onWarning: ctx.onWarning }),
  };
}

/** The table columns of a quantization config (overrides back in their file form). */
export function describeConfig(config: QuantConfig): RowDescription {
  return {
    precision: `INT${config.bitsActivations}`,
    mode: config.mode,
    per_channel: config.perChannelWts,
    clip_acts: config.clipActs,
    overrides: config.overrides.length > 0 ? Object.fromEntries(config.overrides.map((o) => [o.pattern, overrideFileSettings(o)])) : null,
  };
}
