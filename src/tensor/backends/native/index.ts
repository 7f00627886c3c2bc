/**
 * The native backend: a C++ N-API addon (native/, built by `npm install` into
 * build/Release/hyperrl_native.node) with packed, register-blocked SGEMM and
 * vectorised kernels in AVX-512, AVX2+FMA and generic variants, the best one
 * picked at load time.
 *
 * The arena is one ArrayBuffer owned here (64-byte aligned when the addon can
 * allocate it); the addon keeps its data pointer, and every kernel call passes
 * only numbers, in the order of the Backend methods.
 *
 * Kernels above a measured size split their outputs over a worker pool inside the
 * addon, deterministically: results are byte-identical for every thread count
 * (native/README.md, "Threads"). The thread count is a setting of the calling JS
 * thread, like the ISA: HYPERRL_THREADS, the `threads` option, or setNativeThreads;
 * by default, the cores available to the process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { freemem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { platform } from '#platform';
import { OutOfMemoryError } from '../../../core/out-of-memory.js';
import { Arena, type FloatArray } from '../../arena.js';
import type { Backend } from '../../backend.js';
import { parseThreads } from '../threads.js';

export type NativeIsa = 'avx512' | 'avx2' | 'generic';

/** Minimum work per thread before a kernel class is split (two threads from twice this). */
export interface ParallelThresholds {
  /** Packed SGEMM, 2·m·n·k. */
  gemmFlops: number;
  /** GEMV, few-column dot products, rank-1 updates: m·n·k. */
  gemvMacs: number;
  /** Memory-bound elementwise ops, column sums, reductions: elements. */
  streamElements: number;
  /** Transcendental elementwise ops (exp, tanh, log, sigmoid, softplus, elu): elements. */
  mathElements: number;
  /** Adam: parameters. */
  adamElements: number;
  /** Dynamic (per-sample weight) layers: batch·out·inp. */
  dynamicMacs: number;
}

/** How long idle pool threads poll for work before they sleep. */
export interface PoolTuning {
  workerSpinMicros: number;
  callerSpinMicros: number;
}

/** Pool counters since the process started. */
export interface PoolStats {
  parallelJobs: number;
  busyFallbacks: number;
  workerTasks: number;
  workerSleeps: number;
  callerSleeps: number;
  workers: number;
}

/** The addon's exports (native/binding.cc). Offsets are float32 element indices into the arena. */
interface Addon {
  setArena(buffer: ArrayBuffer): void;
  allocArena(bytes: number): ArrayBuffer;
  isa(): NativeIsa;
  setIsa(name: string): NativeIsa;
  isas(): NativeIsa[];
  cpuFeatures(): string[];
  fmaPeak(ms?: number, isa?: string, threads?: number): number;
  setThreads(n: number): number;
  threads(): number;
  availableCores(): number;
  parallelThresholds(defaults?: boolean): ParallelThresholds;
  setParallelThresholds(t: Partial<ParallelThresholds>): ParallelThresholds;
  poolTuning(): PoolTuning;
  setPoolTuning(t: Partial<PoolTuning>): PoolTuning;
  poolStats(): PoolStats;
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number): void;
  gemmBiasAct(transA: number, transB: number, m: number, n: number, k: number, a: number, lda: number, b: number,
    ldb: number, beta: number, bias: number, act: number, c: number, ldc: number): void;
  gemmBatched(count: number, transA: number, transB: number, m: number, n: number, k: number, a: number, strideA: number,
    lda: number, b: number, strideB: number, ldb: number, beta: number, bias: number, strideBias: number, act: number,
    c: number, strideC: number, ldc: number): void;
  biasAct(rows: number, cols: number, x: number, bias: number, act: number, y: number): void;
  actBackward(act: number, n: number, y: number, dy: number, dx: number): void;
  colSum(rows: number, cols: number, x: number, out: number, beta: number): void;
  dynamicForward(batch: number, out: number, inp: number, x: number, ldx: number, w: number, ldw: number,
    g: number, ldg: number, c: number, ldc: number, act: number, y: number, ldy: number): void;
  dynamicBackward(batch: number, out: number, inp: number, x: number, ldx: number, w: number, ldw: number,
    g: number, ldg: number, dy: number, lddy: number, dx: number, lddx: number, dw: number, lddw: number,
    dg: number, lddg: number, dc: number, lddc: number): void;
  gruForward(batch: number, hidden: number, gi: number, gh: number, h: number, y: number, gates: number): void;
  gruBackward(batch: number, hidden: number, gates: number, gh: number, h: number, dy: number, dhIn: number,
    dgi: number, dgh: number, dh: number): void;
  adam(n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, decoupled: number, step: number): void;
  polyak(n: number, target: number, source: number, tau: number): void;
  unary(op: number, n: number, x: number, y: number): void;
  binary(op: number, rows: number, cols: number, a: number, aRs: number, aCs: number, b: number, bRs: number,
    bCs: number, y: number): void;
  clamp(n: number, x: number, lo: number, hi: number, y: number): void;
  axpby(n: number, alpha: number, x: number, beta: number, y: number): void;
  reduce(op: number, outer: number, len: number, inner: number, x: number, y: number): void;
  fill(n: number, y: number, value: number): void;
  sumSquares(n: number, x: number): number;
  setOutOfMemoryHandler(make: (kernel: string, bytes: number) => Error): void;
  setScratchLimit(bytes: number): void;
}

