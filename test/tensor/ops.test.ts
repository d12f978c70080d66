/** Element-wise ops: memoised activations and the written-out add/mul give exactly the generic loops' results. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, binaryOp, map, mapMemo, mul, sigmoid, tanh } from '../../src/tensor/ops.js';
import { Tensor } from '../../src/tensor/tensor.js';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

function sameBits(a: Float32Array, b: Float32Array, label: string): void {
  assert.equal(a.length, b.length);
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ia[i] !== ib[i]) assert.fail(`${label}: element ${i} ${a[i]} vs ${b[i]}`);
}

test('mapMemo equals map bit for bit: few distinct values (quantized), all distinct (fp32), specials, short tensors', () => {
  let s = 1;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const levels = Float32Array.from({ length: 256 }, (_, q) => (q - 128) * 0.0371);
  const quantized = Float32Array.from({ length: 50_000 }, () => levels[Math.floor(rnd() * 256)]!);
  const fp32 = Float32Array.from({ length: 50_000 }, () => (rnd() * 2 - 1) * 8);
  const specials = Float32Array.from({ length: 5000 }, (_, i) => [0, -0, NaN, Infinity, -Infinity, 1e-40, 20][i % 7]!);
  const short = Float32Array.of(0.5, -0.25, 0.5);
  // Offset views (byteOffset ≠ 0) must work as well.
  const view = quantized.subarray(3, 40_003);
  for (const [label, d] of [
    ['quantized', quantized],
    ['fp32', fp32],
    ['specials', specials],
    ['short', short],
    ['view', view],
  ] as const) {
    const t = new Tensor(d, [d.length]);
    for (const [fname, fn] of [
      ['tanh', Math.tanh],
      ['sigmoid', sig],
    ] as const) {
      sameBits(mapMemo(t, fn).data, map(t, fn).data, `${label} ${fname}`);
    }
    sameBits(tanh(t).data, map(t, Math.tanh).data, `${label} tanh op`);
    sameBits(sigmoid(t).data, map(t, sig).data, `${label} sigmoid op`);
  }
});

test('add and mul equal binaryOp with the same operator, shapes included (equal, suffix broadcast, general)', () => {
  let s = 7;
  const rnd = (n: number): Float32Array =>
    Float32Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32 - 0.5) * 10;
    });
  const t = (shape: number[]): Tensor => new Tensor(rnd(shape.reduce((p, d) => p * d, 1)), shape);
  for (const [sa, sb] of [
    [[4, 1, 3, 5], [4, 1, 3, 5]],
    [[4, 1, 3, 5], [5]],
    [[4, 1, 3, 5], [1, 3, 5]],
    [[1, 6, 2], [6, 2]],
    [[3], [1, 1, 3]],
    [[6, 1], [1, 6]],
    [[2, 3], [2, 1]],
    [[1], [4, 2]],
  ] as const) {
    const a = t([...sa]);
    const b = t([...sb]);
    for (const [name, op, fn] of [
      ['add', add, (x: number, y: number) => x + y],
      ['mul', mul, (x: number, y: number) => x * y],
    ] as const) {
      const got = op(a, b);
      const want = binaryOp(a, b, fn);
      assert.deepEqual(got.shape, want.shape, `${name} [${sa}] [${sb}] shape`);
      sameBits(got.data, want.data, `${name} [${sa}] [${sb}]`);
    }
  }
  assert.throws(() => add(t([2, 3]), t([4])), RangeError);
});
