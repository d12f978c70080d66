/**
 * torch.save containers: the legacy (pre-1.6) stream and the zip archive (torch ≥ 1.6), detected by magic
 * bytes. Opening parses only the pickles; storage bytes are read later, and only for the storages asked for
 * (a checkpoint may also hold optimizer state we never need), straight into one shared ArrayBuffer.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { QnmtError } from '../errors.js';
import { limitError, limits } from '../limits.js';
import { checkCount, checkStorageNumel } from './tensor-geometry.js';
import { keyText, PickleEOFError, unpickle, type PyValue } from './pickle.js';
import { describe, isStorageType, torchGlobals } from './torch-globals.js';
import { dtypeBytes, isFloatDtype, type StorageData, type TorchStorage, type TorchStorageView } from './torch-tensor.js';
import { entryDataOffset, readFully, readZipDirectory, zipMagic, type ZipEntry } from './zip.js';

export const legacyMagic = 0x1950a86a20f9469cfc6cn;
const legacyProtocol = 1001;

export interface TorchFile {
  readonly path: string;
  readonly format: 'legacy' | 'zip';
  /** The unpickled top-level object (tensors are TorchTensor placeholders until their storages are loaded). */
  readonly root: PyValue;
  /** Every root storage the pickle references, by key. */
  readonly storages: ReadonlyMap<string, TorchStorage>;
  /**
   * Read the given storages into one new ArrayBuffer and set their `data`: float storages become Float32Array
   * (float16/bfloat16/float64 converted), integer storages keep their type. Shared storages are read once.
   */
  loadStorages(storages: Iterable<TorchStorage>): Promise<void>;
  close(): Promise<void>;
}

/** Where a storage's bytes are in the file. */
interface StorageSpan {
  readonly position: number;
  readonly byteLength: number;
  /** Set for zip entries that are not stored (method ≠ 0). */
  readonly zipEntry?: ZipEntry;
}

export async function openTorchFile(path: string): Promise<TorchFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new QnmtError('checkpoint/not-found', `${path}: cannot open the checkpoint (${code ?? String(e)}); check the path.`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notCheckpoint(path, st.isDirectory() ? 'it is a folder' : 'it is not a regular file');
    const size = st.size;
    const head = new Uint8Array(Math.min(size, 4));
    await readFully(fh, head, 0, path);
    if (head.length === 4 && zipMagic.every((b, i) => head[i] === b)) return await openZip(fh, path, size);
    if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return await openLegacy(fh, path, size);
    throw notCheckpoint(path, 'it starts neither with a zip header nor with a pickle');
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function notCheckpoint(path: string, why: string): QnmtError {
  return new QnmtError('checkpoint/not-a-checkpoint', `${path}: not a PyTorch checkpoint: ${why}; expected a file written by torch.save (e.g. model_best.pth).`);
}

function truncated(path: string, why: string): QnmtError {
  return new QnmtError('checkpoint/truncated', `${path}: truncated file: ${why}; the file is incomplete, download or copy it again.`);
}

/** Persistent-id handler shared by both formats; `storages` collects the root storages by key. */
function storageLoader(path: string, storages: Map<string, TorchStorage>): (pid: PyValue) => PyValue {
  const views = new Map<string, TorchStorageView>();
  return (pid) => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
      throw new QnmtError('checkpoint/bad-pickle', `${path}: unsupported persistent id (${describe(pid)}); only torch storages are supported.`);
    }
    const [, type, key, location, numel, viewMeta] = pid as PyValue[];
    if (typeof key !== 'string') throw new QnmtError('checkpoint/bad-pickle', `${path}: malformed storage persistent id (the key is ${describe(key)}, expected a string).`);
    if (!isStorageType(type)) throw new QnmtError('checkpoint/bad-pickle', `${path}: storage ${key} has type ${describe(type)}, not a torch storage class.`);
    const count = checkStorageNumel(numel, dtypeBytes[type.dtype], `${path}: storage ${key}`);
    let storage = storages.get(key);
    if (storage === undefined) {
      storage = { kind: 'torch-storage', key, dtype: type.dtype, location: typeof location === 'string' ? location : describe(location), numel: count };
      storages.set(key, storage);
    } else if (storage.numel !== count || storage.dtype !== type.dtype) {
      throw new QnmtError('checkpoint/bad-pickle', `${path}: storage ${key} is declared twice with different sizes or types; the file is corrupt.`);
    }
    if (Array.isArray(viewMeta) && viewMeta.length === 3) {
      const [viewKey, offset, viewSize] = viewMeta as PyValue[];
      if (typeof viewKey !== 'string') throw new QnmtError('checkpoint/bad-pickle', `${path}: storage view of ${key} has key ${describe(viewKey)}, expected a string.`);
      const where = `${path}: storage view ${viewKey} of ${key}`;
      const start = checkCount(offset, 'the view offset', where);
      const n = checkCount(viewSize, 'the view element count', where);
      if (start + n > storage.numel) throw new QnmtError('checkpoint/bad-geometry', `${where}: elements ${start}..${start + n} lie beyond the storage of ${storage.numel} elements; the file is corrupt.`);
      let view = views.get(viewKey);
      if (view === undefined) {
        view = { kind: 'torch-storage-view', root: storage, offset: start, numel: n };
        views.set(viewKey, view);
      }
      return view;
    }
    return storage;
  };
}

