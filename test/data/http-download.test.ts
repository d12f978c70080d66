import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpDownload, partPath } from '../../src/data/http-download.js';
import { QnmtError } from '../../src/errors.js';
import { serveFiles } from './fixture-server.js';

/** 300 kB of deterministic pseudo-random bytes (content does not matter, only that it arrives intact). */
function payload(n = 300_000): Uint8Array {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a connection dropped mid-file is resumed with a Range request and completes intact', async () => {
  const body = payload();
  const server = await serveFiles({ 'f.bin': { body, dropAfter: { bytes: 100_000, times: 2 } } });
  const dir = await mkdtemp(join(tmpdir(), 'qnmt-dl-'));
  try {
    const dest = join(dir, 'f.bin');
    const retries: number[] = [];
    const res = await httpDownload(`${server.url}/f.bin`, dest, { retryDelayMs: 0, onRetry: (r) => retries.push(r.received) });
    assert.equal(sha(await readFile(dest)), sha(body));
    assert.equal(res.bytes, body.length);
    assert.equal(res.resumes, 2);
    assert.equal(retries.length, 2);
    assert.ok(retries[0]! > 0 && retries[0]! < body.length, `first drop kept ${retries[0]} bytes`);
    // The 2nd and 3rd requests asked for exactly the bytes still missing.
    assert.equal(server.requests.length, 3);
    assert.equal(server.requests[0]!.range, undefined);
    assert.equal(server.requests[1]!.range, `bytes=${retries[0]}-`);
    assert.equal(server.requests[1]!.status, 206);
    assert.equal(server.requests[2]!.range, `bytes=${retries[1]}-`);
    await assert.rejects(stat(partPath(dest)), /ENOENT/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a .part left by an interrupted earlier run is resumed, not restarted', async () => {
  const body = payload();
  const server = await serveFiles({ 'f.bin': { body } });
  const dir = await mkdtemp(join(tmpdir(), 'qnmt-dl-'));
  try {
    const dest = join(dir, 'f.bin');
    await writeFile(partPath(dest), body.subarray(0, 123_456));
    const res = await httpDownload(`${server.url}/f.bin`, dest, { retryDelayMs: 0 });
    assert.equal(sha(await readFile(dest)), sha(body));
    assert.equal(res.resumes, 1);
    assert.deepEqual(server.requests.map((r) => [r.range, r.status]), [['bytes=123456-', 206]]);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a server that ignores Range gets the file from the start (no duplicated bytes)', async () => {
  const body = payload();
  const server = await serveFiles({ 'f.bin': { body, ignoreRange: true } });
  const dir = await mkdtemp(join(tmpdir(), 'qnmt-dl-'));
  try {
    const dest = join(dir, 'f.bin');
    await writeFile(partPath(dest), body.subarray(0, 5000));
    await httpDownload(`${server.url}/f.bin`, dest, { retryDelayMs: 0 });
    assert.equal(sha(await readFile(dest)), sha(body));
    assert.equal(server.requests[0]!.status, 200);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a complete .part (416 on resume) is accepted; a 404 is a user error naming the URL', async () => {
  const body = payload(1000);
  const server = await serveFiles({ 'f.bin': { body } });
  const dir = await mkdtemp(join(tmpdir(), 'qnmt-dl-'));
  try {
    const dest = join(dir, 'f.bin');
    await writeFile(partPath(dest), body);
    await httpDownload(`${server.url}/f.bin`, dest, { retryDelayMs: 0 });
    assert.equal(sha(await readFile(dest)), sha(body));
    assert.equal(server.requests[0]!.status, 416);
    await assert.rejects(httpDownload(`${server.url}/nope.bin`, join(dir, 'nope.bin'), { retryDelayMs: 0 }), (e: unknown) => {
      assert.ok(e instanceof QnmtError);
      assert.match(e.message, /nope\.bin.*HTTP 404/);
      return true;
    });
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a server that keeps dropping without progress makes download give up, keeping the .part', async () => {
  const body = payload(10_000);
  const server = await serveFiles({ 'f.bin': { body, dropAfter: { bytes: 0, times: 100 } } });
  const dir = await mkdtemp(join(tmpdir(), 'qnmt-dl-'));
  try {
    const dest = join(dir, 'f.bin');
    await assert.rejects(httpDownload(`${server.url}/f.bin`, dest, { retryDelayMs: 0, maxStalledAttempts: 3 }), /failed 3 times in a row without progress: .*use --from DIR/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
