/**
 * The wasm backend's kernels over one shared memory (wasm/assembly/ has the WebAssembly side).
 * Operands are copied into scratch blocks of the shared memory, the product runs on every thread of
 * the pool, and the result is copied back: copies are O(m·k + m·n) against O(m·k·n) arithmetic.
 * Weights are packed once into the kernels' panel layout (8 columns; int8 as int16 pairs) and stay in
 * the shared memory until their handle is garbage collected.
 */
import type { Kernels, PackedF32, PackedS8 } from '../kernels.js';
import {
  checkAttention,
  checkAttentionScores,
  checkLogSoftmaxTopK,
  checkLstmCell,
  checkLstmTail,
  checkPairLookup,
  checkQuantize,
  checkRequantize,
  checkSize,
} from './kernel-checks.js';
import { Scratch, type SharedHeap } from './wasm-heap.js';
import type { KernelExports, ThreadPool } from './wasm-pool.js';

/** Products below this many multiply-adds run on the calling thread only (waking workers costs ~10 µs). */
const PARALLEL_MIN_MACS = 1 << 18;
/** Element-wise calls below this many elements run on the calling thread only. */
const PARALLEL_MIN_ELEMENTS = 1 << 14;
const NR = 8;

interface WasmPacked {
  readonly n: number;
  readonly k: number;
  readonly npad: number;
  readonly ptr: number;
  readonly kind: 'f32' | 's8';
}


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

  const frameScratch = new Scratch(heap);
  const workScratch = new Scratch(heap);
  const threads = (): number => pool.current.threads;

  /**
   * Lay the operands of one element-wise call out in the shared memory: `inputs` are copied in (null
   * stays 0 = absent), `outputs` only get space (listed also in inputs when their old contents matter).
   */
  function frame(inputs: readonly (ArrayBufferView | null)[], outputs: readonly ArrayBufferView[]): { ins: number[]; outs: number[] } {
    const all = [...inputs, ...outputs];
    let total = 0;
    const offsets = all.map((v) => {
      const at = total;
      if (v) total += Math.ceil(v.byteLength / 64) * 64;
      return at;
    });
    const base = frameScratch.take(Math.max(64, total));
    const u8 = heap.u8;
    const ptrs = all.map((v, i) => (v ? base + offsets[i]! : 0));
    inputs.forEach((v, i) => v && u8.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), ptrs[i]!));
    return { ins: ptrs.slice(0, inputs.length), outs: ptrs.slice(inputs.length) };
  }

  function copyBack(ptr: number, view: ArrayBufferView): void {
    new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(heap.u8.subarray(ptr, ptr + view.byteLength));
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

    lstmCellF32(m, hidden, gatesX, gatesH, cPrev, hOut, cOut) {
      checkLstmCell(m, hidden, gatesX, gatesH, cPrev, hOut, cOut);
      const [hv, cv] = [hOut.subarray(0, m * hidden), cOut.subarray(0, m * hidden)];
      const { ins, outs } = frame(
        [gatesX.subarray(0, m * 4 * hidden), gatesH?.subarray(0, m * 4 * hidden) ?? null, cPrev?.subarray(0, m * hidden) ?? null],
        [hv, cv],
      );
      pool.current.run('lstmCellF32', [m, hidden, ...ins, ...outs], m * hidden >= PARALLEL_MIN_ELEMENTS);
      copyBack(outs[0]!, hv);
      copyBack(outs[1]!, cv);
    },

    attentionF32(rows, T, U, H, query, keys, bias, att, context, lengths, rowSentence, probs, out) {
      checkAttention(rows, T, U, H, query, keys, bias, att, context, lengths, rowSentence, probs, out);
      const S = lengths.length;
      const [pv, ov] = [probs.subarray(0, rows * T), out.subarray(0, rows * H)];
      const { ins, outs } = frame(
        [query.subarray(0, rows * U), keys.subarray(0, S * T * U), bias.subarray(0, U), att.subarray(0, U), context.subarray(0, S * T * H), lengths, rowSentence.subarray(0, rows)],
        [pv, ov],
      );
      const stride = Math.ceil(((T + U) * 8) / 64) * 64;
      const work = workScratch.take(stride * threads());
      pool.current.run('attentionF32', [rows, T, U, H, ...ins, ...outs, work, stride], rows * T * (U + H) >= PARALLEL_MIN_ELEMENTS && rows > 1);
      copyBack(outs[0]!, pv);
      copyBack(outs[1]!, ov);
    },

    logSoftmaxTopKF32(logits, rows, vocab, k, ids, logprobs) {
      checkLogSoftmaxTopK(logits, rows, vocab, k, ids, logprobs);
      const [iv, lv] = [ids.subarray(0, rows * k), logprobs.subarray(0, rows * k)];
      const { ins, outs } = frame([logits.subarray(0, rows * vocab)], [iv, lv]);
      const stride = Math.ceil((k * 8) / 64) * 64;
      const work = workScratch.take(stride * threads());
      pool.current.run('logSoftmaxTopKF32', [ins[0]!, rows, vocab, k, outs[0]!, outs[1]!, work, stride], rows * vocab >= PARALLEL_MIN_ELEMENTS && rows > 1);
      copyBack(outs[0]!, iv);
      copyBack(outs[1]!, lv);
    },

    quantizeU8(x, count, scale, zeroPoint, lo, hi, offset, out) {
      checkQuantize(x, count, lo, hi, offset, out);
      const ov = out.subarray(0, count);
      const { ins, outs } = frame([x.subarray(0, count)], [ov]);
      pool.current.run('quantizeU8', [ins[0]!, count, scale, zeroPoint, lo, hi, offset, outs[0]!], count >= PARALLEL_MIN_ELEMENTS);
      copyBack(outs[0]!, ov);
    },

    requantizeF32(acc, m, n, add, rowTerm, colMul, factor, zOut, lo, hi, sOut, out) {
      checkRequantize(acc, m, n, add, rowTerm, colMul, factor, lo, hi, out);
      const ov = out.subarray(0, m * n);
      const factorN = factor.length === 1 ? 1 : n;
      const { ins, outs } = frame(
        [acc.subarray(0, m * n), add?.subarray(0, n) ?? null, rowTerm?.subarray(0, m) ?? null, colMul?.subarray(0, n) ?? null, factor.subarray(0, factorN)],
        [ov],
      );
      pool.current.run('requantizeF32', [ins[0]!, m, n, ins[1]!, ins[2]!, ins[3]!, ins[4]!, factorN, zOut, lo, hi, sOut, outs[0]!], m * n >= PARALLEL_MIN_ELEMENTS && m > 1);
      copyBack(outs[0]!, ov);
    },

    pairLookupF32(u0, p0, u1, p1, count, table, out) {
      checkPairLookup(u0, p0, u1, p1, count, table, out);
      const ov = out.subarray(0, count);
      const { ins, outs } = frame([u0.subarray(0, Math.min(count, p0)), u1.subarray(0, Math.min(count, p1)), table.subarray(0, 65536)], [ov]);
      pool.current.run('pairLookupF32', [ins[0]!, p0, ins[1]!, p1, count, ins[2]!, outs[0]!], count >= PARALLEL_MIN_ELEMENTS);
      copyBack(outs[0]!, ov);
    },

    attentionScoresU8(R, T, U, uq, uk, rowSentence, lengths, ub, codes, chain, ut) {
      checkAttentionScores(R, T, U, uq, uk, rowSentence, lengths, ub, codes, chain, ut);
      // ut is read too: the bytes of positions past a sentence's length keep their old values.
      const uv = ut.subarray(0, R * T * U);
      const { ins } = frame([uq.subarray(0, R * U), uk, rowSentence.subarray(0, R), lengths, ub.subarray(0, U), codes.subarray(0, 65536), chain.subarray(0, 65536), uv], []);
      pool.current.run('attentionScoresU8', [R, T, U, ...ins], R * T * U >= PARALLEL_MIN_ELEMENTS && R > 1);
      copyBack(ins[7]!, uv);
    },

    lstmTailU8(n, H, ux, uh, uc, gateCodes, forgetCodes, inputCodes, cellCodes, cValues, hValues, hOut, cOut) {
      checkLstmTail(n, H, ux, uh, uc, gateCodes, forgetCodes, inputCodes, cellCodes, cValues, hValues, hOut, cOut);
      const G = 4 * H;
      const [hv, cv] = [hOut.subarray(0, n * H), cOut.subarray(0, n * H)];
      const table = (t: Uint8Array | Float32Array, size: number) => t.subarray(0, size);
      const { ins, outs } = frame(
        [ux.subarray(0, n * G), uh.subarray(0, n * G), uc.subarray(0, n * H), table(gateCodes, 65536), table(forgetCodes, 65536), table(inputCodes, 65536), table(cellCodes, 65536), table(cValues, 256), table(hValues, 65536)],
        [hv, cv],
      );
      pool.current.run('lstmTailU8', [n, H, ...ins, ...outs], n * H >= PARALLEL_MIN_ELEMENTS && n > 1);
      copyBack(outs[0]!, hv);
      copyBack(outs[1]!, cv);
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
