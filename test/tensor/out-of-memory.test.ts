/**
 * Running out of memory is an OutOfMemoryError naming the allocation, on every backend, and leaves
 * the arena usable: a tensor beyond the arena cap (HYPERRL_MAX_ARENA_MB / maxArenaBytes), a storage
 * growth the allocator refuses, and a native kernel whose scratch buffer cannot be had — on the
 * calling thread and on pool workers — which used to abort() the process.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OutOfMemoryError } from '../../src/core/out-of-memory.js';
import { Arena, parseMaxArenaMb, type FloatArray } from '../../src/tensor/arena.js';
import type { Backend } from '../../src/tensor/backend.js';
import { BACKEND_NAMES, createBackend } from '../../src/tensor/backends/index.js';
import { createNativeBackend, nativePool, setNativeScratchLimit } from '../../src/tensor/backends/native/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { Act, NONE, Unary } from '../../src/tensor/kernels.js';
import { makeRng } from '../helpers/rng.js';

const MB = 2 ** 20;

/** Fills `n` arena elements at `offset` with i + 1 and checks them back. */
const stamp = (be: Backend, offset: number, n: number): void => {
  for (let i = 0; i < n; i++) be.arena.data[offset + i] = i + 1;
};
const stamped = (be: Backend, offset: number, n: number): boolean => be.arena.read(offset, n).every((v, i) => v === i + 1);

describe('the arena cap', () => {
  for (const name of BACKEND_NAMES) {
    it(`${name}: a tensor beyond the cap is an OutOfMemoryError naming its shape and sizes; the arena stays usable`, () => {
      const be = createBackend(name, { maxArenaBytes: 2 * MB, initialElements: 1024 });
      const engine = new Engine(be);
      const kept = engine.persistent([1000]);
      stamp(be, kept.offset, 1000);
      const before = be.arena.getStats();
      const e = engine.scope(() => {
        engine.empty([100, 100]); // fits: grows the storage within the cap
        try {
          engine.empty([800, 1000]);
        } catch (err) {
          return err;
        }
        return undefined;
      });
      assert.ok(e instanceof OutOfMemoryError, `expected an OutOfMemoryError, got ${String(e)}`);
      assert.match(e.message, /allocating a tensor of shape \[800, 1000\]: 3\.1 MB requested, the arena already holds 0\.0 MB \(cap 2\.0 MB\); it would exceed the arena cap/);
      assert.equal(e.details.requestedBytes, 800 * 1000 * 4);
      assert.equal(e.details.limitBytes, 2 * MB);
      // The failed allocation took nothing; the scope freed the rest, so the same sizes come back.
      const after = be.arena.getStats();
      assert.equal(after.live, before.live);
      assert.ok(stamped(be, kept.offset, 1000), 'a tensor made before the failure keeps its values');
      const y = engine.scope(() => {
        const x = engine.tensor([1, -2, 3], [3]);
        const out = engine.empty([3]);
        be.unary(Unary.neg, 3, x.offset, out.offset);
        return out.toArray();
      });
      assert.deepEqual(y, [-1, 2, -3], 'kernels still work after the failure');
      // wasm's memory also holds the module's static data and grows in 64 KiB pages.
      if (name !== 'wasm') assert.ok(be.arena.data.length * 4 <= 2 * MB, 'the storage never grew past the cap');
    });
  }

  it('HYPERRL_MAX_ARENA_MB sets the cap of every backend created without one, and bad values are refused', () => {
    const saved = process.env.HYPERRL_MAX_ARENA_MB;
    try {
      process.env.HYPERRL_MAX_ARENA_MB = '1';
      for (const name of BACKEND_NAMES) {
        const engine = new Engine(createBackend(name, { initialElements: 1024 }));
        assert.throws(() => engine.persistent([512, 1024]), (e: unknown) => e instanceof OutOfMemoryError && /shape \[512, 1024\].*cap 1\.0 MB/.test(e.message), name);
      }
      process.env.HYPERRL_MAX_ARENA_MB = 'lots';
      assert.throws(() => createBackend('js'), /HYPERRL_MAX_ARENA_MB='lots' is not a size in MB/);
    } finally {
      if (saved === undefined) delete process.env.HYPERRL_MAX_ARENA_MB;
      else process.env.HYPERRL_MAX_ARENA_MB = saved;
    }
    assert.equal(parseMaxArenaMb(''), undefined);
    assert.equal(parseMaxArenaMb('0.5'), MB / 2);
    assert.throws(() => parseMaxArenaMb('0'), /not a size in MB/);
  });
});

