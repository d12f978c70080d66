// GEMM kernels for the wasm backend (AssemblyScript, SIMD128; the relaxed build uses fused multiply-add).
// C(m, n) = A(m, k) · Wᵀ with W prepacked by the host (src/tensor/backends/wasm-kernels.ts):
// - f32: panels of NR = 8 columns, for each k index the 8 column values (32 bytes);
// - int8: panels of 8 columns, for each k pair the 8 columns' (w[p], w[p+1]) as int16 (32 bytes),
//   k padded to even; A is widened to int16 rows of kpad values first (widenU8).
// C has a row stride of npad = 8·panels. Every kernel takes (tid, nt) and does its share of the work.

const NR: i32 = 8;
const MR: i32 = 4;
/** k values (f32) or k pairs (int8) per cache block: B panel slices of 16–32 KB stay in L1/L2. */
const KC: i32 = 512;
/** Rows per cache block: the A block (MC × KC) stays in L2 while the W panels stream through L1. */
const MC: i32 = 64;

@inline function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** The [start, end) share of `count` items for thread tid of nt (contiguous blocks). */
@inline function shareStart(count: i32, tid: i32, nt: i32): i32 {
  return <i32>((<i64>count * tid) / nt);
}

function microF32x4(a: usize, lda: usize, b: usize, kc: i32, c: usize, ldc: usize, init: i32, bias: usize): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (init) {
    if (bias) {
      c00 = v128.load(bias); c01 = v128.load(bias, 16);
    } else {
      c00 = f32x4.splat(0); c01 = c00;
    }
    c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
  }
  let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
  const end = b + (<usize>kc << 5);
  while (b < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a0);
    c00 = fma(s, b0, c00); c01 = fma(s, b1, c01);
    s = v128.load32_splat(a1);
    c10 = fma(s, b0, c10); c11 = fma(s, b1, c11);
    s = v128.load32_splat(a2);
    c20 = fma(s, b0, c20); c21 = fma(s, b1, c21);
    s = v128.load32_splat(a3);
    c30 = fma(s, b0, c30); c31 = fma(s, b1, c31);
    b += 32; a0 += 4; a1 += 4; a2 += 4; a3 += 4;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

function microF32x1(a: usize, b: usize, kc: i32, c: usize, init: i32, bias: usize): void {
  let c0: v128, c1: v128;
  if (init) {
    if (bias) { c0 = v128.load(bias); c1 = v128.load(bias, 16); } else { c0 = f32x4.splat(0); c1 = c0; }
  } else {
    c0 = v128.load(c); c1 = v128.load(c, 16);
  }
  const end = b + (<usize>kc << 5);
  while (b < end) {
    const s = v128.load32_splat(a);
    c0 = fma(s, v128.load(b), c0); c1 = fma(s, v128.load(b, 16), c1);
    b += 32; a += 4;
  }
  v128.store(c, c0); v128.store(c, c1, 16);
}

/**
 * Rows [r0, r1) × panels [j0, j1) of C = A·Wᵀ (+ bias): A (m, k) f32 at a, packed W at w, C (m, npad) at c,
 * bias (npad) at bias or 0.
 */
function gemmF32Block(a: usize, k: i32, w: usize, c: usize, npad: i32, bias: usize, r0: i32, r1: i32, j0: i32, j1: i32): void {
  const lda = <usize>k << 2;
  const ldc = <usize>npad << 2;
  if (k == 0) {
    for (let i = r0; i < r1; i++) {
      for (let jb = j0; jb < j1; jb++) {
        const dst = c + <usize>i * ldc + (<usize>jb << 5);
        if (bias) { v128.store(dst, v128.load(bias + (<usize>jb << 5))); v128.store(dst, v128.load(bias + (<usize>jb << 5), 16), 16); }
        else { v128.store(dst, f32x4.splat(0)); v128.store(dst, f32x4.splat(0), 16); }
      }
    }
    return;
  }
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const init = pc == 0 ? 1 : 0;
    for (let ic = r0; ic < r1; ic += MC) {
      const ie = min(r1, ic + MC);
      for (let jb = j0; jb < j1; jb++) {
        const bp = w + ((<usize>jb * k + pc) << 5);
        const bb = bias ? bias + (<usize>jb << 5) : 0;
        let i = ic;
        for (; i + MR <= ie; i += MR) {
          microF32x4(a + <usize>i * lda + (<usize>pc << 2), lda, bp, kc, c + <usize>i * ldc + (<usize>jb << 5), ldc, init, bb);
        }
        for (; i < ie; i++) microF32x1(a + <usize>i * lda + (<usize>pc << 2), bp, kc, c + <usize>i * ldc + (<usize>jb << 5), init, bb);
      }
    }
  }
}

/** Threads split the column panels when there are enough of them, else the rows. */
export function gemmF32(a: usize, m: i32, k: i32, w: usize, c: usize, npad: i32, bias: usize, tid: i32, nt: i32): void {
  const panels = npad / NR;
  if (panels >= 2 * nt || m < MR * nt) {
    gemmF32Block(a, k, w, c, npad, bias, 0, m, shareStart(panels, tid, nt), shareStart(panels, tid + 1, nt));
  } else {
    const blocks = (m + MR - 1) / MR;
    gemmF32Block(a, k, w, c, npad, bias, min(m, shareStart(blocks, tid, nt) * MR), min(m, shareStart(blocks, tid + 1, nt) * MR), 0, panels);
  }
}

