/**
 * `qnmt verify-data`: MD5 check of the data folder like MLPerf's verify_dataset.sh (one OK/FAILED line
 * per file). Files without a published checksum (the model) are checked against the size/SHA-256
 * recorded by `qnmt download` and, always, for the legacy torch magic number.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { hashFile } from './hash-file.js';
import { checkItem, readDownloadRecord } from './download.js';
import { defaultManifest, extraKnownFiles, selectKind, type ItemKind, type ManifestItem } from './manifest.js';

export type VerifyStatus = 'OK' | 'FAILED' | 'MISSING';

export interface VerifyResult {
  readonly name: string;
  readonly path: string;
  readonly status: VerifyStatus;
  /** False for MLPerf files that are only checked when present (dev/train). */
  readonly required: boolean;
  /** What was compared, or why it failed. */
  readonly detail: string;
  readonly md5?: string;
  readonly sha256?: string;
  readonly size?: number;
}

export interface VerifyOptions {
  readonly dir: string;
  /** Default: defaultManifest (required) plus extraKnownFiles (checked when present). */
  readonly items?: readonly ManifestItem[];
  readonly optionalItems?: readonly ManifestItem[];
  readonly only?: ItemKind;
}

export async function verifyData(options: VerifyOptions): Promise<VerifyResult[]> {
  const dir = resolve(options.dir);
  const required = selectKind(options.items ?? defaultManifest, options.only);
  const optional = selectKind(options.optionalItems ?? extraKnownFiles, options.only);
  const record = await readDownloadRecord(dir);
  const results: VerifyResult[] = [];
  for (const [item, isRequired] of [...required.map((i) => [i, true] as const), ...optional.map((i) => [i, false] as const)]) {
    const path = join(dir, item.name);
    try {
      if (!(await stat(path)).isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (isRequired) results.push({ name: item.name, path, status: 'MISSING', required: true, detail: `not found; run 'qnmt download --dir ${options.dir}'` });
      continue;
    }
    const digest = await hashFile(path);
    const recorded = record.files[item.name];
    const why = await checkItem(item, path, digest, recorded);
    const detail =
      why ??
      (item.md5 !== undefined
        ? `md5 ${digest.md5}`
        : recorded
          ? `sha256 ${digest.sha256} matches the download record (no published checksum)`
          : `sha256 ${digest.sha256}: header looks right, but no checksum is published or recorded`);
    results.push({ name: item.name, path, status: why === undefined ? 'OK' : 'FAILED', required: isRequired, detail, md5: digest.md5, sha256: digest.sha256, size: digest.size });
  }
  return results;
}

/** True when nothing failed; missing required files fail unless `allowMissing` (then at least one file must be checked). */
export function verifyPassed(results: readonly VerifyResult[], allowMissing = false): boolean {
  if (results.some((r) => r.status === 'FAILED')) return false;
  if (allowMissing) return results.some((r) => r.status === 'OK');
  return !results.some((r) => r.status === 'MISSING');
}
