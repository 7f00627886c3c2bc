/**
 * Seeded pseudo-random numbers for environments and spaces.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 128-bit state, period 2^128 − 1,
 * 32-bit outputs using only int32 arithmetic (fast in JS, identical on every
 * engine). The state is filled from the seed with splitmix32 so that nearby
 * seeds give unrelated streams.
 * - uniform(): 53-bit float in [0, 1) from two outputs (27 + 26 bits).
 * - normal(): Box–Muller; the second variate of each pair is cached.
 *
 * This cannot reproduce numpy's PCG64 streams, so reset noise matches
 * Gymnasium in distribution, not bit for bit.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed: number = randomSeed()) {
    this.seed(seed);
  }

  /** Restart the stream from an integer seed (any safe integer; negative and large seeds are folded to 64 bits). */
  seed(seed: number): void {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng.seed: seed must be a safe integer, got ${seed}`);
    // Fold the seed's low and high 32-bit halves into splitmix32's starting point.
    const low = seed >>> 0;
    const high = Math.floor(seed / 4294967296) >>> 0;
    let x = (low ^ Math.imul(high, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    this.hasSpareNormal = false;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float64 in [0, 1) with 53 random bits. */
  uniform01(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform float64 in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.uniform01();
  }

  /** Uniform integer in [0, n) without modulo bias. */
  integer(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) throw new RangeError(`Rng.integer: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }

  /** Standard normal variate (Box–Muller). */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    let u = 0;
    while (u === 0) u = this.uniform01(); // log(0) would give an infinite variate
    const v = this.uniform01();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * v;
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpareNormal = true;
    return radius * Math.cos(angle);
  }

  /** Copy of the generator state, for checkpoints. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.hasSpareNormal ? 1 : 0, this.spareNormal];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 6) throw new RangeError(`Rng.setState: expected 6 numbers, got ${state.length}`);
    [this.s0, this.s1, this.s2, this.s3] = [state[0]! | 0, state[1]! | 0, state[2]! | 0, state[3]! | 0];
    this.hasSpareNormal = state[4] === 1;
    this.spareNormal = state[5]!;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seed for unseeded generators: from the platform's cryptographic source when present. */
export function randomSeed(): number {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return words[0]! + (words[1]! & 0x1fffff) * 4294967296;
}
