import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QnmtError } from '../../src/errors.js';
import { OutputFile, ensureOutputDir, openPartFile, partFileSize, renameIntoPlace, writeOutputFileSync } from '../../src/io/safe-write.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'qnmt-safe-write-'));

function throwsCode(fn: () => unknown, code: string): QnmtError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QnmtError, `expected a QnmtError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('a new file is written whole and no temp file stays behind', () => {
  const dir = fresh();
  writeOutputFileSync(join(dir, 'out.txt'), 'hello\n');
  assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'hello\n');
  assert.deepEqual(readdirSync(dir), ['out.txt']);
});

test('an existing regular file is replaced and keeps its permission bits', () => {
  const dir = fresh();
  const path = join(dir, 'out.txt');
  writeFileSync(path, 'old');
  chmodSync(path, 0o600);
  writeOutputFileSync(path, 'new');
  assert.equal(readFileSync(path, 'utf8'), 'new');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['out.txt']);
});

test('a missing parent folder is an error and no folder is created', () => {
  const dir = fresh();
  const e = throwsCode(() => writeOutputFileSync(join(dir, 'a', 'b', 'out.txt'), 'x'), 'io/no-folder');
  assert.match(e.message, /does not exist/);
  assert.deepEqual(readdirSync(dir), []);
});

test('a symbolic link to a file is refused; the link and its target stay unchanged', () => {
  const dir = fresh();
  const target = join(dir, 'precious.txt');
  writeFileSync(target, 'keep me');
  const link = join(dir, 'link.txt');
  symlinkSync(target, link);
  throwsCode(() => writeOutputFileSync(link, 'overwrite'), 'io/unsafe-output');
  assert.equal(readFileSync(target, 'utf8'), 'keep me');
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readlinkSync(link), target);
  assert.deepEqual(readdirSync(dir).sort(), ['link.txt', 'precious.txt']);
});

test('a dangling link and a link to a folder are refused without creating anything', () => {
  const dir = fresh();
  symlinkSync(join(dir, 'nowhere.txt'), join(dir, 'dangling'));
  throwsCode(() => writeOutputFileSync(join(dir, 'dangling'), 'x'), 'io/unsafe-output');
  assert.equal(existsSync(join(dir, 'nowhere.txt')), false);
  mkdirSync(join(dir, 'sub'));
  symlinkSync(join(dir, 'sub'), join(dir, 'to-sub'));
  throwsCode(() => writeOutputFileSync(join(dir, 'to-sub'), 'x'), 'io/unsafe-output');
  assert.deepEqual(readdirSync(join(dir, 'sub')), []);
});

test('a folder as output is an error that says to give a file name', () => {
  const dir = fresh();
  assert.match(throwsCode(() => writeOutputFileSync(dir, 'x'), 'io/is-folder').message, /give a file name/);
});

test('a link to /dev/null is written through; /dev/null stays a character device', () => {
  const dir = fresh();
  const link = join(dir, 'null');
  symlinkSync('/dev/null', link);
  writeOutputFileSync(link, 'discarded');
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.ok(statSync('/dev/null').isCharacterDevice());
  assert.deepEqual(readdirSync(dir), ['null']);
});

test('a full device gives one clean error (ENOSPC)', () => {
  const dir = fresh();
  const link = join(dir, 'full');
  symlinkSync('/dev/full', link);
  assert.match(throwsCode(() => writeOutputFileSync(link, 'x'.repeat(1 << 16)), 'io/unwritable').message, /no space left/);
  assert.ok(statSync('/dev/full').isCharacterDevice());
});

test('a FIFO is written through to its reader, and a FIFO nobody reads fails at once', async () => {
  const dir = fresh();
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  throwsCode(() => writeOutputFileSync(fifo, 'x'), 'io/unwritable');
  const reader = spawn('cat', [fifo]);
  let got = '';
  reader.stdout.on('data', (d: Buffer) => (got += d.toString()));
  const closed = new Promise((r) => reader.on('close', r));
  // The reader needs a moment to open its end; retry until it has.
  for (let i = 0; ; i++) {
    try {
      writeOutputFileSync(fifo, 'through the pipe\n');
      break;
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  await closed;
  assert.equal(got, 'through the pipe\n');
  assert.ok(lstatSync(fifo).isFIFO());
});

test('OutputFile.abort leaves no temp file and does not touch the target', () => {
  const dir = fresh();
  const path = join(dir, 'out.txt');
  writeFileSync(path, 'old');
  const out = OutputFile.open(path);
  out.write('partial');
  out.abort();
  assert.equal(readFileSync(path, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['out.txt']);
});

test('ensureOutputDir creates only the named folder', () => {
  const dir = fresh();
  ensureOutputDir(join(dir, 'out'));
  assert.ok(statSync(join(dir, 'out')).isDirectory());
  ensureOutputDir(join(dir, 'out'));
  throwsCode(() => ensureOutputDir(join(dir, 'x', 'y')), 'io/no-folder');
  assert.equal(existsSync(join(dir, 'x')), false);
  writeFileSync(join(dir, 'file'), '');
  throwsCode(() => ensureOutputDir(join(dir, 'file')), 'io/not-folder');
});

test('a .part that is a symbolic link is refused and its target is never written', () => {
  const dir = fresh();
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'keep');
  const part = join(dir, 'model.pth.part');
  symlinkSync(victim, part);
  throwsCode(() => partFileSize(part), 'io/unsafe-part');
  throwsCode(() => openPartFile(part, 'append'), 'io/unsafe-part');
  throwsCode(() => openPartFile(part, 'truncate'), 'io/unsafe-part');
  assert.equal(readFileSync(victim, 'utf8'), 'keep');
});

test('renameIntoPlace refuses to replace a link', () => {
  const dir = fresh();
  writeFileSync(join(dir, 'target'), 'keep');
  symlinkSync(join(dir, 'target'), join(dir, 'final'));
  writeFileSync(join(dir, 'final.part'), 'new');
  throwsCode(() => renameIntoPlace(join(dir, 'final.part'), join(dir, 'final')), 'io/unsafe-output');
  assert.ok(lstatSync(join(dir, 'final')).isSymbolicLink());
  assert.equal(readFileSync(join(dir, 'target'), 'utf8'), 'keep');
});
