import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsRefKernels } from '../src/tensor/backends/js-ref.js';

test('js reference gemm: C = A·Wᵀ (+bias) on a hand-computed case', () => {
  const w = jsRefKernels.packF32(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3);
  const c = new Float32Array(2);
  jsRefKernels.gemmF32(new Float32Array([1, 1, 1]), 1, w, c, new Float32Array([10, 20]));
  assert.deepEqual([...c], [16, 35]);
  const q = jsRefKernels.packS8(new Int8Array([-128, 127, 1, -1]), 2, 2);
  const ci = new Int32Array(2);
  jsRefKernels.gemmU8S8S32(new Uint8Array([255, 2]), 1, q, ci);
  assert.deepEqual([...ci], [-128 * 255 + 254, 255 - 2]);
});
