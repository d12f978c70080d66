/**
 * numpy's `np.random.default_rng(seed)` bit stream, reproduced exactly so that bootstrap resampling draws
 * the same sentences as sacrebleu 2.x (which calls `default_rng(12345).choice(n, (samples, n))`):
 *
 * - SeedSequence(seed): the entropy is hashed into a pool of four 32-bit words (hashmix/mix), and
 *   `generate_state(4, uint64)` expands the pool into PCG64's initial state and stream;
 * - PCG64: a 128-bit LCG (multiplier 0x2360ED051FC65DA44385DF649FCCF645) with the XSL-RR output;
 *   32-bit draws use the low half of a 64-bit output first, then its high half;
 * - `integers(0, n)` / `choice(n)` for n ≤ 2^32: Lemire's bounded multiply with rejection.
 *
 * tools/bootstrap_reference.py checks these against numpy itself (the committed fixture).
 */

const M32 = 0xffffffffn;
const M128 = (1n << 128n) - 1n;
const PCG_MULT = (2549297995355413924n << 64n) + 4865540595714422341n;
const MULT_LIMBS = limbs(PCG_MULT);

// numpy/random/bit_generator.pyx constants
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL_SIZE = 4;

/** SeedSequence(seed).generate_state(words, uint64) for a non-negative integer seed. */
export function seedSequenceState(seed: number | bigint, words: number): bigint[] {
  const entropy = toUint32Words(BigInt(seed));
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    let v = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    return (v ^ (v >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const pool = Array.from({ length: POOL_SIZE }, (_, i) => hashmix(entropy[i] ?? 0));
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst]!, hashmix(pool[src]!));
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst]!, hashmix(entropy[src]!));
  }
  let h = INIT_B;
  const state32: number[] = [];
  for (let i = 0; i < 2 * words; i++) {
    let v = (pool[i % POOL_SIZE]! ^ h) >>> 0;
    h = Math.imul(h, MULT_B) >>> 0;
    v = Math.imul(v, h) >>> 0;
    state32.push((v ^ (v >>> 16)) >>> 0);
  }
  return Array.from({ length: words }, (_, i) => BigInt(state32[2 * i]!) | (BigInt(state32[2 * i + 1]!) << 32n));
}

function toUint32Words(n: bigint): number[] {
  if (n < 0n) throw new RangeError('the seed must be a non-negative integer');
  const words: number[] = [];
  do {
    words.push(Number(n & M32));
    n >>= 32n;
  } while (n > 0n);
  return words;
}

/** numpy's `default_rng(seed)`: PCG64 seeded through SeedSequence. */
export class NumpyRng {
  // The 128-bit state, increment and multiplier as eight 16-bit limbs (least significant first): limb
  // products and their column sums stay below 2^36, exact in doubles, and no BigInt is needed per draw.
  private readonly state = new Float64Array(8);
  private readonly inc = new Float64Array(8);
  private spare: number | undefined;

  constructor(seed: number | bigint) {
    const [s0, s1, s2, s3] = seedSequenceState(seed, 4) as [bigint, bigint, bigint, bigint];
    const initState = (s0 << 64n) | s1;
    const initSeq = (s2 << 64n) | s3;
    setLimbs(this.inc, ((initSeq << 1n) | 1n) & M128);
    this.step();
    const add = new Float64Array(8);
    setLimbs(add, initState);
    let carry = 0;
    for (let k = 0; k < 8; k++) {
      const v = this.state[k]! + add[k]! + carry;
      carry = Math.floor(v / 65536);
      this.state[k] = v - carry * 65536;
    }
    this.step();
  }

  private step(): void {
    const s = this.state;
    // Column sums from the top limb down: each column only reads limbs at or below it, still unchanged.
    for (let k = 7; k >= 0; k--) {
      let v = this.inc[k]!;
      for (let i = 0; i <= k; i++) v += s[i]! * MULT_LIMBS[k - i]!;
      s[k] = v;
    }
    let carry = 0;
    for (let k = 0; k < 8; k++) {
      const v = s[k]! + carry;
      carry = Math.floor(v / 65536);
      s[k] = v - carry * 65536;
    }
  }

  /** The next 64-bit output as [low word, high word] (XSL-RR: (hi64 ^ lo64) rotated right by state >> 122). */
  private nextWords(): [number, number] {
    this.step();
    const s = this.state;
    let lo = ((s[5]! * 65536 + s[4]!) ^ (s[1]! * 65536 + s[0]!)) >>> 0;
    let hi = ((s[7]! * 65536 + s[6]!) ^ (s[3]! * 65536 + s[2]!)) >>> 0;
    let rot = s[7]! >>> 10;
    if (rot >= 32) {
      [lo, hi] = [hi, lo];
      rot -= 32;
    }
    if (rot === 0) return [lo, hi];
    return [((lo >>> rot) | (hi << (32 - rot))) >>> 0, ((hi >>> rot) | (lo << (32 - rot))) >>> 0];
  }

  /** bit_generator.random_raw(): the next 64-bit output. */
  next64(): bigint {
    const [lo, hi] = this.nextWords();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** The next 32-bit output (low half of a 64-bit draw, then its high half). */
  next32(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const [lo, hi] = this.nextWords();
    this.spare = hi;
    return lo;
  }

  /** `integers(0, n)` with int64 output, n ≤ 2^32: a uniform integer in [0, n). */
  below(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 2 ** 32)) throw new RangeError(`below(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    if (n === 1) return 0;
    if (n === 2 ** 32) return this.next32();
    // Lemire: m = x·n (64 bits); the high word is the draw; reject when the low word falls in the biased zone.
    let [hi, lo] = mul32(this.next32(), n);
    if (lo < n) {
      const threshold = (2 ** 32 - n) % n;
      while (lo < threshold) [hi, lo] = mul32(this.next32(), n);
    }
    return hi;
  }

  /** `choice(n, size=count, replace=True)`, flattened in row-major order. */
  choice(n: number, count: number): Int32Array {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.below(n);
    return out;
  }
}

/** The 64-bit product of two 32-bit unsigned integers as [high word, low word]. */
function mul32(a: number, b: number): [number, number] {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid = aHi * bLo + aLo * bHi; // < 2^33: exact in a double
  const hihi = aHi * bHi;
  const low = lolo + (mid % 65536) * 65536; // < 2^33
  const lowWord = low % 2 ** 32;
  const high = hihi + Math.floor(mid / 65536) + Math.floor(low / 2 ** 32);
  return [high >>> 0, lowWord >>> 0];
}

function limbs(n: bigint): Float64Array {
  const out = new Float64Array(8);
  setLimbs(out, n);
  return out;
}

function setLimbs(into: Float64Array, n: bigint): void {
  for (let k = 0; k < 8; k++) into[k] = Number((n >> BigInt(16 * k)) & 0xffffn);
}
