/**
 * Reporting Distiller's calls from batched computations (module.ts `recordCall`): the batched model
 * computes many rows at once; each of Distiller's calls is a subset of those rows, so its per-sample
 * reductions are picked from the quads of all rows (tensor/sample-stats.ts) instead of recomputed.
 */
import { SampleStats } from '../tensor/sample-stats.js';
import { QUAD } from '../tensor/stats-kernels.js';
import type { Op } from './module.js';

/** Per-row quads of a batched (rows, …rest) result, and the shape `rest` of one row. */
export interface RowsStats {
  readonly quads: Float64Array;
  readonly rest: readonly number[];
}

/**
 * Report the calls of `op` over `n` batched rows: one call of all rows, or (`perRow`) one call per
 * row with shape (1, …rest), in row order (Distiller's encoder layer 0 runs one token of one sentence
 * per call).
 */
export function recordRows(op: Op, n: number, inputs: readonly RowsStats[], output: RowsStats, perRow: boolean): void {
  if (!op.recorded || n === 0) return;
  if (!perRow) {
    op.recordCall(
      inputs.map((x) => new SampleStats([n, ...x.rest], x.quads)),
      new SampleStats([n, ...output.rest], output.quads),
    );
    return;
  }
  for (let r = 0; r < n; r++) {
    op.recordCall(
      inputs.map((x) => new SampleStats([1, ...x.rest], x.quads, null, r)),
      new SampleStats([1, ...output.rest], output.quads, null, r),
    );
  }
}

/** Report one call of `op` whose samples are rows `index` of batched results. */
export function recordIndexed(op: Op, index: Int32Array, inputs: readonly RowsStats[], output: RowsStats): void {
  if (!op.recorded || index.length === 0) return;
  const n = index.length;
  op.recordCall(
    inputs.map((x) => new SampleStats([n, ...x.rest], x.quads, index)),
    new SampleStats([n, ...output.rest], output.quads, index),
  );
}

/** Entry k of every row of interleaved quads (rows, count, 4) → (rows, 4). */
export function quadColumn(quads: Float64Array, count: number, k: number): Float64Array {
  const rows = quads.length / (count * QUAD);
  const out = new Float64Array(rows * QUAD);
  for (let r = 0; r < rows; r++) out.set(quads.subarray((r * count + k) * QUAD, (r * count + k + 1) * QUAD), r * QUAD);
  return out;
}

/** Quads of rows made by concatenating the rows of the parts (same row count): min/max/sums combine. */
export function concatQuads(parts: readonly Float64Array[]): Float64Array {
  const out = Float64Array.from(parts[0]!);
  for (let p = 1; p < parts.length; p++) {
    const q = parts[p]!;
    for (let o = 0; o < out.length; o += QUAD) {
      if (q[o]! < out[o]!) out[o] = q[o]!;
      if (q[o + 1]! > out[o + 1]!) out[o + 1] = q[o + 1]!;
      out[o + 2] = out[o + 2]! + q[o + 2]!;
      out[o + 3] = out[o + 3]! + q[o + 3]!;
    }
  }
  return out;
}
