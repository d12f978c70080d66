/** Locations of test data: the fixture bundled in the repo and the project's shared/ folder. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: QNMT_ROOT, else the first folder above this file holding the bundled fixture, else cwd. */
export const repoRoot = process.env['QNMT_ROOT'] ?? findRoot(dirname(fileURLToPath(import.meta.url))) ?? process.cwd();
/** The bundled trained fixture (a copy of shared/fixtures/multi30k-gnmt256). */
export const fixtureDir = join(repoRoot, 'fixtures', 'multi30k-gnmt256');
/** shared/ beside the clone (CI puts a copy there), or QNMT_SHARED. */
export const sharedDir = process.env['QNMT_SHARED'] ?? resolve(repoRoot, '..', 'shared');
export const hasShared = existsSync(join(sharedDir, 'spec'));
/** Small committed fixtures made by tools/ scripts. */
export const testFixtures = join(repoRoot, 'test', 'fixtures');

function findRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'fixtures', 'multi30k-gnmt256'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
