// Element-wise kernels of the wasm backend; the semantics are the js reference's
// (src/tensor/backends/js-ref.ts, documented in src/tensor/kernels.ts). Rows are independent and
// split over threads: every kernel takes (tid, nt). Pointers are byte offsets in the shared memory;
// 0 stands for an absent optional operand.
import { exp4, expNonPositive2, sigmoid4, tanh4 } from './math';

@inline function rowStart(rows: i32, tid: i32, nt: i32): i32 {
  return <i32>((<i64>rows * tid) / nt);
}

/** Load 4 floats, or only the `left` (< 4) remaining ones (zeros after). */
@inline function load4(p: usize, left: i32): v128 {
  if (left >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (left > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (left > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline function store4(p: usize, v: v128, left: i32): void {
  if (left >= 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (left > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (left > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

export function lstmCellF32(m: i32, h: i32, gx: usize, gh: usize, cp: usize, ho: usize, co: usize, tid: i32, nt: i32): void {
  const r1 = rowStart(m, tid + 1, nt);
  const hb = <usize>h << 2;
  for (let r = rowStart(m, tid, nt); r < r1; r++) {
    const zx = gx + <usize>r * 4 * hb;
    const zh = gh ? gh + <usize>r * 4 * hb : 0;
    const c0 = cp ? cp + <usize>r * hb : 0;
    const hOut = ho + <usize>r * hb;
    const cOut = co + <usize>r * hb;
    for (let j = 0; j < h; j += 4) {
      const left = h - j;
      const o = <usize>j << 2;
      let zi = load4(zx + o, left);
      let zf = load4(zx + hb + o, left);
      let zg = load4(zx + 2 * hb + o, left);
      let zo = load4(zx + 3 * hb + o, left);
      if (zh) {
        zi = f32x4.add(zi, load4(zh + o, left));
        zf = f32x4.add(zf, load4(zh + hb + o, left));
        zg = f32x4.add(zg, load4(zh + 2 * hb + o, left));
        zo = f32x4.add(zo, load4(zh + 3 * hb + o, left));
      }
      let c = f32x4.mul(sigmoid4(zi), tanh4(zg));
      if (c0) c = f32x4.add(f32x4.mul(sigmoid4(zf), load4(c0 + o, left)), c);
      store4(cOut + o, c, left);
      store4(hOut + o, f32x4.mul(sigmoid4(zo), tanh4(c)), left);
    }
  }
}

const MASKED_SCORE: f64 = -65504.0;

/**
 * Fused attention (kernels.ts attentionF32). work: per thread T float64 (scores) + U float64 (att
 * promoted), at work + tid·workStride.
 */
export function attentionF32(
  rows: i32, T: i32, U: i32, H: i32, q: usize, keys: usize, bias: usize, att: usize, ctx: usize,
  lengths: usize, rowSentence: usize, probs: usize, out: usize, work: usize, workStride: i32, tid: i32, nt: i32,
): void {
  const e = work + <usize>tid * workStride;
  const att64 = e + (<usize>T << 3);
  for (let h = 0; h < U; h++) store<f64>(att64 + (<usize>h << 3), <f64>load<f32>(att + (<usize>h << 2)));
  const r1 = rowStart(rows, tid + 1, nt);
  for (let r = rowStart(rows, tid, nt); r < r1; r++) {
    const s = load<i32>(rowSentence + (<usize>r << 2));
    const n = load<i32>(lengths + (<usize>s << 2));
    const qr = q + ((<usize>r * U) << 2);
    let max: f64 = -Infinity;
    for (let j = 0; j < n; j++) {
      const kr = keys + ((<usize>(s * T + j) * U) << 2);
      let acc0 = f64x2.splat(0);
      let acc1 = f64x2.splat(0);
      let h = 0;
      for (; h + 4 <= U; h += 4) {
        const o = <usize>h << 2;
        const x = f32x4.add(f32x4.add(v128.load(qr + o), v128.load(kr + o)), v128.load(bias + o));
        const t = tanh4(x);
        const a = att64 + (<usize>h << 3);
        acc0 = f64x2.add(acc0, f64x2.mul(f64x2.promote_low_f32x4(t), v128.load(a)));
        acc1 = f64x2.add(acc1, f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<u32>(t, t, 2, 3, 0, 1)), v128.load(a, 16)));
      }
      let acc = (f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc1, 0)) + (f64x2.extract_lane(acc0, 1) + f64x2.extract_lane(acc1, 1));
      for (; h < U; h++) {
        const o = <usize>h << 2;
        const x = f32x4.splat(load<f32>(qr + o) + load<f32>(kr + o) + load<f32>(bias + o));
        acc += <f64>f32x4.extract_lane(tanh4(x), 0) * load<f64>(att64 + (<usize>h << 3));
      }
      const v = <f64><f32>acc;
      store<f64>(e + (<usize>j << 3), v);
      if (v > max) max = v;
    }
    if (n < T && MASKED_SCORE > max) max = MASKED_SCORE;
    let sum: f64 = 0;
    for (let j = 0; j < n; j++) {
      const x = Math.exp(load<f64>(e + (<usize>j << 3)) - max);
      store<f64>(e + (<usize>j << 3), <f64><f32>x);
      sum += x;
    }
    const pr = probs + ((<usize>r * T) << 2);
    for (let j = 0; j < n; j++) store<f32>(pr + (<usize>j << 2), <f32>(load<f64>(e + (<usize>j << 3)) / sum));
    for (let j = n; j < T; j++) store<f32>(pr + (<usize>j << 2), 0);
    const or = out + ((<usize>r * H) << 2);
    memory.fill(or, 0, <usize>H << 2);
    for (let j = 0; j < n; j++) {
      const p = <f64>load<f32>(pr + (<usize>j << 2));
      if (p == 0) continue;
      const pv = f64x2.splat(p);
      const cr = ctx + ((<usize>(s * T + j) * H) << 2);
      let h = 0;
      for (; h + 4 <= H; h += 4) {
        const o = <usize>h << 2;
        const acc = v128.load(or + o);
        const c = v128.load(cr + o);
        const lo = f64x2.add(f64x2.promote_low_f32x4(acc), f64x2.mul(pv, f64x2.promote_low_f32x4(c)));
        const hi = f64x2.add(
          f64x2.promote_low_f32x4(v128.shuffle<u32>(acc, acc, 2, 3, 0, 1)),
          f64x2.mul(pv, f64x2.promote_low_f32x4(v128.shuffle<u32>(c, c, 2, 3, 0, 1))),
        );
        const l32 = f32x4.demote_f64x2_zero(lo);
        const h32 = f32x4.demote_f64x2_zero(hi);
        v128.store(or + o, v128.shuffle<u32>(l32, h32, 0, 1, 4, 5));
      }
      for (; h < H; h++) {
        const o = <usize>h << 2;
        store<f32>(or + o, <f32>(<f64>load<f32>(or + o) + p * <f64>load<f32>(cr + o)));
      }
    }
  }
}

/** log_softmax + top-k per row (kernels.ts logSoftmaxTopKF32). work: per thread k f32 + k i32. */
export function logSoftmaxTopKF32(logits: usize, rows: i32, V: i32, K: i32, ids: usize, lps: usize, work: usize, workStride: i32, tid: i32, nt: i32): void {
  const topV = work + <usize>tid * workStride;
  const topI = topV + (<usize>K << 2);
  const r1 = rowStart(rows, tid + 1, nt);
  for (let r = rowStart(rows, tid, nt); r < r1; r++) {
    const x = logits + ((<usize>r * V) << 2);
    let filled = 0;
    for (let j0 = 0; j0 < V; j0 += 64) {
      const end = min(V, j0 + 64);
      if (filled == K && end - j0 == 64) {
        const b = x + (<usize>j0 << 2);
        let m = f32x4.max(v128.load(b), v128.load(b, 16));
        for (let o = 32; o < 256; o += 32) m = f32x4.max(m, f32x4.max(v128.load(b + o), v128.load(b + o, 16)));
        const bm = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
        if (!(bm > load<f32>(topV + (<usize>(K - 1) << 2)))) continue;
      }
      for (let j = j0; j < end; j++) {
        const v = load<f32>(x + (<usize>j << 2));
        if (filled == K && !(v > load<f32>(topV + (<usize>(K - 1) << 2)))) continue;
        let p = filled < K ? filled++ : K - 1;
        while (p > 0 && v > load<f32>(topV + (<usize>(p - 1) << 2))) {
          store<f32>(topV + (<usize>p << 2), load<f32>(topV + (<usize>(p - 1) << 2)));
          store<i32>(topI + (<usize>p << 2), load<i32>(topI + (<usize>(p - 1) << 2)));
          p--;
        }
        store<f32>(topV + (<usize>p << 2), v);
        store<i32>(topI + (<usize>p << 2), j);
      }
    }
    const mx = load<f32>(topV);
    const dmax = f64x2.splat(<f64>mx);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= V; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      s0 = f64x2.add(s0, expNonPositive2(f64x2.sub(f64x2.promote_low_f32x4(v), dmax)));
      s1 = f64x2.add(s1, expNonPositive2(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1)), dmax)));
    }
    let sum = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s1, 0)) + (f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 1));
    for (; j < V; j++) sum += Math.exp(<f64>load<f32>(x + (<usize>j << 2)) - <f64>mx);
    const lse = <f32>Math.log(sum);
    const ir = ids + ((<usize>r * K) << 2);
    const lr = lps + ((<usize>r * K) << 2);
    for (let i = 0; i < filled; i++) {
      const lp: f32 = (load<f32>(topV + (<usize>i << 2)) - mx) - lse;
      const id = load<i32>(topI + (<usize>i << 2));
      let p = i;
      while (p > 0 && lp == load<f32>(lr + (<usize>(p - 1) << 2)) && id < load<i32>(ir + (<usize>(p - 1) << 2))) {
        store<f32>(lr + (<usize>p << 2), load<f32>(lr + (<usize>(p - 1) << 2)));
        store<i32>(ir + (<usize>p << 2), load<i32>(ir + (<usize>(p - 1) << 2)));
        p--;
      }
      store<f32>(lr + (<usize>p << 2), lp);
      store<i32>(ir + (<usize>p << 2), id);
    }
  }
}

