/**
 * Measures where splitting a native kernel over 2 threads starts to pay, for each kernel
 * class of the pool's thresholds (native/pool.cc, kParallelThresholds):
 *   node dist/bench/core/thread-thresholds.js [--quick]
 * For each class, a representative kernel is timed at growing sizes with 1 and 2 threads,
 * splitting forced at every size (that class's threshold set to 0). Trials of the two
 * thread counts alternate and each keeps its fastest trial, so a burst of other work on
 * the machine does not decide the comparison. The break-even is the smallest size from
 * which 2 threads stay faster (by `MARGIN`) at every larger size; the suggested threshold
 * is half of it (the minimum work per thread). Needs 2 free cores to mean anything:
 * run it on a quiet machine. Writes bench/results/thread-thresholds-<date>.json.
 */
import { cpus } from 'node:os';
import type { Backend } from '../../src/tensor/backend.js';
import { createNativeBackend, measureFmaPeak, nativeInfo, nativePool, setNativeThreads, type ParallelThresholds } from '../../src/tensor/backends/native/index.js';
import { Act, Unary } from '../../src/tensor/kernels.js';
import { writeBenchResult } from '../lib/results.js';

/** 2 threads must beat 1 by this factor to count as faster. */
const MARGIN = 1.05;

interface KernelClass {
  key: keyof ParallelThresholds;
  what: string;
  /** Sizes to try; work(size) in the class's unit. */
  sizes: number[];
  work(size: number): number;
  /** Allocates the operands for `size` and returns the call to time. */
  setup(be: Backend, size: number): () => void;
}

const geometric = (from: number, to: number, factor: number): number[] => {
  const out: number[] = [];
  for (let s = from; s <= to; s = Math.ceil(s * factor)) out.push(s);
  return out;
};

function filled(be: Backend, n: number, lo = -1, hi = 1): number {
  const off = be.arena.alloc(n);
  const v = be.arena.view(off, n);
  for (let i = 0; i < n; i++) {
    const frac = Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1;
    v[i] = lo + (hi - lo) * frac;
  }
  return off;
}

const CLASSES: KernelClass[] = [
  {
    key: 'gemmFlops', what: 'sgemm NN, m = 256 (the batch), n = k = size', sizes: geometric(8, 512, Math.SQRT2),
    work: (s) => 2 * 256 * s * s,
    setup(be, s) {
      const a = filled(be, 256 * s), b = filled(be, s * s), c = be.arena.alloc(256 * s);
      return () => be.gemm(false, false, 256, s, s, 1, a, s, b, s, 0, c, s);
    },
  },
  {
    key: 'gemvMacs', what: 'sgemv, m = k = size', sizes: geometric(32, 4096, Math.SQRT2),
    work: (s) => s * s,
    setup(be, s) {
      const a = filled(be, s * s), x = filled(be, s), y = be.arena.alloc(s);
      return () => be.gemm(false, false, s, 1, s, 1, a, s, x, 1, 0, y, 1);
    },
  },
  {
    key: 'streamElements', what: 'axpby over size elements', sizes: geometric(1024, 1 << 22, 2),
    work: (s) => s,
    setup(be, s) {
      const x = filled(be, s), y = filled(be, s);
      return () => be.axpby(s, 0.5, x, 0.5, y);
    },
  },
  {
    key: 'mathElements', what: 'tanh over size elements', sizes: geometric(256, 1 << 20, 2),
    work: (s) => s,
    setup(be, s) {
      const x = filled(be, s), y = be.arena.alloc(s);
      return () => be.unary(Unary.tanh, s, x, y);
    },
  },
  {
    key: 'adamElements', what: 'Adam over size parameters', sizes: geometric(1024, 1 << 22, 2),
    work: (s) => s,
    setup(be, s) {
      const p = filled(be, s), g = filled(be, s), m = filled(be, s), v = filled(be, s, 0, 1);
      let t = 0;
      return () => be.adam(s, p, g, m, v, 1e-9, 0.9, 0.999, 1e-8, 0, false, ++t);
    },
  },
  {
    key: 'dynamicMacs', what: 'dynamic layer forward, 64 → 64, batch = size', sizes: geometric(1, 512, 2),
    work: (s) => s * 64 * 64,
    setup(be, s) {
      const x = filled(be, s * 64), w = filled(be, s * 64 * 64), g = filled(be, s * 64), y = be.arena.alloc(s * 64);
      return () => be.dynamicForward(s, 64, 64, x, 64, w, 64 * 64, g, 64, g, 64, Act.relu, y, 64);
    },
  },
];

