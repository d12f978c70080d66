/**
 * What a statistics collector needs of one tensor of one call (quantization.md §3): the tensor viewed
 * as (size(0), rest), one quad [min, max, Σx, Σx²] per sample (row). A batched model computes the
 * quads of many of Distiller's calls at once and hands each call its samples without building the
 * call's tensor: a call's samples are a range of quads (`offset`) or an index into them (`index`,
 * e.g. keys replicated per decoder row).
 */
import type { Tensor } from './tensor.js';
import { numel } from './tensor.js';
import { kernels } from './backend.js';
import { QUAD } from './stats-kernels.js';

export class SampleStats {
  /** The shape of the tensor the call saw. */
  readonly shape: readonly number[];
  /** Quads, 4 per entry. */
  readonly quads: Float64Array;
  /** Sample i is quad entry index[i]; without index it is offset + i. */
  readonly index: Int32Array | null;
  readonly offset: number;

  constructor(shape: readonly number[], quads: Float64Array, index: Int32Array | null = null, offset = 0) {
    this.shape = shape;
    this.quads = quads;
    this.index = index;
    this.offset = offset;
    const need = index ? index.length : offset + this.samples;
    if (index ? index.length !== this.samples : quads.length < need * QUAD) {
      throw new RangeError(`SampleStats: ${this.samples} samples of shape [${shape.join(', ')}] do not fit the given quads.`);
    }
  }

  /** size(0), or 1 for a scalar. */
  get samples(): number {
    return sampleCount(this.shape);
  }

  get numel(): number {
    return numel(this.shape);
  }

  /** Offset into `quads` of sample i's quad. */
  at(i: number): number {
    return (this.index ? this.index[i]! : this.offset + i) * QUAD;
  }
}

export function sampleCount(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[0]!;
}

/** Quads of the `rows` equal rows of data (cols = data.length / rows). */
export function rowQuads(data: Float32Array, rows: number): Float64Array {
  const out = new Float64Array(rows * QUAD);
  if (rows > 0) kernels().rowStatsF32(data, rows, data.length / rows, out);
  return out;
}

/** The samples of a whole tensor. */
export function sampleStatsOf(t: Tensor): SampleStats {
  return new SampleStats(t.shape, rowQuads(t.data, sampleCount(t.shape)));
}
