/** CLI outputs under the safe-write policy: links and devices are never replaced, no folder is invented. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run-cli.js';
import { writeSyntheticSweep } from '../../report/synthetic-sweep.js';
import { repoRoot, testFixtures } from '../../paths.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'qnmt-safe-output-'));
const tiny = join(testFixtures, 'gnmt-tiny', 'tiny.zip.pth');

function oneCleanError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^qnmt: error: /);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('report -o onto a link to a file is refused; the target is unchanged', async () => {
  const dir = fresh();
  await writeSyntheticSweep(join(dir, 'runs'));
  writeFileSync(join(dir, 'precious'), 'keep');
  symlinkSync(join(dir, 'precious'), join(dir, 'link.html'));
  oneCleanError(runCli(['report', join(dir, 'runs'), '-o', join(dir, 'link.html'), '-q']), /symbolic link/);
  assert.equal(readFileSync(join(dir, 'precious'), 'utf8'), 'keep');
  assert.ok(lstatSync(join(dir, 'link.html')).isSymbolicLink());
});

test('report -o through a link to /dev/null writes through it; the device stays', async () => {
  const dir = fresh();
  await writeSyntheticSweep(join(dir, 'runs'));
  symlinkSync('/dev/null', join(dir, 'null'));
  const r = runCli(['report', join(dir, 'runs'), '-o', join(dir, 'null'), '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(lstatSync(join(dir, 'null')).isSymbolicLink());
  assert.ok(statSync('/dev/null').isCharacterDevice());
});

test('report and calibrate do not create missing folders', async () => {
  const dir = fresh();
  await writeSyntheticSweep(join(dir, 'runs'));
  oneCleanError(runCli(['report', join(dir, 'runs'), '-o', join(dir, 'new', 'r.html'), '-q']), /does not exist/);
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'a man runs\n');
  oneCleanError(runCli(['calibrate', '-m', tiny, '-i', input, '-o', join(dir, 'new', 'stats.yaml'), '-q']), /does not exist/);
  assert.equal(existsSync(join(dir, 'new')), false);
});

test('translate -o onto a link is refused before any work; sweep -o onto a file is one clean error', () => {
  const dir = fresh();
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'a man runs\n');
  writeFileSync(join(dir, 'precious'), 'keep');
  symlinkSync(join(dir, 'precious'), join(dir, 'out.de'));
  oneCleanError(runCli(['translate', '-m', tiny, '-i', input, '-o', join(dir, 'out.de'), '-q']), /symbolic link/);
  assert.equal(readFileSync(join(dir, 'precious'), 'utf8'), 'keep');
  oneCleanError(runCli(['sweep', '-m', tiny, '-i', input, '-r', input, '-c', 'examples/int8-sym.yaml', '-o', join(dir, 'precious'), '-q']), /not a folder/);
  assert.equal(readFileSync(join(dir, 'precious'), 'utf8'), 'keep');
  assert.deepEqual(readdirSync(dir).sort(), ['in.txt', 'out.de', 'precious']);
});

test('a full standard output is one clean error with exit 1', () => {
  const mainJs = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');
  const full = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [mainJs, 'tokenize', '-l', 'en', '-q'], { input: 'A man runs.\n'.repeat(20000), cwd: repoRoot, stdio: ['pipe', full, 'pipe'], encoding: 'utf8' });
    oneCleanError({ code: r.status ?? -1, stderr: r.stderr }, /no space left/);
  } finally {
    closeSync(full);
  }
});
