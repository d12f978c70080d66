/**
 * One HTTP(S) download into `<dest>.part`, resumed with a Range request after a dropped connection or
 * an interrupted earlier run, then renamed atomically to `dest`. The caller verifies before renaming by
 * passing `verify`, so a corrupt download never takes the final name.
 */
import { closeSync, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { QnmtError } from '../errors.js';
import { openPartFile, partFileSize, renameIntoPlace } from '../io/safe-write.js';

export interface DownloadProgress {
  /** Bytes in the .part file so far (including bytes resumed from earlier attempts). */
  readonly received: number;
  /** Total size if the server said, else undefined. */
  readonly total: number | undefined;
}

export interface HttpDownloadOptions {
  /** Called often while bytes arrive. */
  readonly onProgress?: (p: DownloadProgress) => void;
  /** Called when a connection dropped and the download resumes (for logging). */
  readonly onRetry?: (info: { attempt: number; received: number; error: string }) => void;
  /** Attempts in a row that bring no new bytes before giving up (default 5). */
  readonly maxStalledAttempts?: number;
  /** Wait before retry n is n × this many ms (default 1000; tests use 0). */
  readonly retryDelayMs?: number;
  /** Check the finished .part before it is renamed; throw to reject it. */
  readonly verify?: (partPath: string) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface HttpDownloadResult {
  readonly bytes: number;
  /** Number of times the download resumed with a Range request (within this call or from an old .part). */
  readonly resumes: number;
}

export function partPath(dest: string): string {
  return `${dest}.part`;
}

/** Size of the .part so far; a link or a non-file at its name is refused (never written through). */
async function sizeOf(path: string): Promise<number> {
  return partFileSize(path);
}

/** Total size from `Content-Range: bytes a-b/N` or `bytes * /N`. */
function totalFromContentRange(header: string | null): number | undefined {
  const m = header ? /\/(\d+)\s*$/.exec(header) : null;
  return m ? Number(m[1]) : undefined;
}

export async function httpDownload(url: string, dest: string, options: HttpDownloadOptions = {}): Promise<HttpDownloadResult> {
  const part = partPath(dest);
  const maxStalled = options.maxStalledAttempts ?? 5;
  const delayMs = options.retryDelayMs ?? 1000;
  let stalled = 0;
  let resumes = 0;
  let attempt = 0;
  for (;;) {
    attempt++;
    const have = await sizeOf(part);
    if (have > 0) resumes++;
    let error: unknown;
    try {
      const done = await oneAttempt(url, part, have, options);
      if (done) break;
    } catch (e) {
      if (e instanceof QnmtError || options.signal?.aborted) throw e;
      error = e;
    }
    const now = await sizeOf(part);
    stalled = now > have ? 1 : stalled + 1;
    const message = describeError(error);
    if (stalled >= maxStalled) {
      throw new QnmtError(
        'download/failed',
        `download of ${url} failed ${stalled} times in a row without progress${now > 0 ? ` (${now} bytes kept in ${part})` : ''}: ${message}. ` +
          (now > 0 ? 'Check the network or proxy and run the same command again: it resumes from the .part file.' : 'Check the network or proxy; without network, copy the files over and use --from DIR (or --mirror URL).'),
      );
    }
    options.onRetry?.({ attempt, received: now, error: message });
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs * Math.min(stalled, 10)));
  }
  if (options.verify) await options.verify(part);
  renameIntoPlace(part, dest);
  return { bytes: await sizeOf(dest), resumes };
}

function describeError(e: unknown): string {
  if (e === undefined) return 'connection closed early';
  const err = e as Error & { cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

/** Returns true when the .part is complete; false (or throws a non-QnmtError) when it should be retried. */
async function oneAttempt(url: string, part: string, have: number, options: HttpDownloadOptions): Promise<boolean> {
  const headers: Record<string, string> = { 'user-agent': 'qnmt-download' };
  if (have > 0) headers['range'] = `bytes=${have}-`;
  const init: RequestInit = { headers, redirect: 'follow' };
  if (options.signal) init.signal = options.signal;
  const res = await fetch(url, init);
  if (res.status === 416 && have > 0) {
    // Range not satisfiable: the .part already holds the whole file (or more, which verify catches).
    await res.body?.cancel();
    const total = totalFromContentRange(res.headers.get('content-range'));
    if (total === undefined || total === have) return true;
    await unlink(part);
    return false;
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    const hint = res.status === 404 ? 'the file is not at that address (use --mirror or --from with a folder that has it)' : 'try again later, or use --mirror/--from';
    // 5xx and 429 may pass; the rest are final.
    if (res.status >= 500 || res.status === 429) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    throw new QnmtError('download/http', `download of ${url} failed: HTTP ${res.status} ${res.statusText}; ${hint}.`);
  }
  let start = have;
  let total: number | undefined;
  const length = res.headers.get('content-length');
  if (res.status === 206) {
    total = totalFromContentRange(res.headers.get('content-range'));
  } else {
    // The server ignored the Range header: start over.
    if (have > 0) closeSync(openPartFile(part, 'truncate'));
    start = 0;
    total = length !== null ? Number(length) : undefined;
  }
  if (!res.body) throw new Error('empty response body');
  let received = start;
  options.onProgress?.({ received, total });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      options.onProgress?.({ received, total });
      cb(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), counter, createWriteStream(part, { fd: openPartFile(part, 'append') }));
  if (total !== undefined && received < total) return false;
  return true;
}
