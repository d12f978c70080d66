/**
 * The native backend: an N-API addon (native/src/qnmt_native.cc) over oneDNN 2.x from Debian's
 * libdnnl-dev, built by `node native/build.mjs` (run on install). Weights are reordered once into
 * oneDNN's blocked brgemm layout; products use AVX-512 FMA (fp32) and VNNI (u8×s8) on all `threads`
 * cores through oneDNN's OpenMP pool. Calls are synchronous and must come from the main thread.
 *
 * `init` throws (so selection falls back to the js kernels) when the addon is not built, does not load,
 * or fails its int8 exactness self-check. CPUs without VNNI (AVX2 only) saturate 16-bit pair sums in
 * u8×s8 products; there the addon splits each activation into its 7 low bits and its top bit (two exact
 * products, see `int8Mode`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, Kernels, PackedF32, PackedS8 } from '../kernels.js';

/** Opaque oneDNN weight handle owned by the addon (freed when garbage collected). */
type NativeHandle = { readonly __nativeHandle: unique symbol };

/** The addon's exports, one function per kernel; argument order follows kernels.ts. */
interface NativeAddon {
  init(threads: number): string;
  maxThreads(): number;
  /** Absent in addons built from older sources. */
  setSplitU8?(on: boolean): void;
  packF32(w: Float32Array, n: number, k: number): NativeHandle;
  gemmF32(a: Float32Array, m: number, w: NativeHandle, c: Float32Array, bias?: Float32Array): void;
  packS8(w: Int8Array, n: number, k: number): NativeHandle;
  gemmU8S8S32(a: Uint8Array, m: number, w: NativeHandle, c: Int32Array): void;
  lstmCellF32: NonNullable<Kernels['lstmCellF32']>;
  quantizeU8: NonNullable<Kernels['quantizeU8']>;
  requantizeF32: NonNullable<Kernels['requantizeF32']>;
  attentionF32?: Kernels['attentionF32'];
  logSoftmaxTopKF32?: Kernels['logSoftmaxTopKF32'];
  pairLookupF32?: Kernels['pairLookupF32'];
  attentionScoresU8?: Kernels['attentionScoresU8'];
  lstmTailU8?: Kernels['lstmTailU8'];
  rowStatsF32?: Kernels['rowStatsF32'];
  lstmTailStatsF32?: Kernels['lstmTailStatsF32'];
  attentionScoreStatsF32?: Kernels['attentionScoreStatsF32'];
}

interface NativePacked {
  readonly n: number;
  readonly k: number;
  readonly handle: NativeHandle;
}

const addonFile = join('native', 'build', 'qnmt_native.node');

/**
 * Where the addon is looked for: QNMT_NATIVE_ADDON, else native/build/ in the first folder above this
 * module that has one (the package root), else below the current directory.
 */
export function nativeAddonPath(): string {
  const override = process.env['QNMT_NATIVE_ADDON'];
  if (override) return resolve(override);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, addonFile))) return join(dir, addonFile);
    if (dirname(dir) === dir) break;
  }
  return resolve(addonFile);
}

let loaded: { addon: NativeAddon; version: string; int8Mode: Int8Mode } | undefined;

/** 'direct': one u8×s8 product (VNNI, AMX); 'split7': two 7-bit-exact products (AVX2 without VNNI). */
export type Int8Mode = 'direct' | 'split7';

function loadAddon(threads: number): NativeAddon {
  const path = nativeAddonPath();
  if (!loaded) {
    if (!existsSync(path)) {
      const reasonFile = join(dirname(path), 'build-failure.txt');
      const reason = existsSync(reasonFile) ? readFileSync(reasonFile, 'utf8').trim() : `${path} does not exist`;
      throw new Error(`native addon not built: ${reason} (build it with: node native/build.mjs)`);
    }
    // libgomp reads its environment once, when the addon pulls it in. Its default active wait
    // (threads spin after every parallel region) tripled CPU time and doubled wall time of
    // two-thread translation on this shared 2-vCPU machine (256 fixture lines, beam 10: 25 s → 10 s
    // wall); passive waiting costs little here because each call is large. An explicit setting wins.
    if (process.env['OMP_WAIT_POLICY'] === undefined && process.env['GOMP_SPINCOUNT'] === undefined) {
      process.env['OMP_WAIT_POLICY'] = 'PASSIVE';
    }
    let addon: NativeAddon;
    try {
      addon = createRequire(import.meta.url)(path) as NativeAddon;
    } catch (e) {
      throw new Error(`native addon not loadable: ${(e as Error).message.split('\n')[0]}`);
    }
    const version = addon.init(threads);
    loaded = { addon, version, int8Mode: chooseInt8Mode(addon) };
  }
  loaded.addon.init(threads);
  return loaded.addon;
}

