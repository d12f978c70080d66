import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { verifyData, verifyPassed } from '../../src/data/verify-data.js';
import { fixtureDir, hasShared, sharedDir } from '../paths.js';
import { serveFiles } from './fixture-server.js';
import { readFile } from 'node:fs/promises';

const run = promisify(execFile);
const noShared = hasShared ? false : 'shared/ data folder not present';
const mainJs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const bpeMlperf = join(sharedDir, 'data', 'bpe-mlperf');

async function qnmt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [mainJs, ...args], { env: { ...process.env, QNMT_DOWNLOAD_BASE: '' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('verify-data passes on the MLPerf BPE files in shared/data/bpe-mlperf', { skip: noShared }, async () => {
  const results = await verifyData({ dir: bpeMlperf, only: 'data' });
  const ok = results.filter((r) => r.status === 'OK').map((r) => r.name).sort();
  assert.deepEqual(ok, [
    'bpe.32000',
    'newstest2014.tok.bpe.32000.de',
    'newstest2014.tok.bpe.32000.en',
    'newstest_dev.tok.clean.bpe.32000.de',
    'newstest_dev.tok.clean.bpe.32000.en',
  ]);
  // The raw newstest2014 files live in shared/data/wmt14, so they are missing here.
  assert.deepEqual(results.filter((r) => r.status === 'MISSING').map((r) => r.name), ['newstest2014.de', 'newstest2014.en']);
  assert.equal(verifyPassed(results), false);
  assert.equal(verifyPassed(results, true), true);

  const cli = await qnmt(['verify-data', '--dir', bpeMlperf, '--allow-missing']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^OK +.*newstest2014\.tok\.bpe\.32000\.en +md5 cb014e2509f86cd81d5a87c240c07464$/m);
});

test('verify-data fails on a modified copy and names the file (exit 1)', { skip: noShared }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qnmt-verify-'));
  try {
    for (const f of ['bpe.32000', 'newstest2014.tok.bpe.32000.en', 'newstest2014.tok.bpe.32000.de']) await copyFile(join(bpeMlperf, f), join(dir, f));
    for (const f of ['newstest2014.de', 'newstest2014.en']) await copyFile(join(sharedDir, 'data', 'wmt14', f), join(dir, f));
    const good = await qnmt(['verify-data', '--dir', dir, '--only', 'data', '--json']);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(JSON.parse(good.stdout).ok, true);

    await appendFile(join(dir, 'newstest2014.tok.bpe.32000.de'), 'extra line\n');
    const bad = await qnmt(['verify-data', '--dir', dir, '--only', 'data']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^FAILED +.*newstest2014\.tok\.bpe\.32000\.de +MD5 mismatch: expected d616740f6026dc493e66efdf9ac1cb04/m);
    assert.match(bad.stderr, /^qnmt: error: 1 of 5 files failed .*newstest2014\.tok\.bpe\.32000\.de \(failed\)\. Run 'qnmt download/m);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('CLI: download --mirror --json then verify-data, model checked against the download record', { skip: noShared }, async () => {
  const files: Record<string, { body: Uint8Array }> = {};
  for (const f of ['bpe.32000', 'newstest2014.tok.bpe.32000.en', 'newstest2014.tok.bpe.32000.de']) files[f] = { body: await readFile(join(bpeMlperf, f)) };
  for (const f of ['newstest2014.de', 'newstest2014.en']) files[f] = { body: await readFile(join(sharedDir, 'data', 'wmt14', f)) };
  files['model_best.pth'] = { body: await readFile(join(fixtureDir, 'model_best.pth')) };
  const server = await serveFiles(files);
  const dir = await mkdtemp(join(tmpdir(), 'qnmt-cli-dl-'));
  try {
    const dl = await qnmt(['download', '--dir', dir, '--mirror', server.url, '--json']);
    assert.equal(dl.code, 0, dl.stderr);
    const parsed = JSON.parse(dl.stdout) as { files: { name: string; status: string }[] };
    assert.equal(parsed.files.length, 6);
    assert.ok(parsed.files.every((f) => f.status === 'downloaded'));
    assert.match(dl.stderr, /qnmt: model_best\.pth: downloading http:\/\/127\.0\.0\.1/);

    const ok = await qnmt(['verify-data', '--dir', dir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^OK +.*model_best\.pth +sha256 2670a90e.* matches the download record/m);

    await appendFile(join(dir, 'model_best.pth'), Buffer.from([0]));
    const bad = await qnmt(['verify-data', '--dir', dir, '--only', 'model']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^FAILED +.*model_best\.pth +SHA-256 differs from the one recorded at download/m);

    const quiet = await qnmt(['download', '--dir', dir, '--mirror', server.url, '--only', 'data', '--quiet']);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, '');
    assert.match(quiet.stdout, /^present +.*newstest2014\.de +399406 bytes +md5 f6c3818b477e4a25cad68b61cc883c17 OK$/m);

    const help = await qnmt(['download', '--help']);
    assert.match(help.stdout, /Examples:/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