// ---- bit-exact integer paths (no float contraction: every operation rounds to float32) ----

/** quantizeU8 over count values, split in contiguous chunks of whole vectors. */
export function quantizeU8(x: usize, count: i32, scale: f32, zeroPoint: f32, lo: i32, hi: i32, offset: i32, out: usize, tid: i32, nt: i32): void {
  const blocks = (count + 15) >> 4;
  const i0 = rowStart(blocks, tid, nt) << 4;
  const i1 = min(count, rowStart(blocks, tid + 1, nt) << 4);
  const s = f32x4.splat(scale);
  const z = f32x4.splat(zeroPoint);
  const flo = f32x4.splat(<f32>lo);
  const fhi = f32x4.splat(<f32>hi);
  const off = i32x4.splat(offset);
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const p = x + (<usize>i << 2);
    const q0 = i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.min(f32x4.max(f32x4.sub(f32x4.mul(s, v128.load(p)), z), flo), fhi))), off);
    const q1 = i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.min(f32x4.max(f32x4.sub(f32x4.mul(s, v128.load(p, 16)), z), flo), fhi))), off);
    const q2 = i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.min(f32x4.max(f32x4.sub(f32x4.mul(s, v128.load(p, 32)), z), flo), fhi))), off);
    const q3 = i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.min(f32x4.max(f32x4.sub(f32x4.mul(s, v128.load(p, 48)), z), flo), fhi))), off);
    v128.store(out + i, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
  }
  for (; i < i1; i++) {
    let t: f32 = scale * load<f32>(x + (<usize>i << 2)) - zeroPoint;
    t = t < <f32>lo ? <f32>lo : t > <f32>hi ? <f32>hi : t;
    store<u8>(out + i, <u8>(<i32>nearest<f32>(t) + offset));
  }
}