/**
 * Use the direct u8×s8 product when it is exact on this CPU, else the split product; throw when neither
 * is (or the addon predates the split, so it must be rebuilt).
 */
function chooseInt8Mode(addon: NativeAddon): Int8Mode {
  addon.setSplitU8?.(false);
  const direct = selfCheck(addon);
  if (direct === undefined) return 'direct';
  if (!addon.setSplitU8) throw new Error(`${direct}; rebuild the addon (node native/build.mjs --force) for the exact split product`);
  addon.setSplitU8(true);
  const split = selfCheck(addon);
  if (split === undefined) return 'split7';
  throw new Error(split);
}

/**
 * Compare a small int8 product whose sums exceed 2^24 and whose pairs exceed the int16 range with an
 * exact loop: catches 16-bit saturation (pre-VNNI kernels) and float conversion in the output path.
 * Returns what went wrong, or undefined when the product is exact.
 */
function selfCheck(addon: NativeAddon): string | undefined {
  const m = 3;
  const n = 19;
  const k = 1031;
  const a = new Uint8Array(m * k);
  const w = new Int8Array(n * k);
  for (let i = 0; i < a.length; i++) a[i] = i % 5 === 0 ? 254 : i % 7 === 0 ? 3 : 255;
  for (let i = 0; i < w.length; i++) w[i] = i % 3 === 0 ? -128 : 127;
  const c = new Int32Array(m * n);
  addon.gemmU8S8S32(a, m, addon.packS8(w, n, k), c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * w[j * k + p]!;
      if (c[i * n + j] !== s) return `native int8 GEMM is not exact on this CPU (C[${i},${j}] = ${c[i * n + j]}, expected ${s})`;
    }
  }
  return undefined;
}

function unwrap(w: PackedF32 | PackedS8): NativeHandle {
  const handle = (w as Partial<NativePacked>).handle;
  if (handle === undefined) throw new TypeError('weights were not packed by the onednn backend (pack them with its kernels)');
  return handle;
}

function makeKernels(addon: NativeAddon): Kernels {
  return {
    packF32(w, n, k): NativePacked {
      return { n, k, handle: addon.packF32(w, n, k) };
    },
    gemmF32(a, m, w, c, bias) {
      addon.gemmF32(a, m, unwrap(w), c, bias);
    },
    packS8(w, n, k): NativePacked {
      return { n, k, handle: addon.packS8(w, n, k) };
    },
    gemmU8S8S32(a, m, w, c) {
      addon.gemmU8S8S32(a, m, unwrap(w), c);
    },
    lstmCellF32: addon.lstmCellF32,
    quantizeU8: addon.quantizeU8,
    requantizeF32: addon.requantizeF32,
    // An addon built from older sources may lack newer kernels: leave them to the js fallback.
    ...(addon.attentionF32 ? { attentionF32: addon.attentionF32 } : {}),
    ...(addon.logSoftmaxTopKF32 ? { logSoftmaxTopKF32: addon.logSoftmaxTopKF32 } : {}),
    ...(addon.pairLookupF32 ? { pairLookupF32: addon.pairLookupF32 } : {}),
    ...(addon.attentionScoresU8 ? { attentionScoresU8: addon.attentionScoresU8 } : {}),
    ...(addon.lstmTailU8 ? { lstmTailU8: addon.lstmTailU8 } : {}),
    ...pick(addon, ['rowStatsF32', 'lstmTailStatsF32', 'attentionScoreStatsF32']),
  };
}

export const onednnBackend: Backend = {
  name: 'onednn',
  async init({ threads }) {
    return makeKernels(loadAddon(threads));
  },
};

/** oneDNN version of the loaded addon, e.g. "2.6.3" (undefined before a successful init). */
export function onednnVersion(): string | undefined {
  return loaded?.version;
}

/** How u8×s8 products run on this CPU (undefined before a successful init). */
export function onednnInt8Mode(): Int8Mode | undefined {
  return loaded?.int8Mode;
}

/** The addon's kernels among `names` (an addon built from older sources may lack some). */
function pick<K extends keyof NativeAddon>(addon: NativeAddon, names: readonly K[]): Partial<Pick<NativeAddon, K>> {
  const out: Partial<Pick<NativeAddon, K>> = {};
  for (const name of names) if (addon[name]) out[name] = addon[name];
  return out;
}