const ISA_LABEL: Record<NativeIsa, string> = {
  avx512: 'AVX-512 kernels, 8×32 SGEMM tile',
  avx2: 'AVX2+FMA kernels, 6×16 SGEMM tile',
  generic: 'generic 128-bit vector kernels, 4×8 SGEMM tile',
};

/** The package root: the first directory above this file that holds a package.json (works from src/ and dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('hyperrl: cannot locate the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

let addon: Addon | undefined;

/**
 * The addon built at install time (build/Release/) or, without one, the prebuilt binary
 * shipped for this platform (prebuilds/<platform>-<arch>/), as node-gyp-build finds them.
 */
function loadAddon(): Addon {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  let path: string;
  try {
    path = (require('node-gyp-build') as { path(dir: string): string }).path(root);
  } catch {
    throw new Error(`hyperrl native backend is not built (no build/Release/hyperrl_native.node nor a prebuilt binary for ${process.platform}-${process.arch} in ${root}); ` +
      'reinstall with a C++ toolchain (g++/clang, make, python3) or use the wasm backend');
  }
  const loaded = require(path) as Addon;
  // HYPERRL_NATIVE_ISA=avx512|avx2|generic picks a variant for the whole process (throws if the CPU lacks it).
  const forced = platform.env('HYPERRL_NATIVE_ISA');
  if (forced !== undefined && forced !== '') loaded.setIsa(forced);
  const threads = platform.env('HYPERRL_THREADS');
  if (threads !== undefined && threads !== '') loaded.setThreads(parseThreads(threads, 'HYPERRL_THREADS'));
  loaded.setOutOfMemoryHandler((kernel, bytes) => boundScratchError(kernel, bytes));
  addon = loaded;
  return addon;
}


export interface NativeOptions {
  /** Initial arena size in elements (it grows on demand). */
  initialElements?: number;
  /** Threads for the kernels called from this JS thread (every native backend of it); default: HYPERRL_THREADS, else the cores available. */
  threads?: number;
  /** Arena cap in bytes: an allocation beyond it throws OutOfMemoryError. */
  maxArenaBytes?: number;
}

/**
 * The most bytes one kernel scratch buffer (packed panels, temporaries; one set per thread) may
 * take, process-wide; undefined: no limit. A kernel that needs more throws OutOfMemoryError
 * (on 1 thread or many); tests use it to reach that path cheaply.
 */
export function setNativeScratchLimit(bytes: number | undefined): void {
  loadAddon().setScratchLimit(bytes === undefined ? -1 : bytes);
}

/** Which arena the addon currently points at (several native backends may coexist). */
let boundArena: object | null = null;
/** The OutOfMemoryError for a kernel's failed scratch allocation, naming the bound arena's size. */
let boundScratchError = (kernel: string, bytes: number): Error => new RangeError(`native ${kernel}: out of memory allocating ${bytes} bytes of scratch`);

