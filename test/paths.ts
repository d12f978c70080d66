/** Locations of test data: the fixture bundled in the repo and the project's shared/ folder. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/, two levels below it). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundled trained fixture (a copy of shared/fixtures/multi30k-gnmt256). */
export const fixtureDir = join(repoRoot, 'fixtures', 'multi30k-gnmt256');
/** shared/ beside the clone (CI puts a copy there), or QNMT_SHARED. */
export const sharedDir = process.env['QNMT_SHARED'] ?? resolve(repoRoot, '..', 'shared');
export const hasShared = existsSync(join(sharedDir, 'spec'));
/** Small committed fixtures made by tools/ scripts. */
export const testFixtures = join(repoRoot, 'test', 'fixtures');
