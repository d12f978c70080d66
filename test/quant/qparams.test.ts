import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundHalfEven, quantize, dequantize, intRange, accumRange, requantize } from '../../src/quant/qtypes.js';
import { asymmetricParams, symmetricParams, approxScale, paramsFromRange } from '../../src/quant/qparams.js';

test('round half to even like torch.round', () => {
  assert.deepEqual([-127.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 127.5, 3.4, -3.6].map(roundHalfEven), [-128, -2, -2, -0, 0, 2, 2, 128, 3, -4]);
});

test('spec §10: ASYMMETRIC_SIGNED gate range [−6, 6] → scale 21.25, round(21.25·(−6)) = −128 (half to even), zero point 0', () => {
  const p = asymmetricParams(-6, 6, 8, true);
  assert.equal(p.scale, 21.25);
  assert.equal(roundHalfEven(21.25 * -6), -128);
  assert.equal(p.zeroPoint, 0);
  // And −6 quantizes to the bottom of the signed range, 6 to the top.
  assert.equal(quantize(-6, p.scale, p.zeroPoint, -128, 127), -128);
  assert.equal(quantize(6, p.scale, p.zeroPoint, -128, 127), 127);
  // SYMMETRIC gate scale: 127/6 evaluated as fround(fround(1/6)·127) (spec §10: 21.166666…).
  assert.equal(symmetricParams(-6, 6, 8).scale, Math.fround(Math.fround(1 / 6) * 127));
  assert.equal(symmetricParams(-6, 6, 8).scale, 21.166667938232422);
});

test('scale formulas: n/a as fround(fround(1/a)·n); zero range → scale 1 (sym) / n/n (asym); zero always representable', () => {
  // 127/3: the reciprocal-then-multiply order differs from a single float32 division here.
  assert.equal(symmetricParams(-3, 3, 8).scale, 42.333335876464844);
  assert.notEqual(Math.fround(127 / 3), 42.333335876464844);
  assert.deepEqual(symmetricParams(0, 0, 8), { scale: 1, zeroPoint: 0, satMin: -0, satMax: 0 });
  assert.equal(asymmetricParams(0, 0, 8, false).scale, 1);
  const pos = asymmetricParams(2, 4, 8, false); // m' = 0
  assert.deepEqual([pos.satMin, pos.satMax, pos.zeroPoint], [0, 4, 0]);
  assert.equal(pos.scale, 63.75);
  const u = asymmetricParams(-1, 3, 8, false);
  assert.deepEqual([u.scale, u.zeroPoint], [63.75, roundHalfEven(Math.fround(63.75 * -1))]);
  assert.equal(quantize(-1, u.scale, u.zeroPoint, 0, 255), 0);
  assert.equal(quantize(3, u.scale, u.zeroPoint, 0, 255), 255);
  assert.throws(() => asymmetricParams(1, -1, 8, true), /below min/);
  assert.throws(() => paramsFromRange('SYMMETRIC', NaN, 1, 8), /NaN/);
});

test('Q and D: float32 evaluation order, zero-point convention, parity of ties depends on z', () => {
  // s·x − z with z = −3: 2.5 + 3 = 5.5 → 6 (even), while round(2.5) − z would give 2 + 3 = 5.
  assert.equal(quantize(2.5, 1, -3, -128, 127), 6);
  assert.equal(quantize(1000, 1, 0, -128, 127), 127);
  assert.equal(dequantize(6, 2, -3), 1.5);
  assert.equal(dequantize(1, 3, 0), Math.fround(1 / 3));
  assert.equal(requantize(7, 0.5, 0, -128, 127), 4); // 3.5 → 4
  assert.equal(requantize(5, 0.5, 0, -128, 127), 2); // 2.5 → 2
});

test('integer ranges per mode and bits; accumulator range', () => {
  assert.deepEqual(intRange('SYMMETRIC', 8), { lo: -128, hi: 127 });
  assert.deepEqual(intRange('ASYMMETRIC_SIGNED', 4), { lo: -8, hi: 7 });
  assert.deepEqual(intRange('ASYMMETRIC_UNSIGNED', 8), { lo: 0, hi: 255 });
  assert.deepEqual(accumRange(32), { lo: -(2 ** 31), hi: 2 ** 31 - 1 });
  assert.throws(() => intRange('SYMMETRIC', 9), RangeError);
});

test('scale_approx_mult_bits: S ≈ A/2^k with the largest k keeping A < 2^m (spec §2.4)', () => {
  const s = Math.fround(0.0078750951215624);
  const approx = approxScale(s, 8);
  const k = Math.floor(Math.log2(255 / s));
  assert.equal(approx, Math.floor(s * 2 ** k) / 2 ** k);
  assert.ok(approx * 2 ** k < 256 && approx * 2 ** (k + 1) >= 256);
  assert.equal(approxScale(s, null), s);
  assert.equal(approxScale(3, 4), 3); // 15/3 = 5 → k = 2, A = 12 → 12/4
});
