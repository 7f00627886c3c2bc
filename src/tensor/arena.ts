/**
 * One flat memory arena per backend. Every tensor is an element offset into it,
 * so native and WebAssembly kernels take plain numbers instead of typed arrays.
 *
 * Allocation is a bump pointer plus exact-size free lists: training code asks for
 * the same sizes every step, so after warm-up every request is served from a free
 * list and nothing grows. Growth re-allocates the storage (copying it) and re-binds
 * `data`; never keep a `data` view across an allocation.
 */
import { OutOfMemoryError } from '../core/out-of-memory.js';
import type { FloatArray } from '../core/types.js';
export type { FloatArray };

/**
 * Backend-specific storage: returns a view of at least `elements` elements, contents preserved.
 * When the memory cannot be had it throws a RangeError (what typed arrays and WebAssembly.Memory
 * throw) and leaves the current storage as it was; the arena turns that into an OutOfMemoryError.
 */
export interface ArenaStorage {
  /** First usable element offset (WebAssembly keeps its own static data below it). */
  readonly base: number;
  /** 4 for float32 storage, 8 for float64. */
  readonly bytesPerElement: number;
  resize(elements: number): FloatArray;
}

/** The arena cap in bytes from HYPERRL_MAX_ARENA_MB's value (undefined when unset or empty). */
export function parseMaxArenaMb(value: string | undefined, source = 'HYPERRL_MAX_ARENA_MB'): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const mb = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!(mb > 0)) throw new Error(`${source}='${value}' is not a size in MB (a positive number)`);
  return Math.floor(mb * 2 ** 20);
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
  /** Storage elements never exceed this (Infinity: no cap); the cap counts from `base`. */
  private readonly maxElements: number;
  private readonly freeLists = new Map<number, number[]>();
  private readonly stats: ArenaStats = { reserved: 0, live: 0, freshBlocks: 0, grows: 0 };

  /** `maxBytes` caps the storage (tensors and free blocks): an allocation beyond it throws OutOfMemoryError. */
  constructor(private readonly storage: ArenaStorage, initialElements = 1 << 20, readonly maxBytes?: number) {
    this.top = roundUp(storage.base, ALIGN);
    this.maxElements = maxBytes === undefined ? Infinity : this.top + Math.floor(maxBytes / storage.bytesPerElement);
    // A cap below the default initial size caps the initial size too.
    this.data = storage.resize(Math.max(this.top + ALIGN, Math.min(this.top + initialElements, this.maxElements)));
  }

  /**
   * Reserve n ≥ 1 elements; returns the element offset. Contents are unspecified. `shape` only
   * names the tensor in the OutOfMemoryError thrown when the storage cannot grow (the arena is
   * then unchanged, so a caller that catches the error can still save and exit).
   */
  alloc(n: number, shape?: readonly number[]): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Arena.alloc: size must be a positive integer, got ${n}`);
    const size = roundUp(n, ALIGN);
    const list = this.freeLists.get(size);
    if (list !== undefined && list.length > 0) {
      this.stats.live += size;
      return list.pop()!;
    }
    const offset = this.top;
    if (offset + size > this.data.length) this.grow(offset + size, n, shape);
    this.top = offset + size;
    this.stats.live += size;
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

  /** Storage of at least minElements, 1.5× the current where the cap allows; throws OutOfMemoryError (arena unchanged). */
  private grow(minElements: number, n: number, shape: readonly number[] | undefined): void {
    const bytes = this.storage.bytesPerElement;
    const fail = (cause: string): OutOfMemoryError => new OutOfMemoryError({
      what: shape !== undefined ? `a tensor of shape [${shape.join(', ')}]` : `${n} arena elements`,
      requestedBytes: n * bytes,
      arenaBytes: (this.top - this.storage.base) * bytes,
      limitBytes: this.maxBytes,
      cause,
    });
    if (minElements > this.maxElements) throw fail('it would exceed the arena cap (raise HYPERRL_MAX_ARENA_MB if the machine has the memory)');
    const next = Math.min(this.maxElements, Math.max(minElements, Math.ceil(this.data.length * 1.5)));
    try {
      this.data = this.storage.resize(next);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      // The 1.5× headroom is for fewer growths, not a need: try the exact size before giving up.
      try {
        if (next === minElements) throw e;
        this.data = this.storage.resize(minElements);
      } catch (exact) {
        if (!(exact instanceof RangeError)) throw exact;
        throw fail(`growing the arena's storage to ${(minElements * bytes / 2 ** 20).toFixed(1)} MB failed (${exact.message})`);
      }
    }
    this.stats.grows++;
  }
}

export const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
