import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignUnits, planBatches, shardBatches } from '../../src/eval/shard-plan.js';
import { resolveShard, commandWithoutShard } from '../../src/cli/shard-option.js';
import { QnmtError } from '../../src/errors.js';

test('shard plan: whole batches of the unsharded run, every batch in exactly one shard, balanced by rows × longest source', () => {
  const lines = Array.from({ length: 70 }, (_, i) => Array.from({ length: 1 + (i % 7) * 3 }, () => 'w').join(' '));
  const plan = planBatches(lines, 16);
  assert.deepEqual(plan.ranges, [[0, 16], [16, 32], [32, 48], [48, 64], [64, 70]]);
  assert.equal(plan.costs[4], 6 * (1 + 6 * 3 + 2));
  const shards = [0, 1, 2].map((index) => shardBatches(plan, { index, count: 3 }));
  assert.deepEqual(shards.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4]);
  for (const s of shards) assert.deepEqual(s, [...s].sort((a, b) => a - b), 'file order inside a shard');
  // Longest first onto the least-loaded shard: loads within one batch's cost of each other.
  const shardOf = assignUnits([5, 5, 5, 5, 1], 3);
  assert.deepEqual(shardOf, [0, 1, 2, 0, 1]);
  // More shards than batches: the extra shards get nothing (they still write an empty part).
  assert.deepEqual(shardBatches(planBatches(lines.slice(0, 10), 16), { index: 1, count: 2 }), []);
});

test('--shard I/N, Slurm array and Indexed Job variables', () => {
  assert.deepEqual(resolveShard('2/3', {})?.shard, { index: 2, count: 3 });
  assert.equal(resolveShard(undefined, {}), undefined);
  assert.equal(resolveShard('off', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' }), undefined);
  // The flag wins over the environment.
  assert.deepEqual(resolveShard('0/2', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' })?.shard, { index: 0, count: 2 });
  assert.deepEqual(resolveShard(undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' })?.shard, { index: 1, count: 3 });
  // sbatch --array=1-3 sets MIN/MAX: the index counts from the first id.
  assert.deepEqual(resolveShard(undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3' })?.shard, { index: 2, count: 3 });
  assert.deepEqual(resolveShard(undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '4', SLURM_ARRAY_TASK_STEP: '2' })?.shard, { index: 2, count: 3 });
  assert.deepEqual(resolveShard(undefined, { JOB_COMPLETION_INDEX: '0', QNMT_SHARDS: '4' })?.shard, { index: 0, count: 4 });
  const fails = (flag: string | undefined, env: NodeJS.ProcessEnv, re: RegExp): void => {
    assert.throws(() => resolveShard(flag, env), (e: unknown) => e instanceof QnmtError && re.test(e.message));
  };
  fails('3/3', {}, /index must be 0…2 .*counts from 0/);
  fails('1-3', {}, /expects I\/N/);
  fails(undefined, { JOB_COMPLETION_INDEX: '1' }, /QNMT_SHARDS/);
  fails(undefined, { SLURM_ARRAY_TASK_ID: '3' }, /SLURM_ARRAY_TASK_COUNT/);
  fails(undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3' }, /index must be 0…2/);
  assert.deepEqual(commandWithoutShard(['calibrate', '-m', 'm.pth', '--shard', '1/3', '--shard=2/3', '-o', 'x']), ['calibrate', '-m', 'm.pth', '-o', 'x']);
});
