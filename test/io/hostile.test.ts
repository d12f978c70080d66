/**
 * Hostile checkpoints, built byte by byte: each must end in one QnmtError (the CLI's one line, exit 1)
 * in bounded memory and time, never in a RangeError, a stack overflow or a huge allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { QnmtError } from '../../src/errors.js';
import { unpickle, dataGlobals } from '../../src/io/pickle.js';
import { openTorchFile } from '../../src/io/torch-file.js';
import { isTorchTensor, tensorData, type TorchTensor } from '../../src/io/torch-tensor.js';
import { parsePyLiteral, PyLiteralError } from '../../src/io/py-literal.js';

const tmp = mkdtempSync(join(tmpdir(), 'qnmt-hostile-'));

/** A tiny pickle writer: just the opcodes these tests need. */
class P {
  private parts: number[] = [0x80, 0x02];
  op(...bytes: number[]): this { this.parts.push(...bytes); return this; }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
  }
  int(v: number): this { const b = Buffer.alloc(4); b.writeInt32LE(v); return this.op(0x4a, ...b); }
  float(v: number): this { const b = Buffer.alloc(8); b.writeDoubleBE(v); return this.op(0x47, ...b); }
  global(module: string, name: string): this { return this.op(0x63, ...Buffer.from(`${module}\n${name}\n`)); }
  tuple(...items: ((p: P) => void)[]): this { this.op(0x28); for (const it of items) it(this); return this.op(0x74); }
  bytes(): Uint8Array { return new Uint8Array([...this.parts, 0x2e]); }
}

/** A zip checkpoint whose data.pkl is one tensor of a FloatStorage with `numel`, given shape/stride/offset. */
function tensorZip(name: string, numel: (p: P) => void, shape: number[], stride: number[], offset = 0, storageBytes = 64): string {
  const num = (v: number) => (p: P) => void p.int(v);
  const pkl = new P()
    .global('torch._utils', '_rebuild_tensor_v2')
    .op(0x28)
    .tuple((p) => p.str('storage'), (p) => p.global('torch', 'FloatStorage'), (p) => p.str('0'), (p) => p.str('cpu'), numel)
    .op(0x51) // BINPERSID
    .int(offset)
    .tuple(...shape.map(num))
    .tuple(...stride.map(num))
    .op(0x89, 0x7d) // False, {}
    .op(0x74, 0x52) // TUPLE, REDUCE
    .bytes();
  const path = join(tmp, name);
  writeFileSync(path, zipSync({ 'archive/data.pkl': [pkl, { level: 0 }], 'archive/data/0': [new Uint8Array(storageBytes), { level: 0 }] }));
  return path;
}

async function loadTensor(path: string): Promise<Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Float64Array> {
  const f = await openTorchFile(path);
  try {
    assert.ok(isTorchTensor(f.root));
    await f.loadStorages([(f.root as TorchTensor).storage]);
    return tensorData(f.root as TorchTensor);
  } finally {
    await f.close();
  }
}

async function rejectsClean(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof QnmtError, `not a QnmtError: ${(e as Error)?.stack}`);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a valid hand-built tensor loads (the builder is right)', async () => {
  const data = await loadTensor(tensorZip('ok.pth', (p) => void p.int(16), [4, 4], [4, 1]));
  assert.equal(data.length, 16);
});

test('storage element counts that are fractional, NaN, infinite or negative are refused', async () => {
  for (const [name, v] of [['frac', 2.5], ['nan', NaN], ['inf', Infinity], ['neg', -1]] as const) {
    const numel = (p: P): void => void (Number.isInteger(v) ? p.int(v) : p.float(v));
    await rejectsClean(loadTensor(tensorZip(`numel-${name}.pth`, numel, [1], [1])), /storage element count/);
  }
});

test('negative sizes, negative strides and views past the storage are refused before allocation', async () => {
  const n16 = (p: P): void => void p.int(16);
  await rejectsClean(loadTensor(tensorZip('neg-shape.pth', n16, [-5, 4], [4, 1])), /size of dimension 0 is -5/);
  await rejectsClean(loadTensor(tensorZip('neg-stride.pth', n16, [4, 4], [-4, 1], 15)), /stride of dimension 0 is -4/);
  await rejectsClean(loadTensor(tensorZip('oob-stride.pth', n16, [3, 20], [1, 1])), /reaches element 21 of a storage with 16 elements/);
  await rejectsClean(loadTensor(tensorZip('oob-offset.pth', n16, [16], [1], 1)), /reaches element 16/);
  // A 600-byte file that claims a 4 GB view of a broadcast (stride 0) storage.
  await rejectsClean(loadTensor(tensorZip('broadcast.pth', n16, [1 << 30, 4], [0, 0])), /broadcast view/);
  // More elements than the zip entry holds.
  await rejectsClean(loadTensor(tensorZip('short.pth', (p) => void p.int(1 << 28), [4], [1])), /holds 64 bytes, storage 0 needs 1073741824/);
});

test('tensorData checks the geometry of a hand-made tensor before copying', () => {
  const storage = { kind: 'torch-storage' as const, key: 'x', dtype: 'float32' as const, location: 'cpu', numel: 4, data: new Float32Array(4) };
  const t: TorchTensor = { kind: 'torch-tensor', storage, storageOffset: 0, shape: [1e6, 1e6], stride: [0, 0], requiresGrad: false };
  assert.throws(() => tensorData(t), (e: unknown) => e instanceof QnmtError && /broadcast view/.test(e.message));
  assert.throws(() => tensorData({ ...t, shape: [2, 3], stride: [3, 1] }), (e: unknown) => e instanceof QnmtError && /reaches element 5/.test(e.message));
});

