/**
 * Tensor geometry checks, done before anything is allocated: every shape, stride, offset and element
 * count is a non-negative safe integer, and every view stays inside its storage. Used by the torch
 * readers (at unpickling time and again in the library functions that copy data out); any other
 * container reader (a safetensors header, say) can use the same checks.
 */
import { QnmtError } from '../errors.js';

export interface TensorGeometry {
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  /** Element offset into the storage. */
  readonly offset: number;
}

function badGeometry(where: string, what: string): QnmtError {
  return new QnmtError('checkpoint/bad-geometry', `${where}: ${what}; the file is corrupt or was not written by torch.save.`);
}

function show(v: unknown): string {
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
}

/** `v` as a non-negative safe integer, or a QnmtError naming `what`. */
export function checkCount(v: unknown, what: string, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badGeometry(where, `${what} is ${show(v)}, expected a non-negative integer`);
  return v;
}

/** Element count of a storage of `bytesPerElement`-byte elements: a non-negative integer whose byte size is a safe integer. */
export function checkStorageNumel(numel: unknown, bytesPerElement: number, where: string): number {
  const n = checkCount(numel, 'the storage element count', where);
  if (!Number.isSafeInteger(n * bytesPerElement)) throw badGeometry(where, `the storage of ${n} elements is larger than any file`);
  return n;
}

/** Π shape, checked to stay a safe integer. */
export function elementCount(shape: readonly number[], where: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) throw badGeometry(where, `the shape [${shape.join(', ')}] has more elements than any file holds`);
  }
  return n;
}

/**
 * Check a strided view of a storage with `storageNumel` elements; returns its element count. The view
 * must stay inside the storage and may not have more elements than the storage (a broadcast view with
 * stride 0 would otherwise make a small file expand into an arbitrarily large copy).
 */
export function checkTensorGeometry(g: TensorGeometry, storageNumel: number, where: string): number {
  if (!Array.isArray(g.shape) || !Array.isArray(g.stride)) throw badGeometry(where, 'shape and stride must be sequences of integers');
  if (g.shape.length !== g.stride.length) throw badGeometry(where, `shape [${g.shape.join(', ')}] and stride [${g.stride.join(', ')}] have different lengths`);
  g.shape.forEach((d, i) => checkCount(d, `size of dimension ${i}`, where));
  g.stride.forEach((s, i) => checkCount(s, `stride of dimension ${i}`, where));
  const offset = checkCount(g.offset, 'the storage offset', where);
  const numel = elementCount(g.shape, where);
  if (numel === 0) {
    if (offset > storageNumel) throw badGeometry(where, `the storage offset ${offset} lies beyond the storage of ${storageNumel} elements`);
    return 0;
  }
  // Highest element touched, exactly (BigInt: shape × stride may pass 2^53 in a hostile file).
  let last = BigInt(offset);
  for (let i = 0; i < g.shape.length; i++) last += BigInt(g.shape[i]! - 1) * BigInt(g.stride[i]!);
  if (last >= BigInt(storageNumel)) {
    throw badGeometry(where, `the view (shape [${g.shape.join(', ')}], stride [${g.stride.join(', ')}], offset ${offset}) reaches element ${last} of a storage with ${storageNumel} elements`);
  }
  if (numel > storageNumel) {
    throw badGeometry(where, `the view has ${numel} elements but its storage only ${storageNumel} (a broadcast view, which qnmt does not expand)`);
  }
  return numel;
}
