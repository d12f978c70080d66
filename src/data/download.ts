/**
 * `qnmt download`: fetch (or copy with `from`) every manifest item into one flat folder, verify it, and
 * record size/MD5/SHA-256 in `qnmt-download.json` (the only checksum the model gets, see manifest.ts).
 * Files already present and valid are kept; everything lands under its final name only after it
 * passed verification (write `.part`, verify, rename).
 */
import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import { closeSync, constants } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { QnmtError } from '../errors.js';
import { ensureOutputDir, fsError, openPartFile, partFileSize, renameIntoPlace, writeAll, writeOutputFile } from '../io/safe-write.js';
import { hashFile, startsWith, type FileDigest } from './hash-file.js';
import { httpDownload, partPath, type DownloadProgress } from './http-download.js';
import { defaultManifest, mirrorManifest, selectKind, type ArchiveSource, type ItemKind, type ManifestItem } from './manifest.js';

/** Written into the download folder; verify-data compares against it for items without a published checksum. */
export const downloadRecordName = 'qnmt-download.json';

export interface RecordedFile {
  readonly size: number;
  readonly md5: string;
  readonly sha256: string;
  readonly source: string;
  readonly recorded_at: string;
}

export interface DownloadRecord {
  files: Record<string, RecordedFile>;
}

export type FileStatus = 'downloaded' | 'extracted' | 'copied' | 'present';

export interface FileOutcome {
  readonly name: string;
  readonly kind: ItemKind;
  readonly path: string;
  readonly status: FileStatus;
  readonly size: number;
  readonly md5: string;
  readonly sha256: string;
  /** 'md5' = matched a published MD5; 'recorded' = no published checksum, digest recorded now or matched the record. */
  readonly checked: 'md5' | 'recorded';
  readonly source: string;
  /** Range resumes that were needed (dropped connections or an earlier interrupted run). */
  readonly resumes: number;
}

export interface DownloadOptions {
  readonly dir: string;
  /** Default: defaultManifest. */
  readonly items?: readonly ManifestItem[];
  readonly only?: ItemKind;
  /** Copy from this local folder (flat file names, or the archive file) instead of downloading. */
  readonly from?: string;
  /** Base URL replacing every source: files are fetched flat as `${mirror}/${name}`. */
  readonly mirror?: string;
  readonly onProgress?: (label: string, p: DownloadProgress) => void;
  /** Human-readable step messages (the CLI logs them). */
  readonly onMessage?: (message: string) => void;
  readonly retryDelayMs?: number;
  readonly maxStalledAttempts?: number;
}

export async function readDownloadRecord(dir: string): Promise<DownloadRecord> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, downloadRecordName), 'utf8')) as DownloadRecord;
    return parsed && typeof parsed.files === 'object' ? parsed : { files: {} };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { files: {} };
    throw new QnmtError('download/record', `cannot read ${join(dir, downloadRecordName)}: ${(e as Error).message}. Delete it and run 'qnmt download' again.`);
  }
}

