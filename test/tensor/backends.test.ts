/**
 * Every available backend against the js reference (src/tensor/backends/js-ref.ts): integer kernels
 * and quantization bit-exact, float kernels within stated tolerances. Backends that cannot initialise
 * here are skipped with their reason, except that the native one must work wherever libdnnl-dev is
 * installed (CI), so a broken build cannot hide behind the fallback.
 */
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend, Kernels } from '../../src/tensor/kernels.js';
import { jsRefKernels } from '../../src/tensor/backends/js-ref.js';
import { builtinBackends, createWasmBackend } from '../../src/tensor/backends/index.js';
import { activeBackend, kernels, selectBackend } from '../../src/tensor/backend.js';

const ref = jsRefKernels;
const dnnlInstalled = existsSync('/usr/include/oneapi/dnnl/dnnl.hpp');

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randF32(n: number, r: () => number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (r() * 2 - 1) * scale;
  return x;
}
function randU8(n: number, r: () => number): Uint8Array {
  const x = new Uint8Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(r() * 256);
  return x;
}
function randS8(n: number, r: () => number): Int8Array {
  const x = new Int8Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(r() * 256) - 128;
  return x;
}

/** (m, k, n): degenerate sizes, k not a multiple of 16, the vocabulary-like n = 7947, m = 1280. */
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 7],
  [3, 17, 33],
  [1, 1031, 64],
  [2, 1024, 4096],
  [7, 100, 7947],
  [1280, 33, 160],
  [1280, 19, 7947],
  [0, 8, 8],
  [4, 0, 3],
];

/**
 * fp32 tolerance: |c − ref| ≤ 1e-5 · Σ_p |a_p·w_p| + 1e-6 · |bias| + 1e-30. The reference sums in
 * float64, a backend in float32 in its own order; 1e-5 is ~80 float32 ulps of the absolute sum, far above
 * blocked-summation error and far below any indexing mistake.
 */
function assertCloseF32(
  got: Float32Array,
  a: Float32Array,
  w: Float32Array,
  m: number,
  k: number,
  n: number,
  bias: Float32Array | undefined,
  label: string,
): void {
  const want = new Float32Array(m * n);
  ref.gemmF32(a, m, ref.packF32(w, n, k), want, bias);
  const absSum = new Float32Array(m * n);
  ref.gemmF32(a.map(Math.abs), m, ref.packF32(w.map(Math.abs), n, k), absSum);
  for (let i = 0; i < m * n; i++) {
    const tol = 1e-5 * absSum[i]! + (bias ? 1e-6 * Math.abs(bias[i % n]!) : 0) + 1e-30;
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) {
      assert.fail(`${label}: C[${Math.floor(i / n)},${i % n}] = ${got[i]}, reference ${want[i]} (tolerance ${tol})`);
    }
  }
}