/** requantizeF32 (kernels.ts): exact int64 sums, float32 rounding after every operation. factorN: 1 or n. */
export function requantizeF32(
  acc: usize, m: i32, n: i32, add: usize, rowTerm: usize, colMul: usize, factor: usize, factorN: i32,
  zOut: f32, lo: i32, hi: i32, sOut: f32, out: usize, tid: i32, nt: i32,
): void {
  const r1 = rowStart(m, tid + 1, nt);
  const flo = <f32>lo;
  const fhi = <f32>hi;
  for (let i = rowStart(m, tid, nt); i < r1; i++) {
    const rt: i64 = rowTerm ? <i64>load<i32>(rowTerm + (<usize>i << 2)) : 0;
    const ar = acc + ((<usize>i * n) << 2);
    const orow = out + ((<usize>i * n) << 2);
    for (let j = 0; j < n; j++) {
      const jo = <usize>j << 2;
      let a: i64 = <i64>load<i32>(ar + jo);
      if (add) a += <i64>load<i32>(add + jo);
      if (rowTerm) a += rt * <i64>load<i32>(colMul + jo);
      a = a < -2147483648 ? -2147483648 : a > 2147483647 ? 2147483647 : a;
      const f = load<f32>(factor + (factorN == 1 ? 0 : jo));
      let t: f32 = f * <f32><i32>a - zOut;
      t = t < flo ? flo : t > fhi ? fhi : t;
      const q = nearest<f32>(t);
      store<f32>(orow + jo, (q + zOut) / sOut);
    }
  }
}

