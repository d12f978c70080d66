import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { halfToFloat, openTorchFile } from '../../src/io/torch-file.js';
import { isTorchTensor, tensorData } from '../../src/io/torch-tensor.js';
import { QnmtError } from '../../src/errors.js';
import { fixtureDir, testFixtures } from '../paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'qnmt-io-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const real = join(fixtureDir, 'model_best.pth');
const tinyZip = join(testFixtures, 'gnmt-tiny', 'tiny.zip.pth');
const tinyLegacy = join(testFixtures, 'gnmt-tiny', 'tiny.legacy.pth');

async function rejectsWith(path: string, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadCheckpoint(path), (e: unknown) => {
    assert.ok(e instanceof QnmtError, String(e));
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('legacy file cut inside the storage data: truncated, naming the storage', async () => {
  const bytes = readFileSync(real);
  const p = join(tmp, 'cut-data.pth');
  writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await rejectsWith(p, 'checkpoint/truncated', /truncated file: storage \S+ needs \d+ bytes from byte \d+ but only \d+ remain/);
  const last = join(tmp, 'cut-last-byte.pth');
  writeFileSync(last, bytes.subarray(0, bytes.length - 1));
  await rejectsWith(last, 'checkpoint/truncated', /truncated file/);
});

test('legacy file cut inside its pickles: truncated', async () => {
  const p = join(tmp, 'cut-pickle.pth');
  writeFileSync(p, readFileSync(real).subarray(0, 5000));
  await rejectsWith(p, 'checkpoint/truncated', /ends inside its pickled header/);
});

test('random bytes, a text file, a plain pickle and an empty file are not checkpoints', async () => {
  const rnd = join(tmp, 'random.bin');
  const r = new Uint8Array(4096);
  let s = 12345;
  for (let i = 0; i < r.length; i++) { s = (s * 1103515245 + 12345) >>> 0; r[i] = s >>> 24; }
  r[0] = 0x13;
  writeFileSync(rnd, r);
  await rejectsWith(rnd, 'checkpoint/not-a-checkpoint', /not a PyTorch checkpoint/);
  const txt = join(tmp, 'notes.txt');
  writeFileSync(txt, 'hidden_size: 1024\nthis is not a model\n');
  await rejectsWith(txt, 'checkpoint/not-a-checkpoint', /not a PyTorch checkpoint/);
  const pkl = join(tmp, 'plain.pkl');
  writeFileSync(pkl, readFileSync(join(testFixtures, 'pickle', 'sample.p2.pkl')));
  await rejectsWith(pkl, 'checkpoint/not-a-checkpoint', /it is a pickle (but not a torch.save stream|without the torch magic number)/);
  const empty = join(tmp, 'empty.pth');
  writeFileSync(empty, '');
  await rejectsWith(empty, 'checkpoint/not-a-checkpoint', /not a PyTorch checkpoint/);
  await rejectsWith(join(tmp, 'does-not-exist.pth'), 'checkpoint/not-found', /ENOENT/);
});

test('zip checkpoints: cut file, missing data.pkl, short storage entry; deflate-compressed entries load', async () => {
  const zbytes = readFileSync(tinyZip);
  const cut = join(tmp, 'cut.zip.pth');
  writeFileSync(cut, zbytes.subarray(0, zbytes.length - 100));
  await rejectsWith(cut, 'checkpoint/bad-zip', /may be truncated/);

  const entries = unzipSync(new Uint8Array(zbytes));
  const names = Object.keys(entries);
  const pklName = names.find((n) => n.endsWith('/data.pkl'))!;
  const prefix = pklName.slice(0, -'/data.pkl'.length);

  const noPkl: Zippable = {};
  for (const n of names) if (n !== pklName) noPkl[n] = [entries[n]!, { level: 0 }];
  const p1 = join(tmp, 'nopkl.pth');
  writeFileSync(p1, zipSync(noPkl));
  await rejectsWith(p1, 'checkpoint/not-a-checkpoint', /zip file without a <name>\/data\.pkl entry/);

  const short: Zippable = {};
  for (const n of names) short[n] = [n.includes('/data/') ? entries[n]!.subarray(0, 8) : entries[n]!, { level: 0 }];
  const p2 = join(tmp, 'short.pth');
  writeFileSync(p2, zipSync(short));
  await rejectsWith(p2, 'checkpoint/truncated', new RegExp(`zip entry ${prefix}/data/\\S+ holds 8 bytes, storage \\S+ needs \\d+`));

  const deflated: Zippable = {};
  for (const n of names) deflated[n] = [entries[n]!, { level: 6 }];
  const p3 = join(tmp, 'deflated.pth');
  writeFileSync(p3, zipSync(deflated));
  const a = await loadCheckpoint(p3);
  const b = await loadCheckpoint(tinyLegacy);
  for (const [k, t] of b.stateDict) assert.deepEqual(a.stateDict.get(k)!.data, t.data, k);
});

test('openTorchFile exposes the raw structure: 16 float storages in the trained fixture (README §2)', async () => {
  const f = await openTorchFile(real);
  try {
    assert.equal(f.format, 'legacy');
    assert.equal(f.storages.size, 16);
    let total = 0;
    for (const s of f.storages.values()) { assert.equal(s.dtype, 'float32'); assert.equal(s.location, 'cuda:0'); total += s.numel; }
    assert.equal(total, 9_993_996);
  } finally {
    await f.close();
  }
});

test('halfToFloat decodes IEEE half precision', () => {
  assert.deepEqual([0x0000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000].map(halfToFloat),
    [0, 1, -2, 65504, 2 ** -24, Infinity, -0]);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('generic access: the Adam state of small.module.pth (never read by loadCheckpoint) via openTorchFile', async () => {
  const f = await openTorchFile(join(testFixtures, 'gnmt-tiny', 'small.module.pth'));
  try {
    const opt = (f.root as Map<unknown, unknown>).get('optimizer') as Map<unknown, unknown>;
    const state = opt.get('state') as Map<unknown, Map<unknown, unknown>>;
    assert.equal(state.size, 44); // one entry per unique parameter: 45 state_dict keys, the shared embedding once
    const first = state.get(0)!;
    const step = first.get('step');
    assert.ok(isTorchTensor(step));
    const avg = first.get('exp_avg');
    assert.ok(isTorchTensor(avg));
    assert.equal(avg.storage.data, undefined);
    await f.loadStorages([step.storage, avg.storage]);
    assert.deepEqual([...tensorData(step)], [1]);
    assert.equal(tensorData(avg).length, avg.shape.reduce((a, b) => a * b, 1));
  } finally {
    await f.close();
  }
});