async function openLegacy(fh: FileHandle, path: string, size: number): Promise<TorchFile> {
  // The pickles come first; read a growing prefix until they all parse.
  let chunk = Math.min(size, 256 << 10);
  for (;;) {
    const bytes = new Uint8Array(chunk);
    await readFully(fh, bytes, 0, path);
    try {
      return await parseLegacy(fh, path, size, bytes);
    } catch (e) {
      if (e instanceof PickleEOFError && chunk < size) {
        if (chunk >= limits().pickleBytes) throw limitError('checkpoint/limit', path, 'pickleBytes', 'the pickled header in bytes', `more than ${chunk}`);
        chunk = Math.min(size, chunk * 4, limits().pickleBytes);
        continue;
      }
      if (e instanceof PickleEOFError) throw truncated(path, 'the file ends inside its pickled header');
      throw e;
    }
  }
}

async function parseLegacy(fh: FileHandle, path: string, size: number, bytes: Uint8Array): Promise<TorchFile> {
  const plain = { globals: new Map(), source: path };
  let magic: { value: PyValue; end: number };
  try {
    magic = unpickle(bytes, 0, { ...plain, what: 'magic number' });
  } catch (e) {
    if (e instanceof PickleEOFError) throw e;
    throw notCheckpoint(path, 'it is a pickle but not a torch.save stream');
  }
  if (magic.value !== legacyMagic) throw notCheckpoint(path, 'it is a pickle without the torch magic number');
  const proto = unpickle(bytes, magic.end, { ...plain, what: 'protocol version' });
  if (proto.value !== legacyProtocol) {
    throw new QnmtError('checkpoint/unsupported', `${path}: legacy torch protocol ${String(proto.value)} is not supported (expected ${legacyProtocol}).`);
  }
  const sys = unpickle(bytes, proto.end, { ...plain, what: 'sys info' });
  const littleEndian = !(sys.value instanceof Map) || sys.value.get('little_endian') !== false;
  const storages = new Map<string, TorchStorage>();
  const main = unpickle(bytes, sys.end, {
    globals: torchGlobals(path), persistentLoad: storageLoader(path, storages), source: path, what: 'main pickle',
  });
  const keyList = unpickle(bytes, main.end, { ...plain, what: 'storage key list' });
  if (!Array.isArray(keyList.value)) throw new QnmtError('checkpoint/bad-pickle', `${path}: the storage key list is ${describe(keyList.value)}, expected a list.`);

  // Walk the raw storage area: per key an int64 element count, then the bytes.
  const spans = new Map<string, StorageSpan>();
  let pos = keyList.end;
  const countBuf = new Uint8Array(8);
  for (const k of keyList.value as PyValue[]) {
    const key = keyText(k);
    const storage = storages.get(key);
    if (storage === undefined) throw new QnmtError('checkpoint/bad-pickle', `${path}: storage key ${key} is listed but never referenced by the pickle.`);
    if (pos + 8 > size) throw truncated(path, `storage ${key} should start at byte ${pos} but the file has ${size} bytes`);
    await readFully(fh, countBuf, pos, path);
    const count = new DataView(countBuf.buffer).getBigInt64(0, littleEndian);
    if (count !== BigInt(storage.numel)) {
      throw new QnmtError('checkpoint/bad-pickle', `${path}: storage ${key} declares ${count} elements in the data area but ${storage.numel} in the pickle; the file is corrupt.`);
    }
    const byteLength = storage.numel * dtypeBytes[storage.dtype];
    if (pos + 8 + byteLength > size) {
      throw truncated(path, `storage ${key} needs ${byteLength} bytes from byte ${pos + 8} but only ${Math.max(0, size - pos - 8)} remain`);
    }
    spans.set(key, { position: pos + 8, byteLength });
    pos += 8 + byteLength;
  }
  return makeTorchFile(fh, path, 'legacy', main.value, storages, spans, littleEndian);
}