test('zip entries: unknown methods, inflation past the declared size, damaged deflate, directory overruns', async () => {
  const base = tensorZip('zbase.pth', (p) => void p.int(16), [16], [1]);
  const bytes = new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(base)));
  const cd = Buffer.from(bytes).lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); // last central directory entry (data/0)
  const write = (name: string, edit: (b: Buffer) => void): string => {
    const b = Buffer.from(bytes);
    edit(b);
    const path = join(tmp, name);
    writeFileSync(path, b);
    return path;
  };
  await rejectsClean(loadTensor(write('method12.pth', (b) => b.writeUInt16LE(12, cd + 10))), /compression method 12; only stored \(0\) and deflate \(8\)/);
  await rejectsClean(loadTensor(write('stored-size.pth', (b) => b.writeUInt32LE(1 << 30, cd + 24))), /declares 1073741824 bytes but holds 64/);
  await rejectsClean(loadTensor(write('extra.pth', (b) => b.writeUInt16LE(0xffff, cd + 30))), /runs past the end of the directory/);
  // A deflate bomb: data.pkl inflates far beyond the size its header declares.
  const bomb = zipSync({ 'archive/data.pkl': [new Uint8Array(50 << 20), { level: 9 }] });
  const d = Buffer.from(bomb);
  const cdp = d.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  d.writeUInt32LE(1000, cdp + 24); // declared uncompressed size
  const bombPath = join(tmp, 'bomb.pth');
  writeFileSync(bombPath, d);
  await rejectsClean(openTorchFile(bombPath), /inflates to more than the 1000 bytes its header declares/);
  // Damaged deflate data.
  const dmg = Buffer.from(zipSync({ 'archive/data.pkl': [new P().str('x'.repeat(5000)).bytes(), { level: 9 }] }));
  dmg.fill(0xff, 40, 60);
  const dmgPath = join(tmp, 'damaged.pth');
  writeFileSync(dmgPath, dmg);
  await rejectsClean(openTorchFile(dmgPath), /deflate data is damaged|inflates to/);
});

const opts = { globals: dataGlobals(), source: 'hostile.pkl' };

function throwsClean(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QnmtError, `not a QnmtError: ${(e as Error)?.stack}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('pickle: huge LONG4 and decimal LONG literals are refused by the length limit', () => {
  const n = 1 << 20;
  const long4 = new Uint8Array([0x80, 0x02, 0x8b, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, 0, ...new Uint8Array(n).fill(7), 0x2e]);
  throwsClean(() => unpickle(long4, 0, opts), /integer literal length in bytes \(1048576\) exceeds qnmt's limit of 1024/);
  const text = new Uint8Array([0x80, 0x02, 0x4c, ...Buffer.from('9'.repeat(n)), 0x0a, 0x2e]);
  throwsClean(() => unpickle(text, 0, opts), /LONG literal length in digits/);
  // A long literal within the limit still parses (two's complement, little-endian).
  const ok = new Uint8Array([0x80, 0x02, 0x8b, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x2e]);
  assert.equal(unpickle(ok, 0, opts).value, -(1n << 71n));
});

test('pickle: nesting past the depth limit, self-containment and changes after placement are refused', () => {
  // [[[[...]]]] 10 000 deep: EMPTY_LIST × n, then APPEND × (n − 1).
  const n = 10_000;
  const deep = new Uint8Array([0x80, 0x02, ...new Uint8Array(n).fill(0x5d), ...new Uint8Array(n - 1).fill(0x61), 0x2e]);
  throwsClean(() => unpickle(deep, 0, opts), /nesting depth \(201\) exceeds qnmt's limit of 200/);
  // L = []; L.append(L)
  throwsClean(() => unpickle(new Uint8Array([0x80, 0x02, 0x5d, 0x32, 0x61, 0x2e]), 0, opts), /holds itself/);
  // A = []; memo; B = [A]; A.append(1) — A changes after it was placed in B.
  const later = new Uint8Array([0x80, 0x02, 0x5d, 0x94, 0x5d, 0x68, 0, 0x61, 0x68, 0, 0x4b, 1, 0x61, 0x2e]);
  throwsClean(() => unpickle(later, 0, opts), /changed after it was placed inside another one/);
});

test('pickle: APPENDS with 500 000 items works (no spread into push)', () => {
  const n = 500_000;
  const bytes = new Uint8Array([0x80, 0x02, 0x5d, 0x28, ...new Array<number>(n).fill(0).flatMap(() => [0x4b, 7]), 0x65, 0x2e]);
  const v = unpickle(bytes, 0, opts).value as number[];
  assert.equal(v.length, n);
});

test('a model_config of 100 000 [ is a clean error, not a stack overflow', () => {
  assert.throws(() => parsePyLiteral('['.repeat(100_000)), (e: unknown) => e instanceof PyLiteralError && /nested more than 100 levels/.test(e.message));
  assert.deepEqual(parsePyLiteral("{'__proto__': 1}"), JSON.parse('{"__proto__": 1}'));
});