/** Pack W (n, k) f32 at src into panels at dst (npad·k floats, padded columns zero). */
export function packF32(src: usize, n: i32, k: i32, dst: usize): void {
  const panels = (n + NR - 1) / NR;
  for (let jb = 0; jb < panels; jb++) {
    for (let p = 0; p < k; p++) {
      const o = dst + ((<usize>jb * k + p) << 5);
      for (let q = 0; q < NR; q++) {
        const j = jb * NR + q;
        store<f32>(o + (<usize>q << 2), j < n ? load<f32>(src + ((<usize>j * k + p) << 2)) : 0);
      }
    }
  }
}

// ---- int8: u8 × s8 → s32, exact (pairwise int16 products summed into int32 lanes) ----

function microS8x4(a: usize, lda: usize, b: usize, kq: i32, c: usize, ldc: usize, init: i32): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (init) {
    c00 = i32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
  }
  let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
  const end = b + (<usize>kq << 5);
  while (b < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a0);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(s, b0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(s, b1));
    s = v128.load32_splat(a1);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(s, b0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(s, b1));
    s = v128.load32_splat(a2);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(s, b0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(s, b1));
    s = v128.load32_splat(a3);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(s, b0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(s, b1));
    b += 32; a0 += 4; a1 += 4; a2 += 4; a3 += 4;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

function microS8x1(a: usize, b: usize, kq: i32, c: usize, init: i32): void {
  let c0: v128, c1: v128;
  if (init) { c0 = i32x4.splat(0); c1 = c0; } else { c0 = v128.load(c); c1 = v128.load(c, 16); }
  const end = b + (<usize>kq << 5);
  while (b < end) {
    const s = v128.load32_splat(a);
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(s, v128.load(b)));
    c1 = i32x4.add(c1, i32x4.dot_i16x8_s(s, v128.load(b, 16)));
    b += 32; a += 4;
  }
  v128.store(c, c0); v128.store(c, c1, 16);
}

function gemmS8Block(a: usize, kpad: i32, w: usize, c: usize, npad: i32, r0: i32, r1: i32, j0: i32, j1: i32): void {
  const lda = <usize>kpad << 1;
  const ldc = <usize>npad << 2;
  const kq = kpad >> 1;
  if (kq == 0) {
    for (let i = r0; i < r1; i++) memory.fill(c + <usize>i * ldc + (<usize>j0 << 5), 0, <usize>(j1 - j0) << 5);
    return;
  }
  for (let qc = 0; qc < kq; qc += KC) {
    const kc = min(KC, kq - qc);
    const init = qc == 0 ? 1 : 0;
    for (let ic = r0; ic < r1; ic += MC) {
      const ie = min(r1, ic + MC);
      for (let jb = j0; jb < j1; jb++) {
        const bp = w + ((<usize>jb * kq + qc) << 5);
        let i = ic;
        for (; i + MR <= ie; i += MR) microS8x4(a + <usize>i * lda + (<usize>qc << 2), lda, bp, kc, c + <usize>i * ldc + (<usize>jb << 5), ldc, init);
        for (; i < ie; i++) microS8x1(a + <usize>i * lda + (<usize>qc << 2), bp, kc, c + <usize>i * ldc + (<usize>jb << 5), init);
      }
    }
  }
}

/** C (m, npad) int32 = A·Wᵀ, A widened to int16 rows of kpad at a. */
export function gemmU8S8S32(a: usize, m: i32, kpad: i32, w: usize, c: usize, npad: i32, tid: i32, nt: i32): void {
  const panels = npad / NR;
  if (panels >= 2 * nt || m < MR * nt) {
    gemmS8Block(a, kpad, w, c, npad, 0, m, shareStart(panels, tid, nt), shareStart(panels, tid + 1, nt));
  } else {
    const blocks = (m + MR - 1) / MR;
    gemmS8Block(a, kpad, w, c, npad, min(m, shareStart(blocks, tid, nt) * MR), min(m, shareStart(blocks, tid + 1, nt) * MR), 0, panels);
  }
}

/** Widen u8 rows (m, k) at src to int16 rows (m, kpad) at dst (kpad = k rounded up to even; pad zero). */
export function widenU8(src: usize, m: i32, k: i32, kpad: i32, dst: usize): void {
  for (let i = 0; i < m; i++) {
    const s = src + <usize>i * k;
    const d = dst + ((<usize>i * kpad) << 1);
    let p = 0;
    for (; p + 16 <= k; p += 16) {
      const v = v128.load(s + p);
      v128.store(d + (<usize>p << 1), i16x8.extend_low_i8x16_u(v));
      v128.store(d + (<usize>p << 1), i16x8.extend_high_i8x16_u(v), 16);
    }
    for (; p < k; p++) store<i16>(d + (<usize>p << 1), <i16>load<u8>(s + p));
    if (kpad > k) store<i16>(d + (<usize>k << 1), 0);
  }
}

/** Pack W (n, k) s8 at src into int16 pair panels at dst (npad · kpad int16 values). */
export function packS8(src: usize, n: i32, k: i32, dst: usize): void {
  const panels = (n + NR - 1) / NR;
  const kq = (k + 1) >> 1;
  for (let jb = 0; jb < panels; jb++) {
    for (let q = 0; q < kq; q++) {
      const o = dst + ((<usize>jb * kq + q) << 5);
      for (let col = 0; col < NR; col++) {
        const j = jb * NR + col;
        const p = q << 1;
        const w0: i16 = j < n ? <i16>load<i8>(src + <usize>j * k + p) : 0;
        const w1: i16 = j < n && p + 1 < k ? <i16>load<i8>(src + <usize>j * k + p + 1) : 0;
        store<i16>(o + (<usize>col << 2), w0);
        store<i16>(o + (<usize>col << 2) + 2, w1);
      }
    }
  }
}