export function createNativeBackend(options?: number | NativeOptions): Backend {
  const n = loadAddon();
  const initial = typeof options === 'object' ? options.initialElements : options;
  if (typeof options === 'object' && options.threads !== undefined) n.setThreads(parseThreads(options.threads, 'threads'));
  const self = {};
  let buffer: ArrayBuffer | undefined;
  let alignedAlloc = true;

  const newBuffer = (bytes: number): ArrayBuffer => {
    // Linux hands out memory it does not have and kills the process when it is touched (the
    // copy below would), so a growth larger than what the machine has available is refused
    // here, as a RangeError the arena reports as OutOfMemoryError.
    const available = freemem();
    if (bytes > available) throw new RangeError(`the machine has ${(available / 2 ** 20).toFixed(0)} MB of memory available`);
    if (alignedAlloc) {
      try {
        return n.allocArena(bytes);
      } catch (e) {
        if (e instanceof RangeError) throw e; // the allocation failed: a plain buffer would fail too
        alignedAlloc = false; // e.g. a runtime without external ArrayBuffers: plain (16-byte aligned) buffers work too
      }
    }
    return new ArrayBuffer(bytes);
  };

  // Defined before the arena: its constructor binds the first storage (`arena` is read only on an error).
  const scratchError = (kernel: string, bytes: number): OutOfMemoryError => new OutOfMemoryError({
    what: `scratch memory of the native ${kernel} kernel`,
    requestedBytes: bytes,
    arenaBytes: arena.getStats().reserved * 4,
    limitBytes: arena.maxBytes,
    cause: 'the allocation failed or exceeded the scratch limit; the kernel computed nothing',
  });

  const bind = (): void => {
    n.setArena(buffer!);
    boundArena = self;
    boundScratchError = scratchError;
  };

  let current = new Float32Array(0);
  const arena = new Arena({
    base: 0,
    bytesPerElement: 4,
    resize(elements: number): FloatArray {
      const next = newBuffer(elements * 4);
      const view = new Float32Array(next);
      view.set(current.subarray(0, Math.min(elements, current.length)));
      buffer = next;
      current = view;
      bind();
      return view;
    },
  }, initial, typeof options === 'object' ? options.maxArenaBytes : undefined);

  return {
    name: 'native',
    dtype: 'float32',
    get detail(): string {
      const isa = n.isa(), threads = n.threads();
      return `${isa}: ${ISA_LABEL[isa] ?? 'C++ kernels'}, ${threads} thread${threads === 1 ? '' : 's'}`;
    },
    arena,

    gemm(transA, transB, m, nn, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      if (boundArena !== self) bind();
      n.gemm(transA ? 1 : 0, transB ? 1 : 0, m, nn, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    gemmBiasAct(transA, transB, m, nn, k, a, lda, b, ldb, beta, bias, act, c, ldc) {
      if (boundArena !== self) bind();
      n.gemmBiasAct(transA ? 1 : 0, transB ? 1 : 0, m, nn, k, a, lda, b, ldb, beta, bias, act, c, ldc);
    },
    gemmBatched(count, transA, transB, m, nn, k, a, strideA, lda, b, strideB, ldb, beta, bias, strideBias, act, c, strideC, ldc) {
      if (boundArena !== self) bind();
      n.gemmBatched(count, transA ? 1 : 0, transB ? 1 : 0, m, nn, k, a, strideA, lda, b, strideB, ldb, beta, bias, strideBias, act, c, strideC, ldc);
    },
    biasAct(rows, cols, x, bias, act, y) {
      if (boundArena !== self) bind();
      n.biasAct(rows, cols, x, bias, act, y);
    },
    actBackward(act, count, y, dy, dx) {
      if (boundArena !== self) bind();
      n.actBackward(act, count, y, dy, dx);
    },
    colSum(rows, cols, x, out, beta) {
      if (boundArena !== self) bind();
      n.colSum(rows, cols, x, out, beta);
    },
    dynamicForward(batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, act, y, ldy) {
      if (boundArena !== self) bind();
      n.dynamicForward(batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, act, y, ldy);
    },
    dynamicBackward(batch, out, inp, x, ldx, w, ldw, g, ldg, dy, lddy, dx, lddx, dw, lddw, dg, lddg, dc, lddc) {
      if (boundArena !== self) bind();
      n.dynamicBackward(batch, out, inp, x, ldx, w, ldw, g, ldg, dy, lddy, dx, lddx, dw, lddw, dg, lddg, dc, lddc);
    },
    gruForward(batch, hidden, gi, gh, h, y, gates) {
      if (boundArena !== self) bind();
      n.gruForward(batch, hidden, gi, gh, h, y, gates);
    },
    gruBackward(batch, hidden, gates, gh, h, dy, dhIn, dgi, dgh, dh) {
      if (boundArena !== self) bind();
      n.gruBackward(batch, hidden, gates, gh, h, dy, dhIn, dgi, dgh, dh);
    },
    adam(count, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      if (boundArena !== self) bind();
      n.adam(count, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled ? 1 : 0, step);
    },
    polyak(count, target, source, tau) {
      if (boundArena !== self) bind();
      n.polyak(count, target, source, tau);
    },
    unary(op, count, x, y) {
      if (boundArena !== self) bind();
      n.unary(op, count, x, y);
    },
    binary(op, rows, cols, a, aRs, aCs, b, bRs, bCs, y) {
      if (boundArena !== self) bind();
      n.binary(op, rows, cols, a, aRs, aCs, b, bRs, bCs, y);
    },
    clamp(count, x, lo, hi, y) {
      if (boundArena !== self) bind();
      n.clamp(count, x, lo, hi, y);
    },
    axpby(count, alpha, x, beta, y) {
      if (boundArena !== self) bind();
      n.axpby(count, alpha, x, beta, y);
    },
    reduce(op, outer, len, inner, x, y) {
      if (boundArena !== self) bind();
      n.reduce(op, outer, len, inner, x, y);
    },
    fill(count, y, value) {
      if (boundArena !== self) bind();
      n.fill(count, y, value);
    },
    sumSquares(count, x) {
      if (boundArena !== self) bind();
      return n.sumSquares(count, x);
    },
  } satisfies Backend as Backend;
}

export interface NativeInfo {
  /** The addon loaded. */
  available: boolean;
  /** Active kernel variant, or null when unavailable. */
  isa: NativeIsa | null;
  /** Variants this CPU can run, best first. */
  isas: NativeIsa[];
  /** CPU features the addon detected (avx512f, avx2, fma, ...). */
  features: string[];
  /** Threads the kernels of this JS thread may use, or null when unavailable. */
  threads: number | null;
  /** Cores this process may run on (the default thread count), or null when unavailable. */
  availableCores: number | null;
  /** Why the addon is unavailable. */
  error?: string;
}

export function nativeInfo(): NativeInfo {
  try {
    const n = loadAddon();
    return { available: true, isa: n.isa(), isas: n.isas(), features: n.cpuFeatures(), threads: n.threads(), availableCores: n.availableCores() };
  } catch (e) {
    return { available: false, isa: null, isas: [], features: [], threads: null, availableCores: null, error: (e as Error).message };
  }
}

/** Select the kernel variant for every native backend in this thread; throws if the CPU lacks it. */
export function setNativeIsa(name: NativeIsa): NativeIsa {
  return loadAddon().setIsa(name);
}

/** Set the kernels' thread count for every native backend in this JS thread; returns it. */
export function setNativeThreads(threads: number): number {
  return loadAddon().setThreads(parseThreads(threads, 'threads'));
}

/**
 * Measured fp32 FMA peak (GFLOP/s) of the best variant, or of `isa`: of one core, or of
 * `threads` cores measured at the same time (capped at this JS thread's thread count).
 */
export function measureFmaPeak(ms = 200, isa?: NativeIsa, threads = 1): number {
  return loadAddon().fmaPeak(ms, isa ?? loadAddon().isas()[0], threads);
}

/** The worker pool's measurement hooks: split thresholds, idle spin windows, counters (benchmarks and tests). */
export function nativePool(): Pick<Addon, 'parallelThresholds' | 'setParallelThresholds' | 'poolTuning' | 'setPoolTuning' | 'poolStats'> {
  const n = loadAddon();
  return {
    parallelThresholds: (defaults?: boolean) => (defaults === true ? n.parallelThresholds(true) : n.parallelThresholds()),
    setParallelThresholds: (t) => n.setParallelThresholds(t),
    poolTuning: () => n.poolTuning(),
    setPoolTuning: (t) => n.setPoolTuning(t),
    poolStats: () => n.poolStats(),
  };
}
