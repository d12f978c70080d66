/**
 * Torch tensors as the unpickler sees them: a storage (raw typed bytes, shared between tensors) plus
 * offset / size / stride. Converting to the project's float32 Tensor happens in `toFloat32Tensor`.
 */
import { Tensor } from '../tensor/tensor.js';
import { checkTensorGeometry } from './tensor-geometry.js';

export type TorchDtype =
  | 'float32' | 'float16' | 'bfloat16' | 'float64'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const dtypeBytes: Readonly<Record<TorchDtype, number>> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export function isFloatDtype(d: TorchDtype): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}

/** The value a storage class global (torch.FloatStorage, torch.cuda.HalfStorage, …) unpickles to. */
export interface TorchStorageType {
  readonly kind: 'torch-storage-type';
  readonly module: string;
  readonly name: string;
  readonly dtype: TorchDtype;
}

export type StorageData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/**
 * One root storage of the file. `data` is filled in by the container reader (`TorchFile.loadStorages`):
 * float storages of any width hold float32 after loading (converted once); integer ones keep their type.
 */
export interface TorchStorage {
  readonly kind: 'torch-storage';
  readonly key: string;
  readonly dtype: TorchDtype;
  readonly location: string;
  /** Element count declared in the pickle. */
  readonly numel: number;
  data?: StorageData;
}

/** A legacy-format storage view (view_metadata in the persistent id): a window into a root storage. */
export interface TorchStorageView {
  readonly kind: 'torch-storage-view';
  readonly root: TorchStorage;
  readonly offset: number;
  readonly numel: number;
}

export interface TorchTensor {
  readonly kind: 'torch-tensor';
  readonly storage: TorchStorage;
  /** Element offset into the root storage. */
  readonly storageOffset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly requiresGrad: boolean;
}

export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'torch-tensor';
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Row-major contiguous (dims of size 1 may have any stride, as in PyTorch). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** Element count of `t` after checking that it stays inside its loaded storage (library callers may build tensors by hand). */
function checkedNumel(t: TorchTensor, data: StorageData): number {
  return checkTensorGeometry({ shape: t.shape, stride: t.stride, offset: t.storageOffset }, data.length, `tensor on storage ${t.storage.key}`);
}

/**
 * A float32 Tensor for a loaded float storage: a view (no copy) when the tensor is contiguous, else a
 * contiguous copy that follows the strides.
 */
export function toFloat32Tensor(t: TorchTensor): Tensor {
  const data = t.storage.data;
  if (!(data instanceof Float32Array)) {
    throw new TypeError(`toFloat32Tensor: storage ${t.storage.key} (${t.storage.dtype}) is not loaded as float32`);
  }
  const n = checkedNumel(t, data);
  if (isContiguous(t.shape, t.stride)) {
    return new Tensor(data.subarray(t.storageOffset, t.storageOffset + n), [...t.shape]);
  }
  return new Tensor(gatherStrided(data, t.storageOffset, t.shape, t.stride, new Float32Array(n)), [...t.shape]);
}

/** Copy a strided view into a dense row-major array. */
export function gatherStrided<T extends { [i: number]: number | bigint; length: number }>(
  src: T, offset: number, shape: readonly number[], stride: readonly number[], out: T,
): T {
  const nd = shape.length;
  if (out.length === 0) return out;
  const idx = new Array<number>(nd).fill(0);
  let srcPos = offset;
  for (let o = 0; o < out.length; o++) {
    out[o] = src[srcPos]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      srcPos += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      srcPos -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * The elements of any loaded tensor (float or integer), row-major: a view when contiguous, else a copy.
 * Float storages hold float32 after loading, so float tensors of any stored width come back as Float32Array.
 */
export function tensorData(t: TorchTensor): StorageData {
  const data = t.storage.data;
  if (data === undefined) throw new TypeError(`tensorData: storage ${t.storage.key} is not loaded (call TorchFile.loadStorages first)`);
  const n = checkedNumel(t, data);
  if (isContiguous(t.shape, t.stride)) return data.subarray(t.storageOffset, t.storageOffset + n) as StorageData;
  const Ctor = data.constructor as new (n: number) => StorageData;
  return gatherStrided(data as Float32Array, t.storageOffset, t.shape, t.stride, new Ctor(n) as Float32Array);
}