function assertSameInts(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${label}: element ${i} is ${got[i]}, reference ${want[i]}`);
  }
}

function testGemm(name: string, kx: Kernels): void {
  test(`${name}: gemmF32 matches the js reference within tolerance (with and without bias)`, () => {
    const r = rng(1);
    for (const [m, k, n] of shapes) {
      const a = randF32(m * k, r);
      const w = randF32(n * k, r);
      const bias = randF32(n, r, 4);
      const packed = kx.packF32(w, n, k);
      for (const b of [undefined, bias]) {
        const c = new Float32Array(m * n).fill(NaN);
        kx.gemmF32(a, m, packed, c, b);
        assertCloseF32(c, a, w, m, k, n, b, `${name} ${m}x${k}x${n}${b ? ' +bias' : ''}`);
      }
    }
  });

  test(`${name}: gemmU8S8S32 is bit-identical to the js reference`, () => {
    const r = rng(2);
    for (const [m, k, n] of shapes) {
      const a = randU8(m * k, r);
      const w = randS8(n * k, r);
      const c = new Int32Array(m * n).fill(-1);
      kx.gemmU8S8S32(a, m, kx.packS8(w, n, k), c);
      const want = new Int32Array(m * n);
      ref.gemmU8S8S32(a, m, ref.packS8(w, n, k), want);
      assertSameInts(c, want, `${name} ${m}x${k}x${n}`);
    }
  });

  test(`${name}: gemmU8S8S32 stays exact at the extremes (sums beyond 2^24, pairs beyond int16)`, () => {
    const m = 5;
    const k = 2053;
    const n = 37;
    const a = new Uint8Array(m * k).map((_, i) => (i % 7 === 0 ? 254 : 255));
    const w = new Int8Array(n * k).map((_, i) => (i % 11 === 0 ? 127 : -128));
    const c = new Int32Array(m * n);
    kx.gemmU8S8S32(a, m, kx.packS8(w, n, k), c);
    const want = new Int32Array(m * n);
    ref.gemmU8S8S32(a, m, ref.packS8(w, n, k), want);
    assert.ok(Math.abs(want[0]!) > 2 ** 24);
    assertSameInts(c, want, `${name} extremes`);
  });

  test(`${name}: one packed matrix serves many batch sizes, views with offsets, repeated calls`, () => {
    const r = rng(3);
    const k = 77;
    const n = 129;
    const w = randF32(n * k, r);
    const ws = randS8(n * k, r);
    const pf = kx.packF32(w, n, k);
    const ps = kx.packS8(ws, n, k);
    const pfRef = ref.packS8(ws, n, k);
    for (const m of [1, 2, 3, 5, 8, 640, 1, 3, 640, 64]) {
      const aBuf = randF32(m * k + 3, r);
      const a = aBuf.subarray(3); // non-zero byteOffset
      const cBuf = new Float32Array(m * n + 5);
      const c = cBuf.subarray(5, 5 + m * n);
      kx.gemmF32(a, m, pf, c);
      assertCloseF32(c, a, w, m, k, n, undefined, `${name} m=${m}`);
      assert.ok(cBuf.subarray(0, 5).every((v) => v === 0), 'no write before the C view');
      const au = randU8(m * k, r);
      const ci = new Int32Array(m * n);
      kx.gemmU8S8S32(au, m, ps, ci);
      const want = new Int32Array(m * n);
      ref.gemmU8S8S32(au, m, pfRef, want);
      assertSameInts(ci, want, `${name} u8 m=${m}`);
    }
  });

  test(`${name}: rejects arrays that are too small`, () => {
    const p = kx.packF32(new Float32Array(12), 3, 4);
    assert.throws(() => kx.gemmF32(new Float32Array(7), 2, p, new Float32Array(6)), RangeError);
    assert.throws(() => kx.gemmF32(new Float32Array(8), 2, p, new Float32Array(5)), RangeError);
    assert.throws(() => kx.packS8(new Int8Array(11), 3, 4), RangeError);
  });
}

function testElementwise(name: string, kx: Required<Kernels>): void {
  test(`${name}: lstmCellF32 matches the js reference (abs. error ≤ 2e-6)`, () => {
    const r = rng(4);
    for (const [m, h] of [
      [1, 1],
      [3, 17],
      [64, 1024],
    ] as const) {
      const gx = randF32(m * 4 * h, r, 8);
      const gh = randF32(m * 4 * h, r, 8);
      gx[0] = 100; // saturated gates
      gx[gx.length - 1] = -100;
      const cPrev = randF32(m * h, r, 3);
      for (const [ghArg, cArg] of [
        [gh, cPrev],
        [null, cPrev],
        [gh, null],
      ] as const) {
        const h1 = new Float32Array(m * h);
        const c1 = new Float32Array(m * h);
        const h2 = new Float32Array(m * h);
        const c2 = new Float32Array(m * h);
        kx.lstmCellF32(m, h, gx, ghArg, cArg, h1, c1);
        ref.lstmCellF32(m, h, gx, ghArg, cArg, h2, c2);
        for (let i = 0; i < m * h; i++) {
          assert.ok(Math.abs(h1[i]! - h2[i]!) <= 2e-6, `${name} h[${i}] ${h1[i]} vs ${h2[i]}`);
          assert.ok(Math.abs(c1[i]! - c2[i]!) <= 2e-6 * Math.max(1, Math.abs(c2[i]!)), `${name} c[${i}] ${c1[i]} vs ${c2[i]}`);
        }
      }
      // In place: cOut is cPrev.
      const cIn = Float32Array.from(cPrev);
      const hA = new Float32Array(m * h);
      const hB = new Float32Array(m * h);
      const cB = new Float32Array(m * h);
      kx.lstmCellF32(m, h, gx, gh, cIn, hA, cIn);
      ref.lstmCellF32(m, h, gx, gh, cPrev, hB, cB);
      for (let i = 0; i < m * h; i++) assert.ok(Math.abs(cIn[i]! - cB[i]!) <= 2e-6 * Math.max(1, Math.abs(cB[i]!)));
    }
  });

  test(`${name}: quantizeU8 is bit-identical to the js reference, ties to even included`, () => {
    const r = rng(5);
    const count = 200_003; // above the native parallel threshold
    const x = randF32(count, r, 12);
    // Exact halves after scaling: with scale 1 and integer zero points, x = j + 0.5 is a tie.
    for (let i = 0; i < 1000; i++) x[i] = (i % 41) - 20 + 0.5;
    x[1000] = 1e30;
    x[1001] = -1e30;
    for (const [scale, zp, lo, hi, offset] of [
      [1, 0, 0, 255, 0],
      [1, 3, -128, 127, 128],
      [10.625, -7, 0, 255, 0],
      [Math.fround(127 / 11.3), 0, -128, 127, 128],
      [0.1, 2, -7, 7, 100],
    ] as const) {
      const got = new Uint8Array(count);
      const want = new Uint8Array(count);
      kx.quantizeU8(x, count, scale, zp, lo, hi, offset, got);
      ref.quantizeU8(x, count, scale, zp, lo, hi, offset, want);
      assertSameInts(got, want, `${name} quantizeU8 scale=${scale} zp=${zp}`);
    }
    assert.throws(() => kx.quantizeU8(x, 4, 1, 0, -128, 127, 0, new Uint8Array(4)), RangeError);
  });

  test(`${name}: requantizeF32 is bit-identical to the js reference`, () => {
    const r = rng(6);
    const m = 300;
    const n = 257;
    const acc = new Int32Array(m * n);
    for (let i = 0; i < acc.length; i++) acc[i] = Math.floor((r() * 2 - 1) * (i % 3 === 0 ? 2 ** 31 : 2 ** 20));
    const add = new Int32Array(n);
    for (let j = 0; j < n; j++) add[j] = Math.floor((r() * 2 - 1) * 2 ** 31);
    // Rank-one terms: realistic sizes (activation row sums × weight zero points) and huge ones that
    // exceed 2^53 before the int32 clamp.
    const rowTerm = new Int32Array(m).map((_, i) => Math.floor(r() * 255 * 1024) * (i % 50 === 0 ? 4000 : 1));
    const colMul = new Int32Array(n).map((_, j) => Math.floor((r() * 2 - 1) * 255) * (j % 60 === 0 ? 2 ** 20 : 1));
    const factors = [randF32(n, r, 1e-4), Float32Array.of(0.5), Float32Array.of(Math.fround(3.1e-7))];
    for (const factor of factors) {
      for (const [addArg, rowArg, colArg] of [
        [null, null, null],
        [add, null, null],
        [add, rowTerm, colMul],
      ] as const) {
        for (const [zOut, lo, hi, sOut] of [
          [0, -128, 127, 20.5],
          [-13, 0, 255, 0.37],
        ] as const) {
          const got = new Float32Array(m * n);
          const want = new Float32Array(m * n);
          kx.requantizeF32(acc, m, n, addArg, rowArg, colArg, factor, zOut, lo, hi, sOut, got);
          ref.requantizeF32(acc, m, n, addArg, rowArg, colArg, factor, zOut, lo, hi, sOut, want);
          const what = `${addArg ? ' +add' : ''}${rowArg ? ' +rank-one' : ''}`;
          assertSameInts(got, want, `${name} requantizeF32 factor length ${factor.length}${what}`);
        }
      }
    }
  });
}

function testDecoderStep(name: string, kx: Required<Kernels>): void {
  test(`${name}: attentionF32 matches the js reference (probs and context within 2e-6)`, () => {
    const r = rng(7);
    for (const [S, K, T, U, H] of [
      [1, 1, 1, 1, 1],
      [3, 2, 7, 17, 9],
      [16, 10, 36, 256, 256],
    ] as const) {
      const rows = S * K;
      const lengths = Int32Array.from({ length: S }, (_, s) => (s === S - 1 && T > 1 ? Math.max(1, T - 3 - s) : T - s > 0 ? T - s : 1));
      const rowSentence = Int32Array.from({ length: rows }, (_, i) => Math.floor(i / K));
      const query = randF32(rows * U, r, 2);
      const keys = randF32(S * T * U, r, 2);
      const bias = randF32(U, r, 0.5);
      const att = randF32(U, r, 0.3);
      const context = randF32(S * T * H, r, 1);
      const got = { p: new Float32Array(rows * T).fill(9), o: new Float32Array(rows * H).fill(9) };
      const want = { p: new Float32Array(rows * T), o: new Float32Array(rows * H) };
      kx.attentionF32(rows, T, U, H, query, keys, bias, att, context, lengths, rowSentence, got.p, got.o);
      ref.attentionF32(rows, T, U, H, query, keys, bias, att, context, lengths, rowSentence, want.p, want.o);
      for (let i = 0; i < rows * T; i++) assert.ok(Math.abs(got.p[i]! - want.p[i]!) <= 2e-6, `${name} probs[${i}] ${got.p[i]} vs ${want.p[i]}`);
      for (let i = 0; i < rows * H; i++) assert.ok(Math.abs(got.o[i]! - want.o[i]!) <= 2e-6, `${name} out[${i}] ${got.o[i]} vs ${want.o[i]}`);
      // Padded positions get probability 0 (written, whatever the buffer held).
      for (let i = 0; i < rows; i++) {
        for (let j = lengths[rowSentence[i]!]!; j < T; j++) assert.equal(got.p[i * T + j], 0);
      }
    }
    assert.throws(
      () => kx.attentionF32(1, 2, 1, 1, new Float32Array(1), new Float32Array(2), new Float32Array(1), new Float32Array(1), new Float32Array(2), Int32Array.of(2), Int32Array.of(1), new Float32Array(2), new Float32Array(1)),
      RangeError,
    );
  });

  test(`${name}: logSoftmaxTopKF32 is identical to the js reference (ties → lower id)`, () => {
    const r = rng(8);
    for (const [rows, vocab, k] of [
      [1, 1, 1],
      [5, 37, 5],
      [300, 7947, 10],
      [3, 1000, 1000],
    ] as const) {
      const logits = randF32(rows * vocab, r, 12);
      // Exact ties and values that become equal after the float32 log-softmax rounding.
      for (let i = 0; i < rows * vocab; i += 97) logits[i] = 11.5;
      if (vocab > 10) for (let i = 0; i < rows; i++) logits[i * vocab + 3] = Math.fround(11.5 + 2 ** -20);
      const got = { ids: new Int32Array(rows * k), lp: new Float32Array(rows * k) };
      const want = { ids: new Int32Array(rows * k), lp: new Float32Array(rows * k) };
      kx.logSoftmaxTopKF32(logits, rows, vocab, k, got.ids, got.lp);
      ref.logSoftmaxTopKF32(logits, rows, vocab, k, want.ids, want.lp);
      assertSameInts(got.ids, want.ids, `${name} ids ${rows}×${vocab} k=${k}`);
      assertSameInts(got.lp, want.lp, `${name} logprobs ${rows}×${vocab} k=${k}`);
    }
    assert.throws(() => kx.logSoftmaxTopKF32(new Float32Array(4), 1, 4, 5, new Int32Array(5), new Float32Array(5)), RangeError);
  });
}

function testLookup(name: string, kx: Required<Kernels>): void {
  test(`${name}: pairLookupF32 is identical to the js reference (equal shapes and broadcasts)`, () => {
    const r = rng(9);
    const table = randF32(65536, r, 100);
    for (const [count, p0, p1] of [
      [1, 1, 1],
      [1000, 1000, 1000],
      [300_000, 300_000, 300_000],
      [300_000, 300_000, 256],
      [1030, 1030, 1],
      [1030, 103, 1030],
      [999, 7, 5],
    ] as const) {
      const u0 = Uint8Array.from({ length: p0 }, () => Math.floor(r() * 256));
      const u1 = Uint8Array.from({ length: p1 }, () => Math.floor(r() * 256));
      const got = new Float32Array(count);
      const want = new Float32Array(count);
      kx.pairLookupF32(u0, p0, u1, p1, count, table, got);
      ref.pairLookupF32(u0, p0, u1, p1, count, table, want);
      assertSameInts(got, want, `${name} pairLookupF32 count ${count} p0 ${p0} p1 ${p1}`);
    }
    assert.throws(() => kx.pairLookupF32(new Uint8Array(4), 4, new Uint8Array(4), 4, 4, new Float32Array(100), new Float32Array(4)), RangeError);
  });
}

/** The quantized wrappers' byte-table kernels (attention score chain, LSTM tail) against the js reference. */
function testByteLookups(name: string, kx: Required<Kernels>, own: Kernels): void {
  test(`${name}: attentionScoresU8 and lstmTailU8 are native and identical to the js reference`, () => {
    if (name === 'onednn') {
      assert.equal(typeof own.attentionScoresU8, 'function', 'the onednn addon provides attentionScoresU8');
      assert.equal(typeof own.lstmTailU8, 'function', 'the onednn addon provides lstmTailU8');
    }
    const r = rng(11);
    const codes = randU8(65536, r);
    const chain = randU8(65536, r);
    // R rows over S sentences (beam rows share sentences), lengths with padding, 0 and > T included.
    for (const [R, S, T, U, withLengths] of [
      [1, 1, 1, 1, true],
      [20, 2, 7, 33, true],
      [320, 32, 40, 256, true],
      [300, 30, 17, 256, false],
      [5, 5, 0, 8, true],
      [4, 2, 6, 0, true],
    ] as const) {
      const uq = randU8(R * U, r);
      const uk = randU8(S * T * U, r);
      const ub = randU8(U, r);
      const rowSentence = Int32Array.from({ length: R }, () => Math.floor(r() * S));
      const lengths = withLengths ? Int32Array.from({ length: S }, (_, s) => (s === 0 ? T + 3 : s === 1 ? 0 : Math.floor(r() * (T + 1)))) : null;
      // The same stale bytes in both outputs: positions past a sentence's length must stay untouched.
      const got = randU8(R * T * U, r);
      const want = Uint8Array.from(got);
      kx.attentionScoresU8(R, T, U, uq, uk, rowSentence, lengths, ub, codes, chain, got);
      ref.attentionScoresU8(R, T, U, uq, uk, rowSentence, lengths, ub, codes, chain, want);
      assertSameInts(got, want, `${name} attentionScoresU8 R ${R} S ${S} T ${T} U ${U}`);
    }
    assert.throws(() => kx.attentionScoresU8(1, 2, 2, new Uint8Array(2), new Uint8Array(4), Int32Array.of(1), null, new Uint8Array(2), codes, chain, new Uint8Array(4)), RangeError);
    assert.throws(() => kx.attentionScoresU8(1, 2, 2, new Uint8Array(2), new Uint8Array(4), Int32Array.of(0), null, new Uint8Array(2), codes.subarray(1), chain, new Uint8Array(4)), RangeError);

    const tables = [0, 1, 2, 3].map(() => randU8(65536, r));
    const cValues = randF32(256, r, 10);
    const hValues = randF32(65536, r, 10);
    for (const [n, H] of [[1, 1], [10, 256], [320, 256], [3, 1024], [0, 8]] as const) {
      const ux = randU8(n * 4 * H, r);
      const uh = randU8(n * 4 * H, r);
      const uc = randU8(n * H, r);
      const got = { h: new Float32Array(n * H), c: new Float32Array(n * H) };
      const want = { h: new Float32Array(n * H), c: new Float32Array(n * H) };
      kx.lstmTailU8(n, H, ux, uh, uc, tables[0]!, tables[1]!, tables[2]!, tables[3]!, cValues, hValues, got.h, got.c);
      ref.lstmTailU8(n, H, ux, uh, uc, tables[0]!, tables[1]!, tables[2]!, tables[3]!, cValues, hValues, want.h, want.c);
      assertSameInts(got.h, want.h, `${name} lstmTailU8 h n ${n} H ${H}`);
      assertSameInts(got.c, want.c, `${name} lstmTailU8 c n ${n} H ${H}`);
    }
    const t = tables[0]!;
    assert.throws(() => kx.lstmTailU8(1, 2, new Uint8Array(8), new Uint8Array(8), new Uint8Array(2), t, t, t, t, new Float32Array(255), hValues, new Float32Array(2), new Float32Array(2)), RangeError);
    assert.throws(() => kx.lstmTailU8(1, 2, new Uint8Array(7), new Uint8Array(8), new Uint8Array(2), t, t, t, t, cValues, hValues, new Float32Array(2), new Float32Array(2)), RangeError);
  });
}

async function tryInit(backend: Backend): Promise<{ kernels?: Kernels; reason?: string }> {
  try {
    return { kernels: await backend.init({ threads: 2 }) };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}

const available: { name: string; kernels: Required<Kernels>; own: Kernels }[] = [];
const unavailable: { name: string; reason: string }[] = [];
// The plain SIMD128 wasm build too (selection prefers the relaxed one where the engine has it).
for (const backend of [...builtinBackends.map((b) => b.backend), createWasmBackend('plain')]) {
  if (backend.name === 'js') continue;
  const got = await tryInit(backend);
  if (got.kernels) available.push({ name: backend.name, kernels: { ...jsRefKernels, ...got.kernels }, own: got.kernels });
  else unavailable.push({ name: backend.name, reason: got.reason! });
}

describe('tensor backends', () => {
  for (const { name, kernels: kx, own } of available) {
    testGemm(name, kx);
    testElementwise(name, kx);
    testDecoderStep(name, kx);
    testLookup(name, kx);
    testByteLookups(name, kx, own);
  }
  for (const { name, reason } of unavailable) {
    // The wasm kernels are built by npm install and need only Node: they must always work.
    const mustWork = (name === 'onednn' && dnnlInstalled) || name.startsWith('wasm');
    test(`${name}: unavailable here, only the js reference is tested`, { skip: mustWork ? false : reason }, () => {
      assert.fail(`the ${name} backend does not initialise: ${reason}`);
    });
  }

  // Without a native backend, run the reference against itself: it still exercises the test machinery.
  if (available.length === 0) testGemm('js (no native backend here)', jsRefKernels);

  test('js reference: quantizeU8 rounds half to even like torch.round', () => {
    const x = Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998, -127.5, -128.5);
    const out = new Uint8Array(x.length);
    jsRefKernels.quantizeU8(x, x.length, 1, 0, -128, 127, 128, out);
    assert.deepEqual([...out].map((v) => v - 128), [0, 2, 2, 0, -2, -2, 2, -128, -128]);
  });

  test("selectBackend('auto') picks the best available backend and kernels() has every elementwise kernel", async () => {
    const name = await selectBackend('auto', 2);
    assert.equal(name, available[0]?.name ?? 'js');
    assert.equal(activeBackend().name, name);
    const kx = kernels();
    for (const f of ['lstmCellF32', 'quantizeU8', 'requantizeF32', 'attentionF32', 'logSoftmaxTopKF32', 'pairLookupF32', 'attentionScoresU8', 'lstmTailU8'] as const) assert.equal(typeof kx[f], 'function');
    await selectBackend('js');
  });
});
