/**
 * `--shard I/N`, or the scheduler's own variables when the flag is absent:
 * - Slurm job arrays: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or with SLURM_ARRAY_TASK_MIN /
 *   SLURM_ARRAY_TASK_MAX (and SLURM_ARRAY_TASK_STEP); the index counts from the array's first id;
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX with QNMT_SHARDS (the Job's completions).
 * `--shard off` ignores the variables (a one-process step inside an array task).
 */
import type { Command } from 'commander';
import { QnmtError } from '../errors.js';
import type { ShardSpec } from '../eval/shard-plan.js';

export function addShardOption(command: Command): Command {
  return command.option(
    '--shard <I/N>',
    "compute only shard I of N (I from 0), writing OUT.part-I-of-N.json; default: from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX + QNMT_SHARDS; 'off' ignores them",
  );
}

export interface ResolvedShard {
  shard: ShardSpec;
  /** Where it came from, for the log line. */
  source: string;
}

export function resolveShard(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedShard | undefined {
  if (flag === 'off') return undefined;
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!m) throw new QnmtError('cli/bad-flag', `--shard expects I/N with I counting from 0 (e.g. --shard 0/3), found ${JSON.stringify(flag)}.`);
    return { shard: checked(Number(m[1]), Number(m[2]), `--shard ${flag}`), source: '--shard' };
  }
  const slurmId = env['SLURM_ARRAY_TASK_ID'];
  if (slurmId !== undefined && slurmId !== '') {
    const id = envInt(env, 'SLURM_ARRAY_TASK_ID')!;
    const min = envInt(env, 'SLURM_ARRAY_TASK_MIN');
    const max = envInt(env, 'SLURM_ARRAY_TASK_MAX');
    const step = envInt(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    let count = envInt(env, 'SLURM_ARRAY_TASK_COUNT');
    if (count === undefined && min !== undefined && max !== undefined) count = Math.floor((max - min) / step) + 1;
    if (count === undefined) {
      throw new QnmtError('shard/env', 'SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN/MAX is; submit with sbatch --array, or pass --shard I/N.');
    }
    const offset = id - (min ?? 0);
    if (offset % step !== 0) throw new QnmtError('shard/env', `SLURM_ARRAY_TASK_ID=${id} is not on the array's step ${step}; pass --shard I/N.`);
    const vars = `SLURM_ARRAY_TASK_ID=${id}${min !== undefined ? ` SLURM_ARRAY_TASK_MIN=${min}` : ''} (count ${count})`;
    return { shard: checked(offset / step, count, vars), source: vars };
  }
  const k8sIndex = env['JOB_COMPLETION_INDEX'];
  if (k8sIndex !== undefined && k8sIndex !== '') {
    const index = envInt(env, 'JOB_COMPLETION_INDEX')!;
    const count = envInt(env, 'QNMT_SHARDS');
    if (count === undefined) {
      throw new QnmtError('shard/env', "JOB_COMPLETION_INDEX is set but QNMT_SHARDS is not; set QNMT_SHARDS to the Job's completions (the shard count), or pass --shard I/N.");
    }
    const vars = `JOB_COMPLETION_INDEX=${index} QNMT_SHARDS=${count}`;
    return { shard: checked(index, count, vars), source: vars };
  }
  return undefined;
}

/** This process's arguments without the --shard flag (parts record it to name the command of a missing shard). */
export function commandWithoutShard(argv: readonly string[] = process.argv.slice(2)): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--shard') i++;
    else if (!a.startsWith('--shard=')) out.push(a);
  }
  return out;
}

function checked(index: number, count: number, what: string): ShardSpec {
  if (!(Number.isInteger(count) && count >= 1)) throw new QnmtError('shard/bad-spec', `${what}: the shard count must be a positive integer.`);
  if (!(Number.isInteger(index) && index >= 0 && index < count)) {
    throw new QnmtError('shard/bad-spec', `${what}: the shard index must be 0…${count - 1} (it counts from 0, like array task ids).`);
  }
  return { index, count };
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v.trim())) throw new QnmtError('shard/env', `${name}=${JSON.stringify(v)} is not a non-negative integer.`);
  return Number(v);
}
