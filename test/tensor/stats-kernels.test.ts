/**
 * The statistics kernels (src/tensor/stats-kernels.ts): the js reference against direct reductions of
 * the op chain, and every native backend against the js reference (values within float32 last bits of
 * the polynomial exp/tanh, sums within float64 rounding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinBackends } from '../../src/tensor/backends/index.js';
import { jsStatsKernels } from '../../src/tensor/backends/js-stats.js';
import type { StatsKernels } from '../../src/tensor/stats-kernels.js';

function random(n: number, seed: number, scale = 3): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

function quadOf(values: number[]): number[] {
  return [Math.min(...values), Math.max(...values), values.reduce((a, v) => a + v, 0), values.reduce((a, v) => a + v * v, 0)];
}

function close(a: Float64Array | Float32Array, b: Float64Array | Float32Array, rel: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    assert.ok(d <= rel * Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

test('js rowStatsF32: min, max, Σ, Σ² of each row; an odd row length', () => {
  const x = random(3 * 13, 1);
  const out = new Float64Array(12);
  jsStatsKernels.rowStatsF32(x, 3, 13, out);
  for (let r = 0; r < 3; r++) assert.deepEqual([...out.subarray(r * 4, r * 4 + 4)], quadOf([...x.subarray(r * 13, r * 13 + 13)]));
});

test('js lstmTailStatsF32 reduces the op chain (every op rounded to float32)', () => {
  const H = 5;
  const gx = random(2 * 4 * H, 2);
  const gh = random(2 * 4 * H, 3);
  const c = random(2 * H, 4);
  const out = new Float64Array(2 * 13 * 4);
  jsStatsKernels.lstmTailStatsF32(2, H, gx, gh, c, out);
  const f = Math.fround;
  const sig = (v: number): number => f(1 / (1 + Math.exp(-v)));
  for (let r = 0; r < 2; r++) {
    const cols: number[][] = Array.from({ length: 13 }, () => []);
    for (let j = 0; j < H; j++) {
      const z = [0, 1, 2, 3].map((k) => f(gx[r * 4 * H + k * H + j]! + gh[r * 4 * H + k * H + j]!));
      const [i, fg, g, o] = [sig(z[0]!), sig(z[1]!), f(Math.tanh(z[2]!)), sig(z[3]!)];
      const cf = f(fg * c[r * H + j]!);
      const ci = f(i * g);
      const cc = f(cf + ci);
      const tc = f(Math.tanh(cc));
      [...z, i, fg, g, o, cf, ci, cc, tc, f(o * tc)].forEach((v, k) => cols[k]!.push(v));
    }
    cols.forEach((vals, k) => assert.deepEqual([...out.subarray((r * 13 + k) * 4, (r * 13 + k) * 4 + 4)], quadOf(vals), `row ${r} tensor ${k}`));
  }
});

const backends: { name: string; k: StatsKernels }[] = [];
for (const { backend } of builtinBackends) {
  if (backend.name === 'js') continue;
  try {
    const k: StatsKernels = await backend.init({ threads: 2 });
    // The wasm backend has no statistics kernels yet (calibration there uses the js reference);
    // every other backend must provide all three, which the test below asserts.
    if (backend.name === 'wasm' && !k.rowStatsF32 && !k.lstmTailStatsF32 && !k.attentionScoreStatsF32) continue;
    backends.push({ name: backend.name, k });
  } catch {
    /* not available here: the js reference is tested above */
  }
}

for (const { name, k } of backends) {
  test(`${name}: the statistics kernels agree with the js reference`, () => {
    assert.ok(k.rowStatsF32 && k.lstmTailStatsF32 && k.attentionScoreStatsF32, 'all three statistics kernels are native');
    // Rows long enough for the 8-lane loops and the parallel split, plus a remainder.
    const rows = 300;
    const cols = 203;
    const x = random(rows * cols, 5);
    const a = new Float64Array(rows * 4);
    const b = new Float64Array(rows * 4);
    k.rowStatsF32(x, rows, cols, a);
    jsStatsKernels.rowStatsF32(x, rows, cols, b);
    close(a, b, 1e-12, 'rowStatsF32');

    const m = 70;
    const H = 100;
    const gx = random(m * 4 * H, 6);
    const gh = random(m * 4 * H, 7);
    const c = random(m * H, 8, 10);
    const ta = new Float64Array(m * 13 * 4);
    const tb = new Float64Array(m * 13 * 4);
    k.lstmTailStatsF32(m, H, gx, gh, c, ta);
    jsStatsKernels.lstmTailStatsF32(m, H, gx, gh, c, tb);
    close(ta, tb, 2e-5, 'lstmTailStatsF32'); // polynomial exp: ≈1e-7 per value, summed over H values

    const R = 40;
    const T = 9;
    const U = 70;
    const S = 4;
    const q = random(R * U, 9);
    const keys = random(S * T * U, 10);
    const rowSentence = Int32Array.from({ length: R }, (_, r) => r % S);
    const bias = random(U, 11, 0.5);
    const att = random(U, 12, 0.2);
    const sa = new Float32Array(R * T);
    const sb = new Float32Array(R * T);
    const oa = new Float64Array(R * 12);
    const ob = new Float64Array(R * 12);
    k.attentionScoreStatsF32(R, T, U, q, keys, rowSentence, bias, att, sa, oa);
    jsStatsKernels.attentionScoreStatsF32(R, T, U, q, keys, rowSentence, bias, att, sb, ob);
    close(sa, sb, 1e-5, 'attentionScoreStatsF32 scores');
    close(oa, ob, 2e-5, 'attentionScoreStatsF32 quads');
  });
}
