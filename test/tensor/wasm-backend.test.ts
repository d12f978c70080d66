/**
 * The wasm backend's own machinery: the shared-memory allocator, selection by name and by
 * QNMT_BACKEND, the log line, and a thread-count change that keeps packed weights usable.
 * (Kernel results against the js reference are in backends.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedHeap } from '../../src/tensor/backends/wasm-heap.js';
import { activeBackend, backendLine, kernels, selectBackend } from '../../src/tensor/backend.js';
import { jsRefKernels } from '../../src/tensor/backends/js-ref.js';

test('SharedHeap: aligned blocks, reuse of freed space, neighbours merged, growth on demand', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });
  const heap = new SharedHeap(memory, 100);
  const a = heap.alloc(10);
  const b = heap.alloc(100);
  const c = heap.alloc(64);
  assert.deepEqual([a, b, c], [128, 192, 320]);
  heap.release(a, 10);
  heap.release(b, 100);
  // a and b merged into one 192-byte block: a 150-byte request fits at a's offset.
  assert.equal(heap.alloc(150), 128);
  const big = heap.alloc(200_000);
  assert.ok(big + 200_000 <= memory.buffer.byteLength, 'memory grew');
  heap.f32[big >> 2] = 1.5;
  assert.equal(new Float32Array(memory.buffer)[big >> 2], 1.5, 'views follow growth');
  assert.throws(() => heap.alloc(64 * 65536), /out of memory/);
});

test("selectBackend('wasm') and QNMT_BACKEND=wasm activate it and report the variant", async () => {
  const lines: string[] = [];
  assert.equal(await selectBackend('wasm', 2, (l) => lines.push(l)), 'wasm');
  assert.match(lines[0]!, /^backend wasm × 2 threads \((relaxed SIMD|SIMD128)\)$/);
  assert.equal(backendLine(), lines[0]);
  const saved = process.env['QNMT_BACKEND'];
  try {
    await selectBackend('js', 1, () => {});
    process.env['QNMT_BACKEND'] = 'wasm';
    assert.equal(await selectBackend(undefined, 1, () => {}), 'wasm');
    assert.deepEqual({ name: activeBackend().name, threads: activeBackend().threads }, { name: 'wasm', threads: 1 });
  } finally {
    if (saved === undefined) delete process.env['QNMT_BACKEND'];
    else process.env['QNMT_BACKEND'] = saved;
  }
});

test('weights packed before a thread-count change still give the same products', async () => {
  await selectBackend('wasm', 1, () => {});
  const k = kernels();
  const n = 40;
  const depth = 300;
  const m = 64;
  const w = Int8Array.from({ length: n * depth }, (_, i) => ((i * 37) % 256) - 128);
  const a = Uint8Array.from({ length: m * depth }, (_, i) => (i * 11) % 256);
  const packed = k.packS8(w, n, depth);
  const want = new Int32Array(m * n);
  jsRefKernels.gemmU8S8S32(a, m, jsRefKernels.packS8(w, n, depth), want);
  for (const threads of [2, 1, 2]) {
    await selectBackend('wasm', threads, () => {});
    assert.equal(kernels().gemmU8S8S32, k.gemmU8S8S32, 'same kernels object');
    const c = new Int32Array(m * n);
    kernels().gemmU8S8S32(a, m, packed, c);
    assert.deepEqual(c, want, `${threads} threads`);
  }
  await selectBackend('js', 1, () => {});
});
