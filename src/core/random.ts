/**
 * Random numbers for parameter initialisation: the `Rng` interface the
 * initialisers take, and one seeded, checkpointable implementation.
 *
 * Generator: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom
 * number generators", 2018/2021; 128-bit state, period 2^128 − 1). It needs only
 * 32-bit integer operations (Math.imul, shifts), so it is exact and fast in JS.
 * The 128-bit state is seeded with SplitMix64, as its authors recommend, so that
 * nearby seeds (0, 1, 2, ...) give unrelated streams.
 *
 * uniform() takes 53 random bits from two outputs, so every double in [0, 1) on
 * the 2^-53 grid is possible (needed for the log in Box–Muller's tails).
 * normal() uses the Box–Muller transform on two uniforms and caches the second
 * normal; the cache is part of the saved state so a resumed stream is identical.
 */

export interface Rng {
  /** Uniform on [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
}

/** Everything needed to resume a stream bit-identically; plain JSON-able numbers. */
export interface RngState {
  /** The four 32-bit words of the xoshiro128** state, as unsigned integers. */
  words: [number, number, number, number];
  /** The second Box–Muller normal not yet returned, or null. */
  spareNormal: number | null;
}

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
const MASK_64 = (1n << 64n) - 1n;

/** One step of SplitMix64 (Steele, Lea & Flood 2014): returns [next state, output]. */
function splitMix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return [next, z ^ (z >> 31n)];
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** xoshiro128** seeded by SplitMix64; see the module comment. */
export class Xoshiro128Rng implements Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** @param seed any safe integer (negative seeds are taken modulo 2^64); unseeded generators draw one from the OS. */
  constructor(seed: number = randomSeed()) {
    this.seed(seed);
  }

  /** Restart the stream from a seed. */
  seed(seed: number): void {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Xoshiro128Rng: seed must be a safe integer, got ${seed}`);
    let sm = BigInt.asUintN(64, BigInt(seed));
    let a: bigint, b: bigint;
    [sm, a] = splitMix64(sm);
    [sm, b] = splitMix64(sm);
    this.setWords([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
    this.spare = null;
  }

  /** Restores a generator saved with getState(). */
  static fromState(state: RngState): Xoshiro128Rng {
    const rng = new Xoshiro128Rng(0);
    rng.setState(state);
    return rng;
  }

  /** Next 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [low, high), [0, 1) by default, with 53 random bits. */
  uniform(low = 0, high = 1): number {
    const hi27 = this.nextUint32() >>> 5;
    const lo26 = this.nextUint32() >>> 6;
    const u = (hi27 * TWO_POW_26 + lo26) / TWO_POW_53;
    return low === 0 && high === 1 ? u : low + (high - low) * u;
  }

  /** Uniform integer in [0, n) without modulo bias. */
  integer(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 4294967296)) throw new RangeError(`Xoshiro128Rng.integer: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }

  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log(u1) is finite
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  getState(): RngState {
    return { words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spare };
  }

  setState(state: RngState): void {
    const { words, spareNormal } = state;
    if (!Array.isArray(words) || words.length !== 4) throw new TypeError('Xoshiro128Rng.setState: words must be an array of four 32-bit unsigned integers');
    if (spareNormal !== null && !Number.isFinite(spareNormal)) throw new TypeError(`Xoshiro128Rng.setState: spareNormal must be a finite number or null, got ${spareNormal}`);
    this.setWords(words);
    this.spare = spareNormal;
  }

  private setWords(words: readonly number[]): void {
    for (const w of words) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new TypeError(`Xoshiro128Rng: state word ${w} is not a 32-bit unsigned integer`);
    }
    // The all-zero state is the generator's one fixed point: it would output zeros forever.
    if (words.every((w) => w === 0)) throw new RangeError('Xoshiro128Rng: the all-zero state is invalid');
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0) as [number, number, number, number];
  }
}

/** A seed for unseeded generators, from the platform's cryptographic source. */
export function randomSeed(): number {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return words[0]! + (words[1]! & 0x1fffff) * 4294967296;
}
