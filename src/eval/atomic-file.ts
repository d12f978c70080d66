/**
 * Atomic file writes: write a temp file in the same folder, fsync, rename over the target, fsync the
 * folder. A reader (or a resumed run after SIGKILL) sees either the old file or the complete new one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const TEMP_SUFFIX = '.tmp';

/** Name of the temp file a writer uses for `file` (exported so tests can simulate a crashed writer). */
export function tempNameFor(file: string): string {
  return `.${file}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
}

export function isTempName(name: string): boolean {
  return name.startsWith('.') || name.endsWith(TEMP_SUFFIX);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, tempNameFor(basename(path)));
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  // Make the rename itself durable (best effort: not every file system lets a directory be fsynced).
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* ignore */
  }
}
