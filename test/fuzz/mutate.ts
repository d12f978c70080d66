/**
 * Seeded mutations of checkpoints and YAML files for the fuzz harness (quick run in `npm test`, long run
 * in bench/fuzz.ts). Everything is a pure function of the seed, so a failing case can be replayed.
 */

/** mulberry32: a small, fast, seedable PRNG returning [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

/** Byte ranges worth mutating more often than the tensor payload. */
export interface Regions {
  /** The pickle(s): legacy header, or the zip's data.pkl entry. */
  readonly pickle: [number, number];
  /** The zip central directory + end record (empty for legacy files). */
  readonly directory: [number, number];
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);

/** Where the pickle and the zip directory are in a torch file (by simple scanning, good enough for fixtures). */
export function findRegions(b: Uint8Array): Regions {
  const isZip = b[0] === 0x50 && b[1] === 0x4b;
  if (!isZip) {
    // Legacy: the pickles come first; the storages follow the last pickle's STOP (0x2e) before the data.
    // Mutating the first 8 KiB (or the whole file if smaller) covers them in the fixtures.
    return { pickle: [0, Math.min(b.length, 8192)], directory: [0, 0] };
  }
  let eocd = -1;
  for (let i = b.length - 22; i >= 0; i--) if (u32(b, i) === 0x06054b50) { eocd = i; break; }
  const cdOffset = eocd >= 0 ? u32(b, eocd + 16) : b.length;
  let pickle: [number, number] = [0, Math.min(b.length, 4096)];
  for (let p = 0; p + 30 < b.length; ) {
    if (u32(b, p) !== 0x04034b50) break;
    const csize = u32(b, p + 18);
    const nameLen = u16(b, p + 26);
    const extraLen = u16(b, p + 28);
    const name = new TextDecoder().decode(b.subarray(p + 30, p + 30 + nameLen));
    const start = p + 30 + nameLen + extraLen;
    if (name.endsWith('data.pkl')) { pickle = [start, start + csize]; break; }
    p = start + csize;
  }
  return { pickle, directory: [Math.min(cdOffset, b.length), b.length] };
}

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
const INTERESTING_INT32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0x40000000, 0xffff, 0x10000, 1 << 24, 3];
/** Pickle opcodes (protocol 0–5), so a replaced byte is often a meaningful instruction. */
const OPCODES = [...'(.0123FGIJKLMNPQRSTUVXabcdeghijlmopqrstu}])'].map((c) => c.charCodeAt(0))
  .concat([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98]);

function at(r: Rand, region: [number, number], len: number): number {
  const [a, b] = region;
  return b - a > 0 && r() < 0.8 ? a + int(r, b - a) : int(r, Math.max(1, len));
}

function writeInt32(b: Uint8Array, pos: number, v: number): void {
  for (let i = 0; i < 4 && pos + i < b.length; i++) b[pos + i] = (v >>> (8 * i)) & 0xff;
}

/** The checkpoint mutation kinds (each case applies one to three). */
export const CHECKPOINT_MUTATIONS = ['bitflip', 'byte', 'truncate', 'opcode', 'int', 'directory', 'splice', 'long'] as const;

/** One mutated copy of a checkpoint; `applied` lists what was done. */
export function mutateCheckpoint(src: Uint8Array, r: Rand): { bytes: Uint8Array; applied: string[] } {
  let b: Uint8Array = src.slice();
  const regions = findRegions(src);
  const applied: string[] = [];
  const n = 1 + int(r, 3);
  for (let k = 0; k < n; k++) {
    const kind = pick(r, CHECKPOINT_MUTATIONS);
    applied.push(kind);
    switch (kind) {
      case 'bitflip':
        for (let i = 1 + int(r, 8); i > 0; i--) { const p = at(r, regions.pickle, b.length); if (p < b.length) b[p]! ^= 1 << int(r, 8); }
        break;
      case 'byte':
        for (let i = 1 + int(r, 4); i > 0; i--) { const p = at(r, regions.pickle, b.length); if (p < b.length) b[p] = r() < 0.5 ? pick(r, INTERESTING_BYTES) : int(r, 256); }
        break;
      case 'truncate':
        b = b.slice(0, int(r, b.length));
        break;
      case 'opcode': {
        const p = at(r, regions.pickle, b.length);
        if (p < b.length) b[p] = pick(r, OPCODES);
        break;
      }
      case 'int':
        writeInt32(b, at(r, regions.pickle, b.length), pick(r, INTERESTING_INT32));
        break;
      case 'directory': {
        const p = at(r, regions.directory[1] > regions.directory[0] ? regions.directory : regions.pickle, b.length);
        if (r() < 0.5) writeInt32(b, p, pick(r, INTERESTING_INT32));
        else if (p < b.length) b[p] = int(r, 256);
        break;
      }
      case 'splice': {
        // Delete or duplicate a short range inside the pickle.
        const p = at(r, regions.pickle, b.length);
        const len = 1 + int(r, 64);
        const out = r() < 0.5
          ? new Uint8Array([...b.subarray(0, p), ...b.subarray(Math.min(b.length, p + len))])
          : new Uint8Array([...b.subarray(0, p + len), ...b.subarray(p, Math.min(b.length, p + len)), ...b.subarray(Math.min(b.length, p + len))]);
        b = out;
        break;
      }
      case 'long': {
        // A LONG4 / BINUNICODE / BINBYTES with a large length field at a random pickle position.
        const p = at(r, regions.pickle, b.length);
        if (p + 5 <= b.length) {
          b[p] = pick(r, [0x8b, 0x58, 0x42, 0x54]);
          writeInt32(b, p + 1, pick(r, [0x7fffffff, 1 << 20, 1 << 27, 4096]));
        }
        break;
      }
    }
  }
  return { bytes: b, applied };
}

