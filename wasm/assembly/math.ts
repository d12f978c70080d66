// Vectorised float32 exp/tanh/sigmoid (the native backend's Cephes polynomials, ≈ 2 ulp) and a
// float64 exp for arguments ≤ 0 (degree-13 Taylor after ln 2 reduction, relative error ≈ 2e-16).

@inline function splat(v: f32): v128 {
  return f32x4.splat(v);
}

@inline export function exp4(x: v128): v128 {
  x = f32x4.max(f32x4.min(x, splat(88.0)), splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(x, splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(splat(1.0), f32x4.add(splat(1.0), exp4(f32x4.neg(x))));
}

/** Odd polynomial below |x| = 0.625, else 1 − 2/(e^{2|x|} + 1); the sign of x is put back. */
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const big = f32x4.sub(splat(1.0), f32x4.div(splat(2.0), f32x4.add(exp4(f32x4.add(ax, ax)), splat(1.0))));
  const z = f32x4.mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
  const t = v128.bitselect(small, big, f32x4.lt(ax, splat(0.625)));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

@inline function splat64(v: f64): v128 {
  return f64x2.splat(v);
}

/** exp(x) for x ≤ 0 in float64 lanes; results below 2^-1022 are 0 (harmless in a sum including exp(0)). */
@inline export function expNonPositive2(x: v128): v128 {
  x = f64x2.max(x, splat64(-708.0));
  const n = f64x2.nearest(f64x2.mul(x, splat64(1.4426950408889634)));
  let r = f64x2.add(f64x2.mul(n, splat64(-6.93147180369123816490e-01)), x);
  r = f64x2.add(f64x2.mul(n, splat64(-1.90821492927058770002e-10)), r);
  let p = splat64(1.0 / 6227020800.0);
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 479001600.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 39916800.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 3628800.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(0.5));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0));
  p = f64x2.add(f64x2.mul(p, r), splat64(1.0));
  // 2^n: n is in [-1022, 0], so (n + 1023) << 52 is a normal float64's bits.
  const ni = i32x4.trunc_sat_f64x2_s_zero(n);
  const scale = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(ni), i64x2.splat(1023)), 52);
  return f64x2.mul(p, scale);
}