describe('a storage growth that fails', () => {
  it('is an OutOfMemoryError with the allocator\'s reason, and the arena is left as it was', () => {
    let current = new Float32Array(0);
    const arena = new Arena({
      base: 0,
      bytesPerElement: 4,
      resize(elements: number): FloatArray {
        // Like `new ArrayBuffer` when the memory is not there.
        if (elements > 4096) throw new RangeError('Array buffer allocation failed');
        const next = new Float32Array(elements);
        next.set(current.subarray(0, Math.min(elements, current.length)));
        return (current = next);
      },
    }, 1024);
    const a = arena.alloc(1000);
    arena.data.fill(7, a, a + 1000);
    const stats = arena.getStats();
    assert.throws(() => arena.alloc(5000, [50, 100]), (e: unknown) => e instanceof OutOfMemoryError &&
      /a tensor of shape \[50, 100\]: 0\.0 MB requested, the arena already holds 0\.0 MB; growing the arena's storage to 0\.0 MB failed \(Array buffer allocation failed\)/.test(e.message) &&
      e.details.requestedBytes === 20000 && e.details.arenaBytes === 1008 * 4 && e.details.limitBytes === undefined);
    assert.deepEqual(arena.getStats(), stats, 'no block handed out, nothing counted');
    assert.equal(arena.alloc(16), 1008, 'the next block starts where it would have without the failure');
    assert.ok(arena.read(a, 1000).every((v) => v === 7));
    // 1.5× the storage (4572 elements) is refused, the exact need (4016) is not: the growth takes that.
    arena.alloc(1000);
    arena.alloc(1000);
    assert.equal(arena.data.length, 3048);
    arena.alloc(976);
    assert.equal(arena.data.length, 4016);
    assert.ok(arena.read(a, 1000).every((v) => v === 7), 'contents survive the growth');
  });
});

describe('native kernels whose scratch memory cannot be had', () => {
  const thresholds = nativePool().parallelThresholds();
  after(() => {
    setNativeScratchLimit(undefined);
    nativePool().setParallelThresholds(thresholds);
  });

  for (const threads of [1, 2]) {
    it(`throw OutOfMemoryError on ${threads} thread${threads > 1 ? 's' : ''} (scratch on the caller and on pool workers), then compute correctly`, () => {
      const be = createNativeBackend({ initialElements: 1 << 22, threads });
      const ref = createBackend('js', { dtype: 'float64' });
      // Split everything that can be split, so that workers allocate their own scratch.
      nativePool().setParallelThresholds({ gemmFlops: 1, gemvMacs: 1 });
      const rng = makeRng(threads);
      // k grows with the thread count: the scratch the 1-thread case grew (on this thread) must not suffice.
      const count = 4, m = 64, n = 4, k = 20_000 * threads;
      const values = (len: number): Float64Array => Float64Array.from({ length: len }, () => Math.fround(rng.uniform(-0.5, 0.5)));
      const aVals = values(count * m * k), bVals = values(count * k * n);
      const place = (target: Backend, v: Float64Array): number => {
        const o = target.arena.alloc(v.length);
        target.arena.data.set(v, o);
        return o;
      };
      const run = (target: Backend): number[] => {
        const a = place(target, aVals), b = place(target, bVals), c = target.arena.alloc(count * m * n);
        // Members run as tasks on the pool; each one transposes its B panel (k·n floats) into scratch.
        target.gemmBatched(count, false, false, m, n, k, a, m * k, k, b, k * n, n, 0, NONE, 0, Act.identity, c, m * n, n);
        return target.arena.read(c, count * m * n);
      };
      // Packed SGEMM: each thread packs its own panels.
      const packed = (target: Backend): void => {
        const s = 512, a = place(target, values(s * s)), c = target.arena.alloc(s * s);
        target.gemm(false, false, s, s, s, 1, a, s, a, s, 0, c, s);
      };

      const jobsBefore = nativePool().poolStats().parallelJobs;
      setNativeScratchLimit(64 * 1024);
      for (const [label, call] of [['gemmBatched', () => run(be)], ['gemm', () => packed(be)]] as const) {
        assert.throws(call, (e: unknown) => e instanceof OutOfMemoryError && new RegExp(`scratch memory of the native ${label} kernel: \\d+\\.\\d MB requested, the arena already holds \\d+\\.\\d MB`).test(e.message), label);
      }
      // Which thread runs which task (and so meets the limit first) is up to the scheduler; the jobs went to the pool.
      if (threads > 1) assert.ok(nativePool().poolStats().parallelJobs > jobsBefore, 'the kernels were split over the pool');

      setNativeScratchLimit(undefined);
      const got = run(be), want = run(ref);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `c[${i}]: ${got[i]} vs ${want[i]}`);
    });
  }
});