const VALUES = [
  '.nan', '.inf', '-.inf', '-1', '1e308', '-1e400', '0', '1e-45', "''", 'null', '[1, 2]', '{a: 1}', '*x', '&x 1', 'NONE', 'N_STD', 'LAPLACE',
  'GAUSS', 'AVG', 'SYMMETRIC', 'ASYMMETRIC_SIGNED', '2', '9', '300', '"(1, 2)"', 'True', '~', '0x10', '!!binary AAAA', "'x'", '-0.0', '1.7976931348623157e+308',
];
const KEYS = ['min', 'max', 'avg_min', 'avg_max', 'mean', 'std', 'b', 'shape', 'output', 'inputs', 'clip_acts', 'clip_n_stds', 'mode', 'bits_activations', 'overrides', 'per_channel_wts', 'class', '0', '1'];
const PATTERNS = ['([a-z_.0-9]+)+!', '(.*)*(.*)*(.*)*!', '(a|a)*b', '(?=x)', '(a)\\1', 'a{1000}{1000}', '[', '.*', 'decoder\\..*', '((((((((((x))))))))))*', '(x+x+)+y'];
const JUNK = [':', '[', '{', '&', '*', '!', '"', '\t', '%', '- ', '? ', '|', '>', '#', '\u0000', '\ufffd', '---\n', '...\n'];

/** One mutated copy of a YAML text (config or stats file). */
export function mutateYaml(src: string, r: Rand): { text: string; applied: string[] } {
  let lines = src.split('\n');
  const applied: string[] = [];
  const n = 1 + int(r, 3);
  for (let k = 0; k < n; k++) {
    const kinds = ['delete', 'duplicate', 'swap', 'value', 'key', 'junk', 'indent', 'pattern', 'block', 'truncate', 'clip'] as const;
    const kind = pick(r, kinds);
    applied.push(kind);
    const i = int(r, Math.max(1, lines.length));
    const line = lines[i] ?? '';
    switch (kind) {
      case 'delete': lines.splice(i, 1 + int(r, 3)); break;
      case 'duplicate': lines.splice(i, 0, line); break;
      case 'swap': if (i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1]!, line]; break;
      case 'value': lines[i] = line.includes(':') ? `${line.slice(0, line.indexOf(':') + 1)} ${pick(r, VALUES)}` : `${line} ${pick(r, VALUES)}`; break;
      case 'key': lines[i] = line.replace(/^(\s*)[^:\s]+:/, `$1${pick(r, KEYS)}:`); break;
      case 'junk': { const p = int(r, line.length + 1); lines[i] = line.slice(0, p) + pick(r, JUNK) + line.slice(p); break; }
      case 'indent': lines[i] = r() < 0.5 ? ` ${line}` : line.replace(/^ /, ''); break;
      case 'pattern': lines.splice(i, 0, `      '${pick(r, PATTERNS)}':`, '        clip_acts: NONE'); break;
      case 'block': { const len = 1 + int(r, 12); lines.splice(i, 0, ...lines.slice(i, i + len)); break; }
      case 'truncate': lines = lines.slice(0, i); break;
      case 'clip': lines.splice(i, 0, `    clip_acts: ${pick(r, ['N_STD', 'GAUSS', 'LAPLACE', 'AVG', 'NONE'])}`, `    clip_n_stds: ${pick(r, ['2', '-1', '.nan', '1e9'])}`); break;
    }
  }
  return { text: lines.join('\n'), applied };
}
