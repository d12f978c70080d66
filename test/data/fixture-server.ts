/**
 * A local HTTP server on 127.0.0.1 (random port) serving in-memory files, for download tests. It honours
 * `Range: bytes=N-` and can misbehave on purpose: drop the connection after some bytes, or ignore Range.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  readonly body: Uint8Array;
  /** For the first `times` requests of this file, destroy the socket after sending this many body bytes. */
  readonly dropAfter?: { bytes: number; times: number };
  /** Answer 200 with the whole file even when a Range was asked for. */
  readonly ignoreRange?: boolean;
}

export interface RequestLog {
  readonly path: string;
  readonly range: string | undefined;
  readonly status: number;
}

export interface FixtureServer {
  readonly url: string;
  readonly requests: RequestLog[];
  close(): Promise<void>;
}

export async function serveFiles(files: Record<string, ServedFile>): Promise<FixtureServer> {
  const requests: RequestLog[] = [];
  const drops = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.replace(/^\/+/, ''));
    const file = files[path];
    const range = req.headers.range;
    if (!file) {
      requests.push({ path, range, status: 404 });
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const total = file.body.length;
    let start = 0;
    let status = 200;
    const m = range && !file.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= total) {
        requests.push({ path, range, status: 416 });
        res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
        return;
      }
      status = 206;
    }
    requests.push({ path, range, status });
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-length': total - start, 'accept-ranges': 'bytes' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${total - 1}/${total}`;
    res.writeHead(status, headers);
    const body = Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength).subarray(start);
    const dropped = drops.get(path) ?? 0;
    if (file.dropAfter && dropped < file.dropAfter.times) {
      drops.set(path, dropped + 1);
      const n = Math.max(0, Math.min(file.dropAfter.bytes, body.length - 1));
      res.write(body.subarray(0, n), () => {
        // Give the bytes time to reach the client, then cut the connection mid-body. (20 ms was too
        // short on a loaded machine: the client had not read them yet and the drop lost them.)
        setTimeout(() => res.socket?.destroy(), 200);
      });
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
