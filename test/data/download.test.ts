import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { download, readDownloadRecord } from '../../src/data/download.js';
import { defaultManifest, selectKind, type ManifestItem } from '../../src/data/manifest.js';
import { QnmtError } from '../../src/errors.js';
import { fixtureDir, hasShared, sharedDir } from '../paths.js';
import { serveFiles, type ServedFile } from './fixture-server.js';

// The real MLPerf files (from shared/data) verified against the real published MD5s in the manifest.
const sharedFiles: Record<string, string> = {
  'newstest2014.tok.bpe.32000.en': join(sharedDir, 'data', 'bpe-mlperf', 'newstest2014.tok.bpe.32000.en'),
  'newstest2014.tok.bpe.32000.de': join(sharedDir, 'data', 'bpe-mlperf', 'newstest2014.tok.bpe.32000.de'),
  'bpe.32000': join(sharedDir, 'data', 'bpe-mlperf', 'bpe.32000'),
  'newstest2014.de': join(sharedDir, 'data', 'wmt14', 'newstest2014.de'),
  'newstest2014.en': join(sharedDir, 'data', 'wmt14', 'newstest2014.en'),
};
const noShared = hasShared ? false : 'shared/ data folder not present';
// sha256 of the fixture checkpoint as stated in fixtures/multi30k-gnmt256/README.md.
const fixtureModelSha256 = '2670a90e42b8206ac4d21e7385d43a96610796e02670d292c3c4a6c596e6d1cd';

async function sharedBodies(): Promise<Record<string, ServedFile>> {
  const out: Record<string, ServedFile> = {};
  for (const [name, path] of Object.entries(sharedFiles)) out[name] = { body: await readFile(path) };
  return out;
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'qnmt-download-'));
}