/** out[i] = table[(u0[i % p0] << 8) | u1[i % p1]] over count values, split in contiguous chunks. */
export function pairLookupF32(u0: usize, p0: i32, u1: usize, p1: i32, count: i32, table: usize, out: usize, tid: i32, nt: i32): void {
  const i0 = rowStart(count, tid, nt);
  const i1 = rowStart(count, tid + 1, nt);
  let k0 = i0 % p0;
  let k1 = i0 % p1;
  for (let i = i0; i < i1; i++) {
    const idx = (<u32>load<u8>(u0 + k0) << 8) | <u32>load<u8>(u1 + k1);
    store<f32>(out + (<usize>i << 2), load<f32>(table + (<usize>idx << 2)));
    if (++k0 == p0) k0 = 0;
    if (++k1 == p1) k1 = 0;
  }
}

/** attentionScoresU8 (kernels.ts); lengths 0 = every position. */
export function attentionScoresU8(
  R: i32, T: i32, U: i32, uq: usize, uk: usize, rowSentence: usize, lengths: usize, ub: usize, codes: usize, chain: usize, ut: usize, tid: i32, nt: i32,
): void {
  const r1 = rowStart(R, tid + 1, nt);
  for (let r = rowStart(R, tid, nt); r < r1; r++) {
    const s = load<i32>(rowSentence + (<usize>r << 2));
    const len = lengths ? min(load<i32>(lengths + (<usize>s << 2)), T) : T;
    const qo = uq + <usize>r * U;
    for (let j = 0; j < len; j++) {
      const ko = uk + <usize>(s * T + j) * U;
      const o = ut + <usize>(r * T + j) * U;
      for (let h = 0; h < U; h++) {
        const c = load<u8>(codes + ((<usize>load<u8>(qo + h) << 8) | <usize>load<u8>(ko + h)));
        store<u8>(o + h, load<u8>(chain + ((<usize>load<u8>(ub + h) << 8) | <usize>c)));
      }
    }
  }
}

/** lstmTailU8 (kernels.ts). */
export function lstmTailU8(
  n: i32, H: i32, ux: usize, uh: usize, uc: usize, gateCodes: usize, forgetCodes: usize, inputCodes: usize, cellCodes: usize,
  cValues: usize, hValues: usize, hOut: usize, cOut: usize, tid: i32, nt: i32,
): void {
  const G = 4 * H;
  const r1 = rowStart(n, tid + 1, nt);
  for (let r = rowStart(n, tid, nt); r < r1; r++) {
    const go = <usize>r * G;
    const co = <usize>r * H;
    for (let j = 0; j < H; j++) {
      const gi = go + j;
      const zi = <usize>load<u8>(gateCodes + ((<usize>load<u8>(ux + gi) << 8) | <usize>load<u8>(uh + gi)));
      const zf = <usize>load<u8>(gateCodes + ((<usize>load<u8>(ux + gi + H) << 8) | <usize>load<u8>(uh + gi + H)));
      const zg = <usize>load<u8>(gateCodes + ((<usize>load<u8>(ux + gi + 2 * H) << 8) | <usize>load<u8>(uh + gi + 2 * H)));
      const zo = <usize>load<u8>(gateCodes + ((<usize>load<u8>(ux + gi + 3 * H) << 8) | <usize>load<u8>(uh + gi + 3 * H)));
      const f = <usize>load<u8>(forgetCodes + ((zf << 8) | <usize>load<u8>(uc + co + j)));
      const cc = <usize>load<u8>(cellCodes + ((f << 8) | <usize>load<u8>(inputCodes + ((zi << 8) | zg))));
      store<f32>(cOut + ((co + j) << 2), load<f32>(cValues + (cc << 2)));
      store<f32>(hOut + ((co + j) << 2), load<f32>(hValues + (((zo << 8) | cc) << 2)));
    }
  }
}