/** Fastest seconds per call of `fn` on 1 and on 2 threads, trials alternating. */
function fastest(fn: () => void, trialMs: number, trials: number): [number, number] {
  const best = [Infinity, Infinity];
  setNativeThreads(1);
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= trialMs / 4 || reps >= 1 << 20) { reps = Math.max(1, Math.round((reps * trialMs) / Math.max(dt, 1e-3))); break; }
    reps *= 4;
  }
  for (let t = 0; t < trials; t++) {
    for (const [i, threads] of [[0, 1], [1, 2]] as const) {
      setNativeThreads(threads);
      fn();
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) fn();
      best[i] = Math.min(best[i]!, (performance.now() - t0) / 1000 / reps);
    }
  }
  return [best[0]!, best[1]!];
}

export interface ThresholdRow { key: string; size: number; work: number; oneThreadUs: number; twoThreadsUs: number; speedup: number }

/**
 * The FMA peak of two cores at once over that of one: about 2 when the second core is free.
 * Below 1.8 the comparison of 1 and 2 threads says more about the machine's other work.
 */
export function secondCoreScaling(ms = 300): { one: number; two: number; ratio: number } {
  setNativeThreads(2);
  const one = measureFmaPeak(ms), two = measureFmaPeak(ms, undefined, 2);
  return { one, two, ratio: two / one };
}

export function measureThresholds(opts: { quick?: boolean; log?: (l: string) => void } = {}): { rows: ThresholdRow[]; suggested: Partial<ParallelThresholds>; scaling: { one: number; two: number; ratio: number } } {
  const log = opts.log ?? ((l: string) => console.log(l));
  const trialMs = opts.quick ? 5 : 30, trials = opts.quick ? 3 : 11;
  const scaling = secondCoreScaling();
  log(`FMA peak: 1 core ${scaling.one.toFixed(1)} GFLOP/s, 2 cores at once ${scaling.two.toFixed(1)} GFLOP/s (${scaling.ratio.toFixed(2)}×)`);
  if (scaling.ratio < 1.8) log('warning: the second core is not free (2-core peak < 1.8× one core); the thresholds below reflect the machine\'s other work');
  const pool = nativePool();
  const saved = pool.parallelThresholds();
  const rows: ThresholdRow[] = [];
  const suggested: Partial<ParallelThresholds> = {};
  try {
    for (const c of CLASSES) {
      pool.setParallelThresholds({ ...saved, [c.key]: 0 });
      log(`\n${c.key}: ${c.what}`);
      const mine: ThresholdRow[] = [];
      for (const size of opts.quick ? c.sizes.filter((_, i) => i % 3 === 0) : c.sizes) {
        const be = createNativeBackend({ initialElements: 1 << 16 });
        const [one, two] = fastest(c.setup(be, size), trialMs, trials);
        const row = { key: c.key, size, work: c.work(size), oneThreadUs: one * 1e6, twoThreadsUs: two * 1e6, speedup: one / two };
        mine.push(row);
        log(`  size ${String(size).padStart(8)}  work ${row.work.toExponential(2).padStart(9)}  1 thread ${row.oneThreadUs.toFixed(2).padStart(10)} µs  2 threads ${row.twoThreadsUs.toFixed(2).padStart(10)} µs  ${row.speedup.toFixed(2)}×`);
      }
      rows.push(...mine);
      // The smallest size from which 2 threads are faster at every larger size.
      let from = mine.length;
      while (from > 0 && mine[from - 1]!.speedup >= MARGIN) from--;
      if (from < mine.length) {
        suggested[c.key] = mine[from]!.work / 2;
        log(`  2 threads faster from work ${mine[from]!.work.toExponential(2)}: ${c.key} = ${(mine[from]!.work / 2).toExponential(2)} per thread`);
      } else {
        log(`  2 threads never faster by ${MARGIN}× up to the largest size: is the second core busy?`);
      }
    }
  } finally {
    pool.setParallelThresholds(saved);
    setNativeThreads(nativeInfo().availableCores ?? 1);
  }
  return { rows, suggested, scaling };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const info = nativeInfo();
  if (!info.available) throw new Error(`native addon not built: ${info.error}`);
  const { rows, suggested, scaling } = measureThresholds({ quick });
  console.log('\nsuggested kParallelThresholds (per thread):');
  for (const [k, v] of Object.entries(suggested)) console.log(`  ${k.padEnd(15)} ${v.toExponential(2)}`);
  const date = new Date().toISOString();
  const result = { benchmark: 'thread-thresholds', date, quick, machine: { cpu: cpus()[0]?.model, cores: cpus().length, isa: info.isa, availableCores: info.availableCores }, fmaPeakScaling: scaling, inUse: nativePool().parallelThresholds(), suggested, rows };
  const file = writeBenchResult('thread-thresholds', result);
  console.log(`wrote ${file}`);
}