async function openZip(fh: FileHandle, path: string, size: number): Promise<TorchFile> {
  const entries = await readZipDirectory(fh, size, path);
  let prefix: string | undefined;
  for (const name of entries.keys()) {
    const m = /^([^/]+)\/data\.pkl$/.exec(name);
    if (m) { prefix = m[1]; break; }
  }
  if (prefix === undefined) throw notCheckpoint(path, 'it is a zip file without a <name>/data.pkl entry');
  const readEntry = async (entry: ZipEntry): Promise<Uint8Array> => {
    const at = await entryDataOffset(fh, entry, size, path);
    const raw = new Uint8Array(entry.compressedSize);
    await readFully(fh, raw, at, path);
    return entry.method === 0 ? raw : inflateEntry(raw, entry, path);
  };
  let littleEndian = true;
  const bo = entries.get(`${prefix}/byteorder`);
  if (bo !== undefined && bo.size > 64) throw new QnmtError('checkpoint/bad-zip', `${path}: zip entry ${bo.name} holds ${bo.size} bytes; a byte-order entry holds 'little' or 'big'.`);
  if (bo !== undefined) littleEndian = new TextDecoder().decode(await readEntry(bo)).trim() !== 'big';
  const pklEntry = entries.get(`${prefix}/data.pkl`)!;
  if (pklEntry.size > limits().pickleBytes) throw limitError('checkpoint/limit', `${path}: ${pklEntry.name}`, 'pickleBytes', 'the pickle size in bytes', pklEntry.size);
  const pkl = await readEntry(pklEntry);
  const storages = new Map<string, TorchStorage>();
  let root: PyValue;
  try {
    root = unpickle(pkl, 0, {
      globals: torchGlobals(path), persistentLoad: storageLoader(path, storages), source: path, what: `${prefix}/data.pkl`,
    }).value;
  } catch (e) {
    if (e instanceof PickleEOFError) throw truncated(path, `${prefix}/data.pkl ends unexpectedly`);
    throw e;
  }
  const spans = new Map<string, StorageSpan>();
  for (const storage of storages.values()) {
    const name = `${prefix}/data/${storage.key}`;
    const entry = entries.get(name);
    if (entry === undefined) throw truncated(path, `zip entry ${name} for storage ${storage.key} is missing`);
    const byteLength = storage.numel * dtypeBytes[storage.dtype];
    if (entry.size < byteLength) throw truncated(path, `zip entry ${name} holds ${entry.size} bytes, storage ${storage.key} needs ${byteLength}`);
    checkEntryMethod(entry, path);
    const position = await entryDataOffset(fh, entry, size, path);
    spans.set(storage.key, entry.method === 0 ? { position, byteLength } : { position, byteLength, zipEntry: entry });
  }
  return makeTorchFile(fh, path, 'zip', root, storages, spans, littleEndian);
}

