/**
 * Action and observation spaces (Gymnasium's Box and Discrete).
 */
import type { Xoshiro128Rng } from '../core/random.js';

import type { FloatArray } from '../core/types.js';
export type { FloatArray };
export type FloatDtype = 'float32' | 'float64';

export interface Space<T> {
  /** Flat length of one element (Box: number of components; Discrete: 1). */
  readonly size: number;
  sample(rng: Xoshiro128Rng, out?: T): T;
  contains(x: unknown): boolean;
}

/** A box [low, high] in R^n (flat shape); bounds may be ±Infinity. */
export class Box implements Space<FloatArray> {
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly size: number;

  constructor(low: ArrayLike<number> | number, high: ArrayLike<number> | number, size?: number, readonly dtype: FloatDtype = 'float32') {
    const n = size ?? (typeof low === 'number' ? (typeof high === 'number' ? 1 : high.length) : low.length);
    this.low = new Float64Array(n).fill(typeof low === 'number' ? low : 0);
    this.high = new Float64Array(n).fill(typeof high === 'number' ? high : 0);
    if (typeof low !== 'number') this.low.set(low);
    if (typeof high !== 'number') this.high.set(high);
    if (dtype === 'float32') {
      // Bounds stored at the precision of the space, as Gymnasium does (e.g. Pendulum's 8 → 8, 0.07 → 0.07f).
      for (let i = 0; i < n; i++) {
        this.low[i] = Math.fround(this.low[i]!);
        this.high[i] = Math.fround(this.high[i]!);
      }
    }
    for (let i = 0; i < n; i++) {
      if (!(this.low[i]! <= this.high[i]!)) throw new RangeError(`Box: low[${i}] = ${this.low[i]} must not exceed high[${i}] = ${this.high[i]}`);
    }
    this.size = n;
  }

  /** A new zero-filled array of this space's dtype and length. */
  create(): FloatArray {
    return this.dtype === 'float32' ? new Float32Array(this.size) : new Float64Array(this.size);
  }

  /**
   * Gymnasium's Box.sample: uniform on bounded coordinates, exponential tails on
   * half-bounded ones, standard normal on unbounded ones.
   */
  sample(rng: Xoshiro128Rng, out: FloatArray = this.create()): FloatArray {
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i]!;
      const hi = this.high[i]!;
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      if (loFinite && hiFinite) out[i] = rng.uniform(lo, hi);
      else if (loFinite) out[i] = lo - Math.log(1 - rng.uniform());
      else if (hiFinite) out[i] = hi + Math.log(1 - rng.uniform());
      else out[i] = rng.normal();
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumberArray(x) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i]!;
      if (!(v >= this.low[i]! && v <= this.high[i]!)) return false;
    }
    return true;
  }

  get bounded(): boolean {
    for (let i = 0; i < this.size; i++) if (!Number.isFinite(this.low[i]!) || !Number.isFinite(this.high[i]!)) return false;
    return true;
  }
}

/** Integers {start, …, start + n − 1}. */
export class Discrete implements Space<number> {
  readonly size = 1;

  constructor(readonly n: number, readonly start = 0) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Discrete: n must be a positive integer, got ${n}`);
    if (!Number.isInteger(start)) throw new RangeError(`Discrete: start must be an integer, got ${start}`);
  }

  sample(rng: Xoshiro128Rng): number {
    return this.start + rng.integer(this.n);
  }

  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }
}

function isNumberArray(x: unknown): x is ArrayLike<number> {
  return x instanceof Float32Array || x instanceof Float64Array || (Array.isArray(x) && x.every((v) => typeof v === 'number'));
}
