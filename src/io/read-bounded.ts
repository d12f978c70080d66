/**
 * Read a whole input file (or standard input) with a size limit, so that `-i /dev/zero`, a FIFO that never
 * ends or a multi-gigabyte file fails with one clear error instead of exhausting memory. Errors name the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { QnmtError } from '../errors.js';
import { limitError, limits, type Limits } from '../limits.js';
import { fsError } from './safe-write.js';

/** `path` ('-' = standard input) as bytes; more than `limits()[limit]` bytes is a QnmtError (`code`). */
export function readFileBounded(path: string, limit: keyof Limits, code: string): Uint8Array {
  const max = limits()[limit];
  const name = path === '-' ? 'standard input' : path;
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
  } catch (e) {
    throw fsError(code, 'read', name, e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new QnmtError(code, `cannot read ${name}: it is a folder; give a file.`);
    if (st.isFile() && st.size > max) throw limitError(code, name, limit, 'file size in bytes', st.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // A regular file in one read (+1 byte to see that it did not grow); pipes and devices by the MiB.
      const chunk = Buffer.allocUnsafe(st.isFile() ? Math.min(Math.max(st.size - total, 0) + 1, 1 << 26) : 1 << 20);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw fsError(code, 'read', name, e);
      }
      if (n === 0) break;
      total += n;
      if (total > max) throw limitError(code, name, limit, 'input size in bytes', `more than ${max}`);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}
