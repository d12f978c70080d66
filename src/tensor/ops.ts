/**
 * Float32 tensor operations used by the model's leaf ops (element-wise, broadcasting, softmax,
 * concatenation, small contractions). Large matrix products go through the kernel seam instead
 * (`kernels().gemmF32`), see src/model/ops.ts.
 */
import { Tensor, numel } from './tensor.js';

/** NumPy/PyTorch broadcasting of two shapes; throws a RangeError naming both shapes when incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`cannot broadcast shapes [${a.join(', ')}] and [${b.join(', ')}]`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row-major strides of `shape` aligned to `outShape`, with 0 for broadcast dimensions. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = outShape.length - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Visit every element of the broadcast of shapes `a` and `b` to `shape` (from broadcastShape), in
 * row-major order, with the flat offsets of the elements it reads in each input. The general case of
 * every broadcasting element-wise op (float and integer paths share it); callers handle equal shapes
 * and suffix broadcasts with plain loops first.
 */
export function forEachBroadcast(
  a: readonly number[],
  b: readonly number[],
  shape: readonly number[],
  visit: (i: number, ia: number, ib: number) => void,
): void {
  const sa = broadcastStrides(a, shape);
  const sb = broadcastStrides(b, shape);
  const idx = new Array<number>(shape.length).fill(0);
  const n = numel(shape);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    visit(i, ia, ib);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < shape[d]!) break;
      ia -= sa[d]! * shape[d]!;
      ib -= sb[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * out[i] = fn(a[ia], b[ib]) with broadcasting. Fast paths for equal shapes and for `b` broadcast
 * along leading dimensions only (a bias vector); a general strided walk otherwise.
 */
export function binaryOp(a: Tensor, b: Tensor, fn: (x: number, y: number) => number): Tensor {
  const shape = broadcastShape(a.shape, b.shape);
  const out = new Float32Array(numel(shape));
  const ad = a.data;
  const bd = b.data;
  if (ad.length === out.length && bd.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = fn(ad[i]!, bd[i]!);
    return new Tensor(out, shape);
  }
  if (ad.length === out.length && out.length % bd.length === 0 && isSuffixBroadcast(b.shape, shape)) {
    const m = bd.length;
    for (let i = 0; i < out.length; i++) out[i] = fn(ad[i]!, bd[i % m]!);
    return new Tensor(out, shape);
  }
  forEachBroadcast(a.shape, b.shape, shape, (i, ia, ib) => {
    out[i] = fn(ad[ia]!, bd[ib]!);
  });
  return new Tensor(out, shape);
}

/** True if `shape` equals the trailing dimensions of `outShape` after dropping leading 1s. */
function isSuffixBroadcast(shape: readonly number[], outShape: readonly number[]): boolean {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  const rest = shape.slice(i);
  const tail = outShape.slice(outShape.length - rest.length);
  return rest.every((d, j) => d === tail[j]);
}

export const add = (a: Tensor, b: Tensor): Tensor => addOrMul(a, b, true) ?? binaryOp(a, b, (x, y) => x + y);
export const mul = (a: Tensor, b: Tensor): Tensor => addOrMul(a, b, false) ?? binaryOp(a, b, (x, y) => x * y);

/**
 * binaryOp's two fast paths with the operator written out: a callback shared by several operators is
 * a polymorphic call per element that V8 does not inline. Same arithmetic, so the same results.
 * Returns undefined for the general strided case.
 */
function addOrMul(a: Tensor, b: Tensor, isAdd: boolean): Tensor | undefined {
  const ad = a.data;
  const bd = b.data;
  const n = ad.length;
  let m: number;
  let shape: readonly number[];
  if (bd.length === n && sameShape(a.shape, b.shape)) {
    m = n;
    shape = a.shape;
  } else if (bd.length > 0 && n % bd.length === 0 && a.shape.length >= b.shape.length && isSuffixBroadcast(b.shape, a.shape)) {
    m = bd.length;
    shape = a.shape;
  } else {
    return undefined;
  }
  const out = new Float32Array(n);
  for (let base = 0; base < n; base += m) {
    if (isAdd) for (let j = 0; j < m; j++) out[base + j] = ad[base + j]! + bd[j]!;
    else for (let j = 0; j < m; j++) out[base + j] = ad[base + j]! * bd[j]!;
  }
  return new Tensor(out, [...shape]);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function map(a: Tensor, fn: (x: number) => number): Tensor {
  const out = new Float32Array(a.data.length);
  const d = a.data;
  for (let i = 0; i < d.length; i++) out[i] = fn(d[i]!);
  return new Tensor(out, a.shape);
}

/**
 * `map` that computes fn once per distinct float32 bit pattern (a direct-mapped cache of 4096 slots):
 * the same function on the same input gives the same output, so results equal `map`'s exactly.
 * Pays off when values repeat, as in the quantized model, where activation inputs are dequantized
 * outputs (at most 256 distinct values per tensor); after a 4096-element probe with mostly misses
 * (FP32 data) the rest of the tensor goes through the plain loop.
 */
export function mapMemo(a: Tensor, fn: (x: number) => number): Tensor {
  const d = a.data;
  const n = d.length;
  if (n < 1024) return map(a, fn);
  const out = new Float32Array(n);
  const bits = new Int32Array(d.buffer, d.byteOffset, n);
  const keys = new Int32Array(4096);
  const vals = new Float32Array(4096);
  const filled = new Uint8Array(4096);
  const probe = 4096;
  let misses = 0;
  let i = 0;
  for (; i < n; i++) {
    if (i === probe && misses > probe / 4) break;
    const b = bits[i]!;
    const h = (b ^ (b >>> 12) ^ (b >>> 20)) & 4095;
    if (filled[h] === 1 && keys[h] === b) {
      out[i] = vals[h]!;
      continue;
    }
    misses++;
    const v = fn(d[i]!);
    out[i] = v;
    keys[h] = b;
    vals[h] = v;
    filled[h] = 1;
  }
  for (; i < n; i++) out[i] = fn(d[i]!);
  return new Tensor(out, a.shape);
}

export const sigmoid = (a: Tensor): Tensor => mapMemo(a, (x) => 1 / (1 + Math.exp(-x)));
export const tanh = (a: Tensor): Tensor => mapMemo(a, Math.tanh);

/** Softmax over the last dimension (max-subtracted, as PyTorch does). */
export function softmaxLastDim(a: Tensor): Tensor {
  const n = a.lastDim;
  const out = new Float32Array(a.data.length);
  const d = a.data;
  for (let r = 0; r < d.length; r += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, d[r + j]!);
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(d[r + j]! - max);
      out[r + j] = e;
      sum += e;
    }
    for (let j = 0; j < n; j++) out[r + j] = out[r + j]! / sum;
  }
  return new Tensor(out, a.shape);
}

