/**
 * Measures where splitting a native kernel over 2 threads starts to pay, for each kernel
 * class of the pool's thresholds (native/pool.cc, kParallelThresholds):
 *   node dist/bench/core/thread-thresholds.js [--quick] [--only gemmFlops,...] [--trial-ms 20] [--trials 7] [--passes 3]
 * For each class, a representative kernel is timed at growing sizes with 1 and 2 threads,
 * splitting forced at every size (that class's threshold set to 0). Trials of the two
 * thread counts alternate, the sweep over sizes is repeated (--passes), and each size keeps
 * its fastest trial of all, so a burst of other work on the machine does not decide the
 * comparison. The break-even is the smallest size from
 * which 2 threads stay faster (by `MARGIN`) at every larger size; the suggested threshold
 * is half of it (the minimum work per thread). Needs 2 free cores to mean anything:
 * run it on a quiet machine. Writes bench/results/thread-thresholds-<date>.json.
 */
import { cpus } from 'node:os';
import type { Backend } from '../../src/tensor/backend.js';
import { createNativeBackend, nativeInfo, nativePool, setNativeThreads, type ParallelThresholds } from '../../src/tensor/backends/native/index.js';
import { Act, Unary } from '../../src/tensor/kernels.js';
import { writeBenchResult } from '../lib/results.js';
import { repsFilling } from '../lib/timing.js';

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
  const reps = repsFilling(fn, trialMs);
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
 * Whether a second core is free: a large GEMM (256×512×512, far above any threshold) on 2
 * threads against 1, fastest of alternating trials. About 1.9× on a quiet 2-core machine;
 * near 1× when other processes keep the second core busy (the caller then runs the worker's
 * share itself), and the comparison of 1 and 2 threads says more about that other work.
 */
export function secondCoreCheck(): { oneThreadUs: number; twoThreadsUs: number; speedup: number } {
  const be = createNativeBackend({ initialElements: 1 << 16 });
  const a = filled(be, 256 * 512), b = filled(be, 512 * 512), c = be.arena.alloc(256 * 512);
  const [one, two] = fastest(() => be.gemm(false, false, 256, 512, 512, 1, a, 512, b, 512, 0, c, 512), 10, 15);
  return { oneThreadUs: one * 1e6, twoThreadsUs: two * 1e6, speedup: one / two };
}

/** Logs the second-core check and warns when its speed-up is below 1.5. */
export function logSecondCoreCheck(log: (l: string) => void): ReturnType<typeof secondCoreCheck> {
  const check = secondCoreCheck();
  log(`second core: sgemm 256×512×512 ${check.oneThreadUs.toFixed(0)} µs on 1 thread, ${check.twoThreadsUs.toFixed(0)} µs on 2 (${check.speedup.toFixed(2)}×)`);
  if (check.speedup < 1.5) log('warning: the second core is busy with other work (2 threads < 1.5× on a large GEMM); the figures below measure that work, not the pool: use a quiet machine');
  return check;
}

export interface ThresholdOptions {
  quick?: boolean;
  /** Classes to measure (default: all). */
  only?: (keyof ParallelThresholds)[];
  /** Length of one timed trial and trials per thread count (shorter, more trials find the quiet moments of a busy machine). */
  trialMs?: number;
  trials?: number;
  /** Sweeps over the sizes; each size keeps its fastest time over all of them. */
  passes?: number;
  log?: (l: string) => void;
}

export function measureThresholds(opts: ThresholdOptions = {}): { rows: ThresholdRow[]; suggested: Partial<ParallelThresholds>; secondCore: ReturnType<typeof secondCoreCheck> } {
  const log = opts.log ?? ((l: string) => console.log(l));
  const trialMs = opts.trialMs ?? (opts.quick ? 5 : 20), trials = opts.trials ?? (opts.quick ? 3 : 7);
  const passes = opts.passes ?? (opts.quick ? 1 : 3);
  const secondCore = logSecondCoreCheck(log);
  const pool = nativePool();
  const saved = pool.parallelThresholds();
  const rows: ThresholdRow[] = [];
  const suggested: Partial<ParallelThresholds> = {};
  try {
    for (const c of CLASSES.filter((k) => opts.only === undefined || opts.only.includes(k.key))) {
      pool.setParallelThresholds({ ...saved, [c.key]: 0 });
      log(`\n${c.key}: ${c.what}`);
      const sizes = opts.quick ? c.sizes.filter((_, i) => i % 3 === 0) : c.sizes;
      const best = sizes.map(() => [Infinity, Infinity]);
      // Whole sweeps repeated: a burst of other work spoils a stretch of sizes in one pass, not in all.
      for (let pass = 0; pass < passes; pass++) {
        sizes.forEach((size, i) => {
          const be = createNativeBackend({ initialElements: 1 << 16 });
          const [one, two] = fastest(c.setup(be, size), trialMs, trials);
          best[i] = [Math.min(best[i]![0]!, one), Math.min(best[i]![1]!, two)];
        });
      }
      const mine: ThresholdRow[] = sizes.map((size, i) => {
        const [one, two] = best[i]!;
        return { key: c.key, size, work: c.work(size), oneThreadUs: one! * 1e6, twoThreadsUs: two! * 1e6, speedup: one! / two! };
      });
      for (const row of mine) log(`  size ${String(row.size).padStart(8)}  work ${row.work.toExponential(2).padStart(9)}  1 thread ${row.oneThreadUs.toFixed(2).padStart(10)} µs  2 threads ${row.twoThreadsUs.toFixed(2).padStart(10)} µs  ${row.speedup.toFixed(2)}×`);
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
  return { rows, suggested, secondCore };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const flag = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
  const info = nativeInfo();
  if (!info.available) throw new Error(`native addon not built: ${info.error}`);
  const only = flag('--only')?.split(',') as (keyof ParallelThresholds)[] | undefined;
  const trialMs = flag('--trial-ms') === undefined ? undefined : Number(flag('--trial-ms'));
  const trials = flag('--trials') === undefined ? undefined : Number(flag('--trials'));
  const passes = flag('--passes') === undefined ? undefined : Number(flag('--passes'));
  const { rows, suggested, secondCore } = measureThresholds({ quick, only, trialMs, trials, passes });
  // Ready to paste into native/pool.cc (classes without a break-even keep their value in use).
  const inUse = nativePool().parallelThresholds();
  console.log('\nkParallelThresholds for native/pool.cc (minimum work per thread; "=" kept: no break-even found):');
  console.log('const ParallelThresholds kParallelThresholds = {');
  for (const key of Object.keys(inUse) as (keyof ParallelThresholds)[]) {
    const v = suggested[key];
    console.log(`  /* ${key.padEnd(14)} */ ${(v ?? inUse[key]).toExponential(1)},${v === undefined ? '  // =' : ''}`);
  }
  console.log('};');
  const date = new Date().toISOString();
  const result = { benchmark: 'thread-thresholds', date, quick, trialMs, trials, passes, machine: { cpu: cpus()[0]?.model, cores: cpus().length, isa: info.isa, availableCores: info.availableCores }, secondCore, inUse: nativePool().parallelThresholds(), suggested, rows };
  const file = writeBenchResult('thread-thresholds', result);
  console.log(`wrote ${file}`);
}
