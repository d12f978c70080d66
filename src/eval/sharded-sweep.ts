/**
 * A sweep split over shards: the work units are (row, batch) pairs of the unsharded plan, balanced
 * over N shards by estimated cost. Shard I translates its units of every row and writes one part per
 * row, DIR/parts/<row>.part-I-of-N.json, holding its batches' hypotheses (and, for the shard that owns
 * batch 0, the row's per-module errors). A later `sweep` without a shard on the same folder turns the
 * complete parts of a row into the row — the same hypotheses, BLEU and table as an unsharded run —
 * without translating anything.
 */
import { join } from 'node:path';
import { QnmtError } from '../errors.js';
import { ensureOutputDir } from '../io/safe-write.js';
import { rowFileName } from './results-store.js';
import { assignUnits, type BatchPlan, type ShardSpec } from './shard-plan.js';
import { checkComplete, findParts, partPath, readPart, removeStaleTemps, writePart, planHash, type PartFile, type PlanIdentity } from './shard-parts.js';
import { concatBatches, translationPayload, type TranslationPayload } from './sharded-translation.js';
import { translateJob, type JobContext, type JobOutput, type SweepJob } from './sweep-jobs.js';
import { settingsHash } from './results-store.js';

export const SWEEP_PART = 'sweep-row';
export const PARTS_DIR = 'parts';

/** A row's part: its batches' BPE-joined hypotheses plus what the row records besides them. */
export interface SweepPartPayload extends TranslationPayload {
  module_errors?: Record<string, number | null>;
  fp32_modules: string[] | null;
  backend: string;
  threads: number;
  host: string;
}

/** What every part of a sweep shares besides the job: model and input hashes, the rows' settings hash, the job list. */
export interface SweepShardContext {
  modelSha256: string;
  inputSha256: string;
  batchPlan: BatchPlan;
  /** Every job of the sweep (finished or not): the unit assignment depends on the whole list. */
  jobs: readonly SweepJob[];
  /** This process's command without --shard (named in errors as the way to make a part). */
  command: string[];
}

/** Shard of every (job, batch) unit: jobs × batches, each batch's cost for every job. */
export function assignSweepUnits(jobs: number, plan: BatchPlan, count: number): (job: number, batch: number) => number {
  const b = plan.ranges.length;
  const shardOf = assignUnits(Array.from({ length: jobs * b }, (_, u) => plan.costs[u % b]!), count);
  return (job, batch) => shardOf[job * b + batch]!;
}

/** Where a sweep's rows go and what they share (enough to find and check parts without a model). */
export type RowsContext = Pick<JobContext, 'out' | 'settingsHash' | 'lines'>;

export function jobPlan(job: SweepJob, ctx: RowsContext, s: SweepShardContext, shards: number): PlanIdentity {
  return {
    kind: SWEEP_PART,
    model_sha256: s.modelSha256,
    input_sha256: s.inputSha256,
    settings: {
      settings_hash: ctx.settingsHash,
      job: job.name,
      job_hash: job.hash,
      jobs: settingsHash(s.jobs.map((j) => [j.name, j.hash])),
    },
    shards,
    batches: s.batchPlan.ranges.length,
  };
}

/** Where a row's parts go: DIR/parts/<row>.part-I-of-N.json. */
export function jobPartBase(out: string, job: SweepJob): string {
  return join(out, PARTS_DIR, rowFileName(job.name).replace(/\.json$/, ''));
}

/**
 * Run shard `shard`'s units of `jobs` (the pending ones; `s.jobs` is the full list), one part per
 * row. A part already written by an earlier run of this shard with the same plan is kept.
 */
export async function runSweepShard(
  jobs: readonly SweepJob[],
  ctx: JobContext,
  s: SweepShardContext,
  shard: ShardSpec,
  events: {
    onStart?: (job: SweepJob, sentences: number) => void;
    onDone?: (job: SweepJob, path: string, seconds: number) => void;
    onSkip?: (job: SweepJob, reason: string) => void;
  } = {},
): Promise<string[]> {
  const shardOf = assignSweepUnits(s.jobs.length, s.batchPlan, shard.count);
  const written: string[] = [];
  ensureOutputDir(ctx.out);
  ensureOutputDir(join(ctx.out, PARTS_DIR));
  for (const job of jobs) {
    const j = s.jobs.indexOf(job);
    const batches = s.batchPlan.ranges.map((_, b) => b).filter((b) => shardOf(j, b) === shard.index);
    const base = jobPartBase(ctx.out, job);
    const path = partPath(base, shard);
    const plan = jobPlan(job, ctx, s, shard.count);
    removeStaleTemps(path);
    if (alreadyWritten(path, plan)) {
      events.onSkip?.(job, `part already written (${path})`);
      written.push(path);
      continue;
    }
    events.onStart?.(job, batches.reduce((n, b) => n + s.batchPlan.ranges[b]![1] - s.batchPlan.ranges[b]![0], 0));
    // An empty share still gets its (empty) part, so that a merge sees all N shards.
    const out = batches.length === 0 ? null : await translateJob(job, ctx, { batches, moduleErrors: batches[0] === 0 });
    const payload: SweepPartPayload = {
      ...translationPayload(out?.joined ?? [], ctx.search.batch, out ? batches : []),
      ...(out?.moduleErrors ? { module_errors: out.moduleErrors } : {}),
      fp32_modules: out?.fp32Modules ?? null,
      backend: out?.backend ?? '',
      threads: out?.threads ?? 0,
      host: out?.host ?? '',
    };
    await writePart(base, shard, { plan, batches, command: s.command, seconds: out?.seconds ?? 0, payload });
    events.onDone?.(job, path, out?.seconds ?? 0);
    written.push(path);
  }
  return written;
}

/**
 * The job's output assembled from its parts in DIR/parts, or undefined when it has none. Parts that
 * belong to another plan, or a missing shard, are errors naming the part and the command to run.
 */
export function jobOutputFromParts(job: SweepJob, ctx: RowsContext, s: SweepShardContext): JobOutput | undefined {
  const paths = findParts(jobPartBase(ctx.out, job));
  if (paths.length === 0) return undefined;
  const parts = paths.map((path) => ({ path, part: readPart<SweepPartPayload>(path, SWEEP_PART) }));
  const plan = jobPlan(job, ctx, s, parts[0]!.part.plan.shards);
  checkComplete(parts, { plan, what: `this sweep's row '${job.name}'`, command: s.command });
  const joined = concatBatches(parts);
  if (joined.length !== ctx.lines.length) {
    throw new QnmtError('shard/bad-part', `the parts of row '${job.name}' hold ${joined.length} lines, the input has ${ctx.lines.length}; rerun its shards.`);
  }
  const withBatch0 = parts.find((p) => p.part.batches[0] === 0)!.part;
  const computed = parts.filter((p) => p.part.batches.length > 0).map((p) => p.part.payload);
  return {
    joined,
    seconds: parts.reduce((t, p) => t + p.part.seconds, 0),
    ...(withBatch0.payload.module_errors ? { moduleErrors: withBatch0.payload.module_errors } : {}),
    fp32Modules: withBatch0.payload.fp32_modules,
    backend: [...new Set(computed.map((p) => p.backend))].join(','),
    threads: Math.max(...computed.map((p) => p.threads)),
    host: [...new Set(computed.map((p) => p.host))].join(','),
  };
}

function alreadyWritten(path: string, plan: PlanIdentity): boolean {
  try {
    return (readPart(path, SWEEP_PART) as PartFile<unknown>).plan_hash === planHash(plan);
  } catch {
    return false;
  }
}
