/**
 * One flat memory arena per backend. Every tensor is an element offset into it,
 * so native and WebAssembly kernels take plain numbers instead of typed arrays.
 *
 * Allocation is a bump pointer plus exact-size free lists: training code asks for
 * the same sizes every step, so after warm-up every request is served from a free
 * list and nothing grows. Growth re-allocates the storage (copying it) and re-binds
 * `data`; never keep a `data` view across an allocation.
 */
import type { FloatArray } from '../core/types.js';
export type { FloatArray };

/** Backend-specific storage: returns a view of at least `elements` elements, contents preserved. */
export interface ArenaStorage {
  /** First usable element offset (WebAssembly keeps its own static data below it). */
  readonly base: number;
  resize(elements: number): FloatArray;
}

/** Allocation granularity in elements: 64 bytes of float32, so every block starts cache-line aligned. */
export const ALIGN = 16;

export interface ArenaStats {
  /** Elements between base and the bump pointer. */
  reserved: number;
  /** Elements currently handed out. */
  live: number;
  /** Blocks handed out by the bump pointer (not reused from a free list). */
  freshBlocks: number;
  /** Number of storage re-allocations. */
  grows: number;
}

export class Arena {
  data: FloatArray;
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  private readonly stats: ArenaStats = { reserved: 0, live: 0, freshBlocks: 0, grows: 0 };

  constructor(private readonly storage: ArenaStorage, initialElements = 1 << 20) {
    this.top = roundUp(storage.base, ALIGN);
    this.data = storage.resize(this.top + initialElements);
  }

  /** Reserve n ≥ 1 elements; returns the element offset. Contents are unspecified. */
  alloc(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Arena.alloc: size must be a positive integer, got ${n}`);
    const size = roundUp(n, ALIGN);
    const list = this.freeLists.get(size);
    this.stats.live += size;
    if (list !== undefined && list.length > 0) return list.pop()!;
    const offset = this.top;
    this.top += size;
    if (this.top > this.data.length) this.grow(this.top);
    this.stats.freshBlocks++;
    this.stats.reserved = this.top - this.storage.base;
    return offset;
  }

  /** Return a block obtained from alloc(n) with the same n. */
  free(offset: number, n: number): void {
    const size = roundUp(n, ALIGN);
    let list = this.freeLists.get(size);
    if (list === undefined) this.freeLists.set(size, (list = []));
    list.push(offset);
    this.stats.live -= size;
  }

  /** Allocate and fill from values. */
  allocFrom(values: ArrayLike<number>): number {
    const offset = this.alloc(values.length);
    this.data.set(values, offset);
    return offset;
  }

  /** A view of n elements at offset; valid until the next allocation. */
  view(offset: number, n: number): FloatArray {
    return this.data.subarray(offset, offset + n);
  }

  /** Copy n elements at offset out of the arena. */
  read(offset: number, n: number): number[] {
    return Array.from(this.data.subarray(offset, offset + n));
  }

  getStats(): Readonly<ArenaStats> {
    return { ...this.stats };
  }

  private grow(minElements: number): void {
    const next = Math.max(minElements, Math.ceil(this.data.length * 1.5));
    this.data = this.storage.resize(next);
    this.stats.grows++;
  }
}

export const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
