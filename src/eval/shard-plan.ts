/**
 * Sharding plan: which batches of the unsharded run each of N shards computes.
 *
 * Distiller's statistics are per-call averages and a call is a batch, so shards are made of whole
 * batches exactly as the unsharded run cuts them (`--batch` consecutive lines in file order). Batches
 * (or, in a sweep, batch × configuration units) go to shards whole, balanced by an estimated cost:
 * rows × padded source length, since the encoder works on B×T and the decoder runs about as many
 * steps as the longest source for all B rows. Greedy longest-first onto the least-loaded shard,
 * ties by position: the plan is a pure function of the input, the batch size and N, so every shard
 * (on any machine) computes the same plan without talking to the others.
 */
import { batchRanges } from './dataset.js';

/** Shard `index` (0-based, as array task ids) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

export interface BatchPlan {
  /** [start, end) line ranges, file order. */
  ranges: Array<[number, number]>;
  /** Estimated relative cost of each batch. */
  costs: number[];
}

/** The unsharded run's batches of `lines` (source token counts known) and their estimated costs. */
export function planBatches(lines: readonly string[], batchSize: number): BatchPlan {
  const lengths = lines.map((l) => l.trim().split(/\s+/).filter((t) => t !== '').length + 2);
  const ranges = batchRanges(lines.length, batchSize);
  const costs = ranges.map(([s, e]) => (e - s) * Math.max(...lengths.slice(s, e)));
  return { ranges, costs };
}

/** Shard of each unit: longest first onto the least-loaded shard (ties: lower unit, lower shard). */
export function assignUnits(costs: readonly number[], count: number): number[] {
  const order = costs.map((_, i) => i).sort((a, b) => costs[b]! - costs[a]! || a - b);
  const load = new Array<number>(count).fill(0);
  const shardOf = new Array<number>(costs.length);
  for (const u of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[best]!) best = s;
    shardOf[u] = best;
    load[best]! += costs[u]!;
  }
  return shardOf;
}

/** The batch indices shard `shard` runs, in file order. */
export function shardBatches(plan: BatchPlan, shard: ShardSpec): number[] {
  const shardOf = assignUnits(plan.costs, shard.count);
  return plan.ranges.map((_, i) => i).filter((i) => shardOf[i] === shard.index);
}

export function describeShard(shard: ShardSpec): string {
  return `${shard.index}/${shard.count}`;
}