function makeTorchFile(
  fh: FileHandle, path: string, format: 'legacy' | 'zip', root: PyValue,
  storages: Map<string, TorchStorage>, spans: Map<string, StorageSpan>, littleEndian: boolean,
): TorchFile {
  return {
    path, format, root, storages,
    close: () => fh.close(),
    async loadStorages(wanted) {
      const list = [...new Set(wanted)].filter((s) => s.data === undefined);
      // One slot per storage, 8-byte aligned so every typed view is aligned.
      const slots: number[] = [];
      let total = 0;
      for (const s of list) {
        slots.push(total);
        const bytes = s.numel * (isFloatDtype(s.dtype) ? 4 : dtypeBytes[s.dtype]);
        total += Math.ceil(bytes / 8) * 8;
      }
      const buffer = new ArrayBuffer(total);
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!;
        const span = spans.get(s.key);
        if (span === undefined) throw truncated(path, `the data of storage ${s.key} is missing`);
        const slot = slots[i]!;
        const direct = s.dtype === 'float32' || !isFloatDtype(s.dtype);
        // Same-width types are read in place; narrower/wider floats go through a temporary raw buffer.
        const raw = direct ? new Uint8Array(buffer, slot, span.byteLength) : new Uint8Array(span.byteLength);
        if (span.zipEntry !== undefined) {
          const packed = new Uint8Array(span.zipEntry.compressedSize);
          await readFully(fh, packed, span.position, path);
          raw.set(inflateEntry(packed, span.zipEntry, path).subarray(0, span.byteLength));
        } else {
          await readFully(fh, raw, span.position, path);
        }
        const width = dtypeBytes[s.dtype];
        if (!littleEndian && width > 1) for (let b = 0; b < raw.length; b += width) raw.subarray(b, b + width).reverse();
        s.data = typedView(s, buffer, slot, raw);
      }
    },
  };
}

/**
 * Only stored (0) and deflate (8) entries, and a deflate entry may not claim more than deflate can
 * expand to (limits: deflateRatio) — so the declared size bounds the memory inflating takes.
 */
function checkEntryMethod(entry: ZipEntry, path: string): void {
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) throw new QnmtError('checkpoint/bad-zip', `${path}: stored zip entry ${entry.name} declares ${entry.size} bytes but holds ${entry.compressedSize}; the file is corrupt.`);
    return;
  }
  if (entry.method !== 8) {
    throw new QnmtError('checkpoint/bad-zip', `${path}: zip entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) entries are read.`);
  }
  if (entry.size > limits().deflateRatio * entry.compressedSize + 1024) {
    throw limitError('checkpoint/bad-zip', `${path}: zip entry ${entry.name}`, 'deflateRatio', `declared expansion of ${entry.compressedSize} compressed bytes to ${entry.size}`, Math.round(entry.size / Math.max(1, entry.compressedSize)), false);
  }
}

/** Inflate a deflate entry to exactly its declared size: never more memory than that, and any fault is one QnmtError. */
function inflateEntry(packed: Uint8Array, entry: ZipEntry, path: string): Uint8Array {
  checkEntryMethod(entry, path);
  let out: Buffer;
  try {
    out = inflateRawSync(packed, { maxOutputLength: Math.max(1, entry.size) });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `it inflates to more than the ${entry.size} bytes its header declares` : `its deflate data is damaged (${(e as Error).message})`;
    throw new QnmtError('checkpoint/bad-zip', `${path}: zip entry ${entry.name}: ${why}; the file is corrupt.`);
  }
  if (out.length !== entry.size) throw new QnmtError('checkpoint/bad-zip', `${path}: zip entry ${entry.name} inflates to ${out.length} bytes but its header declares ${entry.size}; the file is corrupt.`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function typedView(s: TorchStorage, buffer: ArrayBuffer, slot: number, raw: Uint8Array): StorageData {
  const n = s.numel;
  switch (s.dtype) {
    case 'float32': return new Float32Array(buffer, slot, n);
    case 'int64': return new BigInt64Array(buffer, slot, n);
    case 'int32': return new Int32Array(buffer, slot, n);
    case 'int16': return new Int16Array(buffer, slot, n);
    case 'int8': return new Int8Array(buffer, slot, n);
    case 'uint8': case 'bool': return new Uint8Array(buffer, slot, n);
    case 'float64': {
      const out = new Float32Array(buffer, slot, n);
      const src = new Float64Array(raw.buffer, raw.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = src[i]!;
      return out;
    }
    case 'float16': {
      const out = new Float32Array(buffer, slot, n);
      const src = new Uint16Array(raw.buffer, raw.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(src[i]!);
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(buffer, slot, n);
      const bits = new Uint32Array(buffer, slot, n);
      const src = new Uint16Array(raw.buffer, raw.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
      return out;
    }
  }
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
