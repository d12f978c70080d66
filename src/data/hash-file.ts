/** Streaming file digests (MD5 as MLPerf's verify_dataset.sh uses, SHA-256 for our own records). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

export interface FileDigest {
  readonly size: number;
  readonly md5: string;
  readonly sha256: string;
}

/** MD5 and SHA-256 of a file in one pass. */
export async function hashFile(path: string): Promise<FileDigest> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    md5.update(buf);
    sha256.update(buf);
    size += buf.length;
  }
  return { size, md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

/** True when the file starts with `magic`. */
export async function startsWith(path: string, magic: Uint8Array): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(magic.length);
    const { bytesRead } = await fh.read(buf, 0, magic.length, 0);
    return bytesRead === magic.length && buf.equals(Buffer.from(magic));
  } finally {
    await fh.close();
  }
}
