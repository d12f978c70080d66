/**
 * A minimal zip central-directory reader (with zip64), enough for torch ≥ 1.6 checkpoints. It only locates
 * entries; the caller reads their bytes straight into its own buffers (torch stores entries uncompressed).
 */
import type { FileHandle } from 'node:fs/promises';
import { QnmtError } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

export const zipMagic = [0x50, 0x4b, 0x03, 0x04] as const;

/** Read exactly `target.length` bytes at `position`; a short file is a QnmtError naming `source`. */
export async function readFully(fh: FileHandle, target: Uint8Array, position: number, source: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(target, done, target.length - done, position + done));
    } catch (e) {
      throw new QnmtError('checkpoint/unreadable', `${source}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
    if (bytesRead === 0) throw new QnmtError('checkpoint/truncated', `${source}: truncated file: it ends at byte ${position + done}; the file is incomplete, download or copy it again.`);
    done += bytesRead;
  }
}

/** Read the central directory. Throws QnmtError('checkpoint/bad-zip') when it cannot be found or parsed. */
export async function readZipDirectory(fh: FileHandle, fileSize: number, source: string): Promise<Map<string, ZipEntry>> {
  const bad = (what: string): QnmtError =>
    new QnmtError('checkpoint/bad-zip', `${source}: not a readable zip checkpoint: ${what}; the file may be truncated or corrupt.`);
  const big = (dv: DataView, at: number): number => {
    const v = dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('a zip64 size or offset is too large');
    return Number(v);
  };
  const tailLen = Math.min(fileSize, 22 + 0xffff + 20);
  const tail = new Uint8Array(tailLen);
  await readFully(fh, tail, fileSize - tailLen, source);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== 0x07064b50) throw bad('zip64 locator missing');
    const recOffset = big(tv, loc + 8);
    const rec = new Uint8Array(56);
    if (recOffset + 56 > fileSize) throw bad('zip64 record out of range');
    await readFully(fh, rec, recOffset, source);
    const rv = new DataView(rec.buffer);
    if (rv.getUint32(0, true) !== 0x06064b50) throw bad('zip64 end record missing');
    count = big(rv, 32);
    cdSize = big(rv, 40);
    cdOffset = big(rv, 48);
  }
  if (cdOffset + cdSize > fileSize) throw bad(`central directory (bytes ${cdOffset}..${cdOffset + cdSize}) lies beyond the end of the file (${fileSize} bytes)`);
  const cd = new Uint8Array(cdSize);
  await readFully(fh, cd, cdOffset, source);
  const dv = new DataView(cd.buffer);
  const dec = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let e = 0; e < count; e++) {
    if (p + 46 > cdSize || dv.getUint32(p, true) !== 0x02014b50) throw bad(`central directory entry ${e} is damaged`);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cdSize) throw bad(`central directory entry ${e} runs past the end of the directory`);
    const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: only the fields whose 32-bit value is saturated are present, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) throw bad(`the extra field of entry ${e} runs past its end`);
      if (id === 0x0001) {
        let q = x + 4;
        const field = (): number => {
          if (q + 8 > x + 4 + len) throw bad(`the zip64 field of entry ${e} is too short`);
          const v = big(dv, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = field();
        if (compressedSize === 0xffffffff) compressedSize = field();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = field();
      }
      x += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p = xEnd + commentLen;
  }
  return entries;
}

/** File offset of an entry's data (after its local header). */
export async function entryDataOffset(fh: FileHandle, entry: ZipEntry, fileSize: number, source: string): Promise<number> {
  const hdr = new Uint8Array(30);
  if (entry.localHeaderOffset + 30 > fileSize) {
    throw new QnmtError('checkpoint/truncated', `${source}: truncated file: zip entry ${entry.name} starts beyond the end of the file.`);
  }
  await readFully(fh, hdr, entry.localHeaderOffset, source);
  const dv = new DataView(hdr.buffer);
  if (dv.getUint32(0, true) !== 0x04034b50) {
    throw new QnmtError('checkpoint/bad-zip', `${source}: zip entry ${entry.name} has no local header; the file is corrupt.`);
  }
  const start = entry.localHeaderOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  if (start + entry.compressedSize > fileSize) {
    throw new QnmtError('checkpoint/truncated', `${source}: truncated file: zip entry ${entry.name} needs bytes up to ${start + entry.compressedSize}, the file has ${fileSize}.`);
  }
  return start;
}