test('download via a mirror: data files verified against MLPerf MD5s, model resumed after a drop and recorded', { skip: noShared }, async () => {
  const files = await sharedBodies();
  const model = await readFile(join(fixtureDir, 'model_best.pth'));
  files['model_best.pth'] = { body: model, dropAfter: { bytes: 15_000_000, times: 1 } };
  const server = await serveFiles(files);
  const dir = await tempDir();
  const messages: string[] = [];
  try {
    const out = await download({ dir, mirror: server.url, retryDelayMs: 0, onMessage: (m) => messages.push(m) });
    assert.deepEqual(out.map((o) => o.name), defaultManifest.map((i) => i.name));
    for (const o of out) assert.equal(o.status, 'downloaded');
    for (const o of out.filter((x) => x.kind === 'data')) {
      assert.equal(o.checked, 'md5');
      assert.equal(o.md5, defaultManifest.find((i) => i.name === o.name)!.md5);
    }
    const m = out.find((o) => o.name === 'model_best.pth')!;
    assert.equal(m.checked, 'recorded');
    assert.equal(m.sha256, fixtureModelSha256);
    assert.equal(m.resumes, 1);
    assert.ok(messages.some((s) => /model_best\.pth: connection lost after \d+ bytes/.test(s)), messages.join('\n'));
    const resumed = server.requests.filter((r) => r.path === 'model_best.pth');
    assert.equal(resumed.length, 2);
    assert.match(resumed[1]!.range ?? '', /^bytes=\d+-$/);
    const record = await readDownloadRecord(dir);
    assert.equal(record.files['model_best.pth']!.sha256, fixtureModelSha256);
    assert.equal(record.files['model_best.pth']!.size, model.length);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.part')), []);

    // A second run keeps everything without a single request.
    const before = server.requests.length;
    const again = await download({ dir, mirror: server.url, retryDelayMs: 0 });
    assert.ok(again.every((o) => o.status === 'present'));
    assert.equal(server.requests.length, before);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a corrupted download is detected, named, and not kept', { skip: noShared }, async () => {
  const files = await sharedBodies();
  const bad = Buffer.from(files['newstest2014.de']!.body);
  bad[1000] = bad[1000]! ^ 0x20; // one flipped bit of case
  files['newstest2014.de'] = { body: bad };
  const server = await serveFiles(files);
  const dir = await tempDir();
  try {
    await assert.rejects(download({ dir, mirror: server.url, only: 'data', retryDelayMs: 0 }), (e: unknown) => {
      assert.ok(e instanceof QnmtError);
      assert.equal(e.code, 'download/corrupt');
      assert.match(e.message, /corrupted file newstest2014\.de .*expected f6c3818b477e4a25cad68b61cc883c17/);
      return true;
    });
    await assert.rejects(stat(join(dir, 'newstest2014.de')), /ENOENT/);
    await assert.rejects(stat(join(dir, 'newstest2014.de.part')), /ENOENT/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('an existing file that went bad is fetched again', { skip: noShared }, async () => {
  const server = await serveFiles(await sharedBodies());
  const dir = await tempDir();
  try {
    await download({ dir, mirror: server.url, only: 'data', retryDelayMs: 0 });
    await writeFile(join(dir, 'bpe.32000'), 'garbage\n');
    const messages: string[] = [];
    const out = await download({ dir, mirror: server.url, only: 'data', retryDelayMs: 0, onMessage: (m) => messages.push(m) });
    assert.equal(out.find((o) => o.name === 'bpe.32000')!.status, 'downloaded');
    assert.ok(messages.some((m) => /bpe\.32000: existing file is bad \(MD5 mismatch/.test(m)));
    assert.equal(out.filter((o) => o.status === 'present').length, 4);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('--from copies local files and verifies them; a bad local copy is named with its path', { skip: noShared }, async () => {
  const src = await tempDir();
  const dir = await tempDir();
  try {
    for (const [name, path] of Object.entries(sharedFiles)) await copyFile(path, join(src, name));
    await copyFile(join(fixtureDir, 'model_best.pth'), join(src, 'model_best.pth'));
    const out = await download({ dir, from: src });
    assert.ok(out.every((o) => o.status === 'copied'), JSON.stringify(out.map((o) => o.status)));
    assert.equal(out.find((o) => o.name === 'model_best.pth')!.sha256, fixtureModelSha256);

    const dir2 = await tempDir();
    try {
      await writeFile(join(src, 'model_best.pth'), '<html>Service unavailable</html>');
      await assert.rejects(download({ dir: dir2, from: src, only: 'model' }), /corrupted file model_best\.pth .*from .*model_best\.pth\): does not start with the legacy torch\.save magic/);
      await rm(join(src, 'bpe.32000'));
      await assert.rejects(download({ dir: dir2, from: src, only: 'data' }), /--from .*: bpe\.32000 is not there/);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  } finally {
    await rm(src, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});

test('BPE test files come out of the MLPerf inference zip (members under nmt/data/)', { skip: noShared }, async () => {
  const zip = zipSync({
    'nmt/data/newstest2014.tok.bpe.32000.en': new Uint8Array(await readFile(sharedFiles['newstest2014.tok.bpe.32000.en']!)),
    'nmt/data/newstest2014.tok.bpe.32000.de': new Uint8Array(await readFile(sharedFiles['newstest2014.tok.bpe.32000.de']!)),
    'nmt/data/vocab.bpe.32000.en': new TextEncoder().encode('not needed\n'),
  });
  const server = await serveFiles({ 'gnmt_inference_data.zip': { body: zip, dropAfter: { bytes: 50_000, times: 1 } } });
  const dir = await tempDir();
  try {
    // The real manifest entries, with the archive pointed at the local server.
    const items: ManifestItem[] = selectKind(defaultManifest, 'data')
      .filter((i) => i.archive !== undefined)
      .map((i) => ({ ...i, archive: { ...i.archive!, url: `${server.url}/gnmt_inference_data.zip` } }));
    const out = await download({ dir, items, retryDelayMs: 0 });
    assert.deepEqual(out.map((o) => [o.name, o.status, o.checked]), [
      ['newstest2014.tok.bpe.32000.en', 'extracted', 'md5'],
      ['newstest2014.tok.bpe.32000.de', 'extracted', 'md5'],
    ]);
    assert.equal(server.requests.length, 2, 'zip fetched once, resumed once');
    // The archive is not left behind.
    assert.deepEqual(await readdir(join(dir, '.downloads')), []);

    // --from with only the zip there works too.
    const src = await tempDir();
    const dir2 = await tempDir();
    try {
      await writeFile(join(src, 'gnmt_inference_data.zip'), zip);
      const out2 = await download({ dir: dir2, items, from: src });
      assert.deepEqual(out2.map((o) => o.status), ['copied', 'copied']);
      await mkdir(join(src, 'empty'));
    } finally {
      await rm(src, { recursive: true, force: true });
      await rm(dir2, { recursive: true, force: true });
    }
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