async function writeDownloadRecord(dir: string, record: DownloadRecord): Promise<void> {
  await writeOutputFile(join(dir, downloadRecordName), JSON.stringify(record, null, 2) + '\n');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `digest` of the file at `path` is not `item`, or undefined when it is fine. `recorded` is the
 * digest recorded at an earlier download (for items without a published checksum).
 */
export async function checkItem(item: ManifestItem, path: string, digest: FileDigest, recorded?: RecordedFile): Promise<string | undefined> {
  if (item.md5 !== undefined) {
    return digest.md5 === item.md5 ? undefined : `MD5 mismatch: expected ${item.md5} (${item.checksumSource}), found ${digest.md5}`;
  }
  if (item.magic && !(await startsWith(path, item.magic))) {
    return 'does not start with the legacy torch.save magic number (an HTML error page, a truncated or a different file?)';
  }
  if (recorded && (recorded.sha256 !== digest.sha256 || recorded.size !== digest.size)) {
    return `SHA-256 differs from the one recorded at download (${recorded.sha256}, ${recorded.size} bytes), found ${digest.sha256} (${digest.size} bytes)`;
  }
  return undefined;
}

function corrupt(item: ManifestItem, where: string, source: string, why: string): QnmtError {
  return new QnmtError(
    'download/corrupt',
    `corrupted file ${item.name} (${where}, from ${source}): ${why}. ` +
      `The bad copy was not kept; run 'qnmt download' again, or pass --from/--mirror with a good copy.`,
  );
}

export async function download(options: DownloadOptions): Promise<FileOutcome[]> {
  const dir = resolve(options.dir);
  ensureOutputDir(dir);
  let items = selectKind(options.items ?? defaultManifest, options.only);
  if (options.mirror !== undefined && options.from === undefined) items = mirrorManifest(items, options.mirror);
  const record = await readDownloadRecord(dir);
  const say = options.onMessage ?? (() => {});
  const outcomes: FileOutcome[] = [];

  const finish = async (item: ManifestItem, status: FileStatus, source: string, resumes: number): Promise<FileOutcome> => {
    const path = join(dir, item.name);
    const digest = await hashFile(path);
    record.files[item.name] = { size: digest.size, md5: digest.md5, sha256: digest.sha256, source, recorded_at: new Date().toISOString() };
    await writeDownloadRecord(dir, record);
    const outcome: FileOutcome = {
      name: item.name, kind: item.kind, path, status, size: digest.size, md5: digest.md5, sha256: digest.sha256,
      checked: item.md5 !== undefined ? 'md5' : 'recorded', source, resumes,
    };
    outcomes.push(outcome);
    return outcome;
  };

  /** Verifier for a .part about to become `item`. */
  const verifier = (item: ManifestItem, source: string) => async (part: string): Promise<void> => {
    const why = await checkItem(item, part, await hashFile(part));
    if (why !== undefined) {
      await rm(part, { force: true });
      throw corrupt(item, part, source, why);
    }
  };

  // 1. Files already there and valid are kept.
  const todo: ManifestItem[] = [];
  for (const item of items) {
    const path = join(dir, item.name);
    if (!(await exists(path))) {
      todo.push(item);
      continue;
    }
    const digest = await hashFile(path);
    const why = await checkItem(item, path, digest, record.files[item.name]);
    if (why === undefined) {
      const rec = record.files[item.name];
      outcomes.push({
        name: item.name, kind: item.kind, path, status: 'present', size: digest.size, md5: digest.md5, sha256: digest.sha256,
        checked: item.md5 !== undefined ? 'md5' : 'recorded', source: rec?.source ?? 'already present', resumes: 0,
      });
      if (!rec) {
        record.files[item.name] = { size: digest.size, md5: digest.md5, sha256: digest.sha256, source: 'already present', recorded_at: new Date().toISOString() };
        await writeDownloadRecord(dir, record);
      }
      say(`${item.name}: present and valid, kept`);
    } else {
      say(`${item.name}: existing file is bad (${why}); fetching it again`);
      todo.push(item);
    }
  }

  // 2. Direct files: copy from --from or download.
  const byArchive = new Map<string, { archive: ArchiveSource; items: ManifestItem[] }>();
  for (const item of todo) {
    const direct = options.from !== undefined ? join(resolve(options.from), item.name) : item.url;
    if (options.from !== undefined && !(await exists(direct!)) && item.archive) {
      addToArchive(byArchive, item);
      continue;
    }
    if (direct === undefined) {
      addToArchive(byArchive, item);
      continue;
    }
    const dest = join(dir, item.name);
    if (options.from !== undefined) {
      if (!(await exists(direct))) {
        throw new QnmtError('download/from-missing', `--from ${options.from}: ${item.name} is not there (expected ${direct}${item.archive ? ` or ${join(resolve(options.from), item.archive.name)}` : ''}). Put the file there or drop --from to download it.`);
      }
      say(`${item.name}: copying from ${direct}`);
      await copyToPart(direct, partPath(dest));
      await verifier(item, direct)(partPath(dest));
      renameIntoPlace(partPath(dest), dest);
      await finish(item, 'copied', direct, 0);
    } else {
      say(`${item.name}: downloading ${direct}`);
      const res = await httpDownload(direct, dest, {
        onProgress: (p) => options.onProgress?.(item.name, p),
        onRetry: (r) => say(retryMessage(item.name, r)),
        verify: verifier(item, direct),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        ...(options.maxStalledAttempts !== undefined ? { maxStalledAttempts: options.maxStalledAttempts } : {}),
      });
      await finish(item, 'downloaded', direct, res.resumes);
    }
  }

  // 3. Files that come out of an archive.
  for (const { archive, items: members } of byArchive.values()) {
    let zipPath: string;
    let source: string;
    let resumes = 0;
    let temporary = false;
    const local = options.from !== undefined ? join(resolve(options.from), archive.name) : undefined;
    if (local !== undefined) {
      if (!(await exists(local))) {
        throw new QnmtError('download/from-missing', `--from ${options.from}: neither ${members.map((m) => m.name).join(', ')} nor ${archive.name} is there. Put them there or drop --from to download them.`);
      }
      zipPath = local;
      source = local;
    } else {
      const cache = join(dir, '.downloads');
      ensureOutputDir(cache);
      zipPath = join(cache, archive.name);
      source = archive.url;
      temporary = true;
      if (!(await exists(zipPath))) {
        say(`${archive.name}: downloading ${archive.url} (for ${members.map((m) => m.name).join(', ')})`);
        const res = await httpDownload(archive.url, zipPath, {
          onProgress: (p) => options.onProgress?.(archive.name, p),
          onRetry: (r) => say(retryMessage(archive.name, r)),
          ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
          ...(options.maxStalledAttempts !== undefined ? { maxStalledAttempts: options.maxStalledAttempts } : {}),
        });
        resumes = res.resumes;
      }
    }
    const extracted = extractMembers(await readFile(zipPath), members, zipPath);
    try {
      for (const item of members) {
        const dest = join(dir, item.name);
        writePart(partPath(dest), extracted.get(item.name)!);
        await verifier(item, `${source} (${item.member ?? item.name})`)(partPath(dest));
        renameIntoPlace(partPath(dest), dest);
        say(`${item.name}: extracted from ${archive.name}`);
        await finish(item, local !== undefined ? 'copied' : 'extracted', `${source}#${item.member ?? item.name}`, resumes);
      }
    } finally {
      // A bad archive must not be reused by the next run; a good one is no longer needed.
      if (temporary) await rm(zipPath, { force: true });
    }
  }

  const order = new Map(items.map((item, i) => [item.name, i]));
  return outcomes.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
}

/** Copy `from` to a fresh `.part` (a link at the .part name is refused, never followed). */
async function copyToPart(from: string, part: string): Promise<void> {
  partFileSize(part);
  await rm(part, { force: true });
  try {
    await copyFile(from, part, constants.COPYFILE_EXCL);
  } catch (e) {
    throw fsError('download/copy', 'copy to', part, e);
  }
}

function writePart(part: string, bytes: Uint8Array): void {
  const fd = openPartFile(part, 'truncate');
  try {
    writeAll(fd, bytes, part);
  } finally {
    closeSync(fd);
  }
}

function retryMessage(label: string, r: { attempt: number; received: number; error: string }): string {
  return r.received > 0
    ? `${label}: connection lost after ${r.received} bytes (${r.error}); resuming`
    : `${label}: attempt ${r.attempt} failed (${r.error}); retrying`;
}

function addToArchive(map: Map<string, { archive: ArchiveSource; items: ManifestItem[] }>, item: ManifestItem): void {
  if (!item.archive) throw new Error(`manifest item ${item.name} has neither url nor archive`);
  const entry = map.get(item.archive.url) ?? { archive: item.archive, items: [] };
  entry.items.push(item);
  map.set(item.archive.url, entry);
}

/** Members by item name; matched on the full member path, else on the base name. */
export function extractMembers(zip: Uint8Array, items: readonly ManifestItem[], zipPath: string): Map<string, Uint8Array> {
  const wanted = new Set(items.flatMap((i) => [i.member ?? i.name, basename(i.member ?? i.name)]));
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, { filter: (f) => wanted.has(f.name) || wanted.has(basename(f.name)) });
  } catch (e) {
    throw new QnmtError('download/bad-archive', `${zipPath} is not a readable zip archive (${(e as Error).message}). Delete it and run 'qnmt download' again.`);
  }
  const names = Object.keys(files);
  const out = new Map<string, Uint8Array>();
  for (const item of items) {
    const member = item.member ?? item.name;
    const hit = files[member] ?? names.filter((n) => basename(n) === basename(member)).map((n) => files[n]!)[0];
    if (!hit) {
      throw new QnmtError('download/archive-member', `${zipPath} has no member ${member} (needed for ${item.name}). Use --from with a folder holding ${item.name}.`);
    }
    out.set(item.name, hit);
  }
  return out;
}