/** Concatenate along `dim` (negative counts from the end); all other dimensions must agree. */
export function concat(tensors: readonly Tensor[], dim: number): Tensor {
  const first = tensors[0];
  if (!first) throw new RangeError('concat: no tensors given');
  const rank = first.shape.length;
  const axis = dim < 0 ? rank + dim : dim;
  for (const t of tensors) {
    if (t.shape.length !== rank || t.shape.some((s, i) => i !== axis && s !== first.shape[i])) {
      throw new RangeError(`concat: shapes [${first.shape.join(', ')}] and [${t.shape.join(', ')}] differ outside dim ${dim}`);
    }
  }
  const outer = numel(first.shape.slice(0, axis));
  const inner = numel(first.shape.slice(axis + 1));
  const widths = tensors.map((t) => t.shape[axis]! * inner);
  const total = widths.reduce((s, w) => s + w, 0);
  const out = new Float32Array(outer * total);
  for (let o = 0; o < outer; o++) {
    let off = o * total;
    tensors.forEach((t, i) => {
      const w = widths[i]!;
      out.set(t.data.subarray(o * w, o * w + w), off);
      off += w;
    });
  }
  const shape = [...first.shape];
  shape[axis] = total / inner;
  return new Tensor(out, shape);
}

/** Split the last dimension into `chunks` equal contiguous parts (torch.chunk(x, n, dim=-1)). */
export function chunkLastDim(a: Tensor, chunks: number): Tensor[] {
  const n = a.lastDim;
  const w = n / chunks;
  const rows = a.rows;
  const shape = [...a.shape.slice(0, -1), w];
  const parts: Tensor[] = [];
  for (let c = 0; c < chunks; c++) {
    const out = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) out.set(a.data.subarray(r * n + c * w, r * n + c * w + w), r * w);
    parts.push(new Tensor(out, shape));
  }
  return parts;
}

/** x (..., K) · v (K) → (...): contraction over the last axis (torch.matmul with a 1-D right operand). */
export function matvecLastDim(x: Tensor, v: Tensor): Tensor {
  const k = v.numel;
  if (x.lastDim !== k || v.shape.length !== 1) {
    throw new RangeError(`matmul: shapes [${x.shape.join(', ')}] and [${v.shape.join(', ')}] are not (…, K)·(K)`);
  }
  const rows = x.rows;
  const out = new Float32Array(rows);
  const xd = x.data;
  const vd = v.data;
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    const off = r * k;
    for (let j = 0; j < k; j++) acc += xd[off + j]! * vd[j]!;
    out[r] = acc;
  }
  return new Tensor(out, x.shape.slice(0, -1));
}

/** Batched matrix product (B, M, K) · (B, K, N) → (B, M, N) (torch.bmm). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const [B, M, K] = a.shape as [number, number, number];
  const [B2, K2, N] = b.shape as [number, number, number];
  if (a.shape.length !== 3 || b.shape.length !== 3 || B !== B2 || K !== K2) {
    throw new RangeError(`bmm: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] are not (B, M, K)·(B, K, N)`);
  }
  const out = new Float32Array(B * M * N);
  const ad = a.data;
  const bd = b.data;
  for (let bi = 0; bi < B; bi++) {
    for (let i = 0; i < M; i++) {
      const o = (bi * M + i) * N;
      for (let p = 0; p < K; p++) {
        const av = ad[(bi * M + i) * K + p]!;
        if (av === 0) continue;
        const boff = (bi * K + p) * N;
        for (let j = 0; j < N; j++) out[o + j] += av * bd[boff + j]!;
      }
    }
  }
  return new Tensor(out, [B, M, N]);
}
