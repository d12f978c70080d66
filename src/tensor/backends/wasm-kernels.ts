/**
 * The wasm backend's kernels over one shared memory (wasm/assembly/ has the WebAssembly side).
 * Operands are copied into scratch blocks of the shared memory, the product runs on every thread of
 * the pool, and the result is copied back: copies are O(m·k + m·n) against O(m·k·n) arithmetic.
 * Weights are packed once into the kernels' panel layout (8 columns; int8 as int16 pairs) and stay in
 * the shared memory until their handle is garbage collected.
 */
import type { Kernels, PackedF32, PackedS8 } from '../kernels.js';
import { Scratch, type SharedHeap } from './wasm-heap.js';
import type { ThreadPool } from './wasm-pool.js';

/** Products below this many multiply-adds run on the calling thread only (waking workers costs ~10 µs). */
const PARALLEL_MIN_MACS = 1 << 18;
const NR = 8;

interface WasmPacked {
  readonly n: number;
  readonly k: number;
  readonly npad: number;
  readonly ptr: number;
  readonly kind: 'f32' | 's8';
}

type KernelExports = Record<string, (...args: number[]) => void>;

/** `pool.current` may be replaced (another thread count) without repacking weights. */
export function makeWasmKernels(exports: KernelExports, heap: SharedHeap, pool: { current: ThreadPool }): Kernels {
  const scratchA = new Scratch(heap);
  const scratchWide = new Scratch(heap);
  const scratchC = new Scratch(heap);
  const scratchBias = new Scratch(heap);
  const freed = new FinalizationRegistry<{ ptr: number; bytes: number }>(({ ptr, bytes }) => heap.release(ptr, bytes));

  function pack(kind: 'f32' | 's8', n: number, k: number, bytes: number, fill: (src: number) => void, packFn: 'packF32' | 'packS8'): WasmPacked {
    const src = scratchA.take(Math.max(1, n * k * (kind === 'f32' ? 4 : 1)));
    fill(src);
    const ptr = heap.alloc(bytes);
    exports[packFn]!(src, n, k, ptr);
    const packed: WasmPacked = { n, k, npad: padTo(n, NR), ptr, kind };
    freed.register(packed, { ptr, bytes });
    return packed;
  }

  /** Copy C (m, npad) from the shared memory into c (m, n). */
  function copyOut(view: Float32Array | Int32Array, cPtr: number, m: number, n: number, npad: number, c: Float32Array | Int32Array): void {
    const base = cPtr >> 2;
    if (n === npad) {
      c.set(view.subarray(base, base + m * n));
      return;
    }
    for (let i = 0; i < m; i++) c.set(view.subarray(base + i * npad, base + i * npad + n), i * n);
  }

  return {
    packF32(w, n, k): PackedF32 {
      checkSize('packF32', w.length, n * k);
      return pack('f32', n, k, padTo(n, NR) * k * 4, (src) => heap.f32.set(w.subarray(0, n * k), src >> 2), 'packF32');
    },

    gemmF32(a, m, packed, c, bias) {
      const w = ours(packed, 'f32');
      const { n, k, npad } = w;
      checkSize('gemmF32 A', a.length, m * k);
      checkSize('gemmF32 C', c.length, m * n);
      if (bias) checkSize('gemmF32 bias', bias.length, n);
      if (m === 0 || n === 0) return;
      const aPtr = scratchA.take(m * k * 4);
      const cPtr = scratchC.take(m * npad * 4);
      let biasPtr = 0;
      if (bias) {
        biasPtr = scratchBias.take(npad * 4);
        const f32 = heap.f32;
        f32.set(bias.subarray(0, n), biasPtr >> 2);
        f32.fill(0, (biasPtr >> 2) + n, (biasPtr >> 2) + npad);
      }
      heap.f32.set(a.subarray(0, m * k), aPtr >> 2);
      pool.current.run('gemmF32', [aPtr, m, k, w.ptr, cPtr, npad, biasPtr], m * n * k >= PARALLEL_MIN_MACS);
      copyOut(heap.f32, cPtr, m, n, npad, c);
    },

    packS8(w, n, k): PackedS8 {
      checkSize('packS8', w.length, n * k);
      return pack('s8', n, k, padTo(n, NR) * padTo(k, 2) * 2, (src) => heap.i8.set(w.subarray(0, n * k), src), 'packS8');
    },

    gemmU8S8S32(a, m, packed, c) {
      const w = ours(packed, 's8');
      const { n, k, npad } = w;
      checkSize('gemmU8S8S32 A', a.length, m * k);
      checkSize('gemmU8S8S32 C', c.length, m * n);
      if (m === 0 || n === 0) return;
      const kpad = padTo(k, 2);
      const aPtr = scratchA.take(m * k);
      const widePtr = scratchWide.take(m * kpad * 2);
      const cPtr = scratchC.take(m * npad * 4);
      heap.u8.set(a.subarray(0, m * k), aPtr);
      exports['widenU8']!(aPtr, m, k, kpad, widePtr);
      pool.current.run('gemmU8S8S32', [widePtr, m, kpad, w.ptr, cPtr, npad], m * n * k >= PARALLEL_MIN_MACS);
      copyOut(heap.i32, cPtr, m, n, npad, c);
    },
  };
}

function ours(w: PackedF32 | PackedS8, kind: 'f32' | 's8'): WasmPacked {
  const packed = w as Partial<WasmPacked>;
  if (packed.ptr === undefined || packed.kind !== kind) {
    throw new TypeError('weights were not packed by the wasm backend (pack them with its kernels)');
  }
  return packed as WasmPacked;
}

function padTo(v: number, multiple: number): number {
  return Math.ceil(v / multiple) * multiple;
}

function checkSize(what: string, actual: number, expected: number): void {
  if (actual < expected) throw new RangeError(`${what}: array length ${actual} is smaller than the required ${expected}.`);
}
