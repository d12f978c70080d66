/**
 * Where the repository's `data/` folder (Moses nonbreaking-prefix lists, …) is at run time.
 *
 * The code runs from `src/` (ts sources), `dist/src/` (the build) or a private build folder, so the folder is
 * searched for, not computed: QNMT_ROOT/data if set, else the first `data/` folder holding the marker above
 * this module, else `<cwd>/data`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARKER = join('moses-nonbreaking-prefixes', 'nonbreaking_prefix.en');
let cached: string | undefined;

/** Absolute path of `<repo>/data`, joined with `parts`. */
export function dataPath(...parts: string[]): string {
  cached ??= findDataDir();
  return join(cached, ...parts);
}

function findDataDir(): string {
  const env = process.env['QNMT_ROOT'];
  if (env && existsSync(join(env, 'data', MARKER))) return join(env, 'data');
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'data', MARKER))) return join(dir, 'data');
    if (dirname(dir) === dir) break;
  }
  return join(process.cwd(), 'data');
}
