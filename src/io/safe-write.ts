/**
 * Writes that cannot hurt. Every file qnmt writes (CLI outputs, statistics, result rows, downloads)
 * goes through this module, which follows one policy:
 *
 *   - a new path or an existing regular file is written to a temp file in the same folder, fsynced and
 *     renamed over the target (readers, and a run resumed after a kill, see the old or the whole new file;
 *     an existing file keeps its permission bits);
 *   - a character device or a FIFO (`/dev/null`, `/dev/tty`, a named pipe) is written through, never
 *     replaced; `-`, `/dev/stdout` and `/dev/stderr` are the process's own streams;
 *   - a symbolic link is written through only when it points at such a device or FIFO; a link to a
 *     file, a folder, a block device, a socket or nothing is refused (its target stays untouched);
 *   - no folder is created that the user did not name: a missing parent folder is an error, and
 *     `ensureOutputDir` creates only the one folder it is given;
 *   - a `.part` file (resumable downloads) is opened with O_NOFOLLOW and must be a regular file.
 *
 * Every failure is a QnmtError naming the path and what to do.
 */
import {
  closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { QnmtError } from '../errors.js';

export const TEMP_SUFFIX = '.tmp';

/** Name of the temp file a writer uses for `file` (exported so tests can simulate a crashed writer). */
export function tempNameFor(file: string): string {
  return `.${file}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
}

export function isTempName(name: string): boolean {
  return name.startsWith('.') || name.endsWith(TEMP_SUFFIX);
}

/** The names that mean the process's own standard streams. */
const STANDARD_STREAMS: ReadonlyMap<string, number> = new Map([
  ['-', 1],
  ['/dev/stdout', 1],
  ['/dev/fd/1', 1],
  ['/proc/self/fd/1', 1],
  ['/dev/stderr', 2],
  ['/dev/fd/2', 2],
  ['/proc/self/fd/2', 2],
]);

type Target =
  | { kind: 'stream'; fd: number }
  | { kind: 'device' }
  | { kind: 'replace'; mode: number | undefined };

/** A character device or a FIFO: written through, never replaced. */
function isPassThrough(s: Stats): boolean {
  return s.isCharacterDevice() || s.isFIFO();
}

function describeKind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isFile()) return 'a regular file';
  return 'a special file';
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** A QnmtError for an fs failure on `path`: the system's short reason, without a stack. */
export function fsError(code: string, action: string, path: string, e: unknown, hint = ''): QnmtError {
  const errno = errnoOf(e);
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of the path is not a folder',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EEXIST: 'it already exists',
    ELOOP: 'too many symbolic links (or a link where none is allowed)',
    ENAMETOOLONG: 'the name is too long',
    EMFILE: 'too many open files',
    EIO: 'input/output error',
    EFBIG: 'the file is too large',
    EXDEV: 'not on the same file system',
    ENXIO: 'no process is reading it',
  };
  const reason = (errno && reasons[errno]) ?? (e as Error)?.message ?? String(e);
  return new QnmtError(code, `cannot ${action} ${path}: ${reason}${errno && reasons[errno] ? ` (${errno})` : ''}.${hint ? ` ${hint}` : ''}`);
}

function refuse(path: string, why: string): QnmtError {
  return new QnmtError(
    'io/unsafe-output',
    `refusing to write ${path}: ${why}. qnmt writes only to new paths, regular files, devices such as /dev/null, and pipes; give another output path.`,
  );
}

/** How `path` may be written, or a refusal. Never changes anything. */
function classify(path: string): Target {
  const stream = STANDARD_STREAMS.get(path);
  if (stream !== undefined) return { kind: 'stream', fd: stream };
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw fsError('io/unwritable', 'write', path, e);
    checkParent(path);
    return { kind: 'replace', mode: undefined };
  }
  if (link.isFile()) return { kind: 'replace', mode: link.mode & 0o7777 };
  if (isPassThrough(link)) return { kind: 'device' };
  if (link.isSymbolicLink()) {
    let target: Stats;
    try {
      target = statSync(path);
    } catch {
      throw refuse(path, 'it is a symbolic link that points nowhere');
    }
    if (isPassThrough(target)) return { kind: 'device' };
    throw refuse(path, `it is a symbolic link to ${describeKind(target)}, which would be changed behind the link`);
  }
  if (link.isDirectory()) throw new QnmtError('io/is-folder', `cannot write ${path}: it is a folder; give a file name (for example ${join(path, 'out.txt')}).`);
  throw refuse(path, `it is ${describeKind(link)}`);
}

/**
 * Fail now, before a long computation, if `path` could not be written under the policy above (a link,
 * a folder, a missing parent folder). Changes nothing.
 */
export function checkOutputPath(path: string): void {
  classify(path);
}

/** The folder a new file goes into must already exist: qnmt creates no folders the user did not name. */
function checkParent(path: string): void {
  const dir = dirname(path);
  let s: Stats;
  try {
    s = statSync(dir);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') {
      throw new QnmtError('io/no-folder', `cannot write ${path}: the folder ${dir} does not exist. Create it first (qnmt does not create folders it was not asked for).`);
    }
    throw fsError('io/unwritable', 'write', path, e);
  }
  if (!s.isDirectory()) throw new QnmtError('io/no-folder', `cannot write ${path}: ${dir} is not a folder.`);
}

/** Write all of `bytes` to a blocking or non-blocking descriptor (a FIFO or a pipe may say EAGAIN). */
export function writeAll(fd: number, bytes: Uint8Array, path: string): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (e) {
      if (errnoOf(e) === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      if (errnoOf(e) === 'EPIPE') throw new QnmtError('io/broken-pipe', `cannot write ${path}: the reading end was closed.`);
      throw fsError('io/unwritable', 'write', path, e);
    }
  }
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * One output being written: chunks go to a temp file (renamed over the target by `commit`) or straight
 * to a device, pipe or standard stream. Call `abort` on failure so no temp file stays behind.
 */
export class OutputFile {
  private fd: number | undefined;
  private done = false;

  private constructor(
    readonly path: string,
    private readonly target: Target,
    fd: number,
    private readonly tempPath: string | undefined,
  ) {
    this.fd = fd;
  }

  /** Check `path` against the policy above and open it for writing. */
  static open(path: string): OutputFile {
    const target = classify(path);
    if (target.kind === 'stream') return new OutputFile(path, target, target.fd, undefined);
    if (target.kind === 'device') {
      // Non-blocking open: a FIFO with no reader fails at once (ENXIO) instead of hanging.
      let fd: number;
      try {
        fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      } catch (e) {
        throw fsError('io/unwritable', 'open', path, e, errnoOf(e) === 'ENXIO' ? 'Start the reader of the pipe first.' : '');
      }
      const s = fstatSync(fd);
      if (!isPassThrough(s)) {
        closeSync(fd);
        throw refuse(path, `it changed into ${describeKind(s)} while being opened`);
      }
      return new OutputFile(path, target, fd, undefined);
    }
    const tempPath = join(dirname(path), tempNameFor(basename(path)));
    let fd: number;
    try {
      fd = openSync(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
    } catch (e) {
      throw fsError('io/unwritable', 'write', path, e, `(qnmt writes a temp file in ${dirname(path)} first.)`);
    }
    try {
      if (target.mode !== undefined) fchmodSync(fd, target.mode);
    } catch {
      /* not our file to chmod (another owner): keep the default permissions */
    }
    return new OutputFile(path, target, fd, tempPath);
  }

  write(data: string | Uint8Array): void {
    if (this.fd === undefined || this.done) throw new Error(`OutputFile ${this.path}: write after commit/abort`);
    try {
      writeAll(this.fd, toBytes(data), this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Make the output final: fsync and rename the temp file over the target (or just close a device). */
  commit(): void {
    if (this.done) return;
    this.done = true;
    const fd = this.fd!;
    this.fd = undefined;
    if (this.target.kind === 'stream') return;
    if (this.target.kind === 'device') {
      closeSync(fd);
      return;
    }
    try {
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      this.removeTemp();
      throw fsError('io/unwritable', 'write', this.path, e);
    }
    closeSync(fd);
    try {
      // The target may have changed since it was checked: never rename over a link or a device.
      const now = classify(this.path);
      if (now.kind !== 'replace') throw refuse(this.path, 'it was replaced by a link or a device while qnmt was writing');
      renameSync(this.tempPath!, this.path);
    } catch (e) {
      this.removeTemp();
      throw e instanceof QnmtError ? e : fsError('io/unwritable', 'write', this.path, e);
    }
    syncFolder(dirname(this.path));
  }

  /** Drop what was written (the temp file); a device or stream just stops being written. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (this.fd !== undefined && this.target.kind !== 'stream') {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    this.fd = undefined;
    this.removeTemp();
  }

  private removeTemp(): void {
    if (this.tempPath === undefined) return;
    try {
      unlinkSync(this.tempPath);
    } catch {
      /* already gone */
    }
  }
}

/** Make a rename durable (best effort: not every file system lets a folder be fsynced). */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* ignore */
  }
}

/** Write `data` to `path` under the policy above (atomic for regular files). */
export function writeOutputFileSync(path: string, data: string | Uint8Array): void {
  const out = OutputFile.open(path);
  out.write(data);
  out.commit();
}

/** Async form of writeOutputFileSync for callers that are async anyway. */
export async function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  writeOutputFileSync(path, data);
}

/**
 * Make sure the output folder `dir` exists: created when missing, but only it (its parent must
 * exist); an existing non-folder is an error.
 */
export function ensureOutputDir(dir: string): void {
  let s: Stats | undefined;
  try {
    s = statSync(dir);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw fsError('io/unwritable', 'use the folder', dir, e);
  }
  if (s) {
    if (!s.isDirectory()) throw new QnmtError('io/not-folder', `${dir} exists and is not a folder; give a folder path (a new or an existing folder).`);
    return;
  }
  checkParent(dir);
  try {
    mkdirSync(dir);
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw fsError('io/unwritable', 'create the folder', dir, e);
    ensureOutputDir(dir);
  }
}

/** Size of the regular file at `path` (0 when missing); a link or a non-file is refused. */
export function partFileSize(path: string): number {
  let s: Stats;
  try {
    s = lstatSync(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return 0;
    throw fsError('io/unwritable', 'use', path, e);
  }
  if (!s.isFile()) {
    throw new QnmtError(
      'io/unsafe-part',
      `refusing to use ${path}: it is ${s.isSymbolicLink() ? 'a symbolic link' : describeKind(s)}, not a partial download qnmt wrote. Remove it and run the command again.`,
    );
  }
  return s.size;
}

/**
 * Open a `.part` file for writing without following a symbolic link at its name (O_NOFOLLOW): `append`
 * continues a resumable download, `truncate` starts it over. Returns the descriptor.
 */
export function openPartFile(path: string, how: 'append' | 'truncate'): number {
  partFileSize(path);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (how === 'append' ? constants.O_APPEND : constants.O_TRUNC);
  try {
    return openSync(path, flags, 0o666);
  } catch (e) {
    throw fsError('io/unwritable', 'write', path, e, errnoOf(e) === 'ELOOP' ? 'It is a symbolic link; remove it and run the command again.' : '');
  }
}

/**
 * Rename a finished temp or `.part` file to its final name, which must be new or a regular file
 * (a link there is refused, so its target is never replaced).
 */
export function renameIntoPlace(from: string, to: string): void {
  const target = classify(to);
  if (target.kind !== 'replace') throw refuse(to, 'a finished file can only take the place of a regular file or a new name');
  try {
    renameSync(from, to);
  } catch (e) {
    throw fsError('io/unwritable', 'write', to, e);
  }
  syncFolder(dirname(to));
}
