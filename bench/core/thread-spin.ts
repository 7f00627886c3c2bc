/**
 * Measures what the pool's idle spin windows (native/pool.cc, kPoolTuning) trade:
 *   node dist/bench/core/thread-spin.js [--quick]
 *  1. wake-up cost: a tiny split job after an idle gap, with the worker always spinning
 *     and with it always asleep (the difference is what a sleeping worker costs a job);
 *  2. the gaps between split kernels inside a TD3 update (Pendulum, CleanRL sizes): a
 *     worker that spins longer than these does not fall asleep inside an update;
 *  3. TD3 update wall time and process CPU time per update for several worker spin
 *     windows (CPU time beyond the useful work is what spinning takes from other processes).
 * Needs 2 free cores to mean anything. Writes bench/results/thread-spin-<date>.json.
 */
import { cpus } from 'node:os';
import type { Backend } from '../../src/tensor/backend.js';
import { createNativeBackend, nativeInfo, nativePool, setNativeThreads } from '../../src/tensor/backends/native/index.js';
import { writeBenchResult } from '../lib/results.js';
import { median } from '../lib/timing.js';
import { td3UpdateBench } from '../lib/td3-update.js';
import { logSecondCoreCheck } from './thread-thresholds.js';

const PENDULUM_CLEANRL = { criticHidden: [256, 256], actorHidden: [256, 256], batchSize: 256 };

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

/** Busy-waits `us` microseconds on this thread (the caller's own work between kernels). */
function busy(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) { /* spin */ }
}

/** Median µs of a tiny 2-task job after each idle gap, with the worker spin window `spinMicros`. */
function wakeLatency(spinMicros: number, gaps: number[], reps: number): Record<number, number> {
  const pool = nativePool();
  const be = createNativeBackend({ initialElements: 1 << 12 });
  const x = be.arena.alloc(64), y = be.arena.alloc(64);
  pool.setPoolTuning({ workerSpinMicros: spinMicros });
  const out: Record<number, number> = {};
  for (const gap of gaps) {
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      busy(gap);
      const t0 = performance.now();
      be.axpby(64, 0.5, x, 0.5, y);
      times.push((performance.now() - t0) * 1000);
    }
    out[gap] = median(times);
  }
  return out;
}

/** Wraps every kernel of `be` to record when each call that was split started and ended (ms). */
function recordSplitCalls(be: Backend, calls: { start: number; end: number }[]): void {
  const pool = nativePool();
  const raw = be as unknown as Record<string, (...a: number[]) => unknown>;
  for (const k of ['gemm', 'gemmBiasAct', 'biasAct', 'actBackward', 'colSum', 'dynamicForward', 'dynamicBackward', 'adam', 'polyak', 'unary', 'binary', 'clamp', 'axpby', 'reduce', 'fill']) {
    const f = raw[k]!;
    raw[k] = (...a: number[]) => {
      const jobs = pool.poolStats().parallelJobs, start = performance.now();
      const r = f.apply(be, a);
      const end = performance.now();
      if (pool.poolStats().parallelJobs !== jobs) calls.push({ start, end });
      return r;
    };
  }
}

/** Gaps (µs) between consecutive split kernels inside TD3 updates. */
function gapsInsideUpdates(updates: number): number[] {
  const calls: { start: number; end: number }[] = [];
  const bench = td3UpdateBench(3, 1, PENDULUM_CLEANRL, { instrument: (be) => recordSplitCalls(be, calls) });
  const gaps: number[] = [];
  for (let u = 0; u < updates; u++) {
    calls.length = 0;
    bench.update();
    for (let i = 1; i < calls.length; i++) gaps.push((calls[i]!.start - calls[i - 1]!.end) * 1000);
  }
  return gaps;
}

/** ms of wall and CPU time per TD3 update (Pendulum, CleanRL sizes) with `threads` and a worker spin window. */
function updateCost(threads: number, spinMicros: number, updates: number): { wallMs: number; cpuMs: number } {
  nativePool().setPoolTuning({ workerSpinMicros: spinMicros });
  setNativeThreads(threads);
  const bench = td3UpdateBench(3, 1, PENDULUM_CLEANRL);
  for (let i = 0; i < 20; i++) bench.update();
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  for (let i = 0; i < updates; i++) bench.update();
  const wall = performance.now() - t0, cpu = process.cpuUsage(cpu0);
  return { wallMs: wall / updates, cpuMs: (cpu.user + cpu.system) / 1000 / updates };
}

export function measureSpin(opts: { quick?: boolean; log?: (l: string) => void } = {}): Record<string, unknown> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const pool = nativePool();
  const saved = pool.poolTuning();
  const secondCore = logSecondCoreCheck(log);
  try {
    setNativeThreads(2);
    const gapsIdle = [0, 10, 30, 100, 300, 1000, 3000];
    const reps = quick ? 50 : 400;
    pool.setParallelThresholds({ streamElements: 0 }); // the 64-element probe job splits
    const spinning = wakeLatency(1e5, gapsIdle, reps), asleep = wakeLatency(0, gapsIdle, reps);
    pool.setParallelThresholds(pool.parallelThresholds(true));
    log('\n1. tiny split job after an idle gap, median µs (worker spinning | worker asleep):');
    for (const g of gapsIdle) log(`  gap ${String(g).padStart(5)} µs: ${spinning[g]!.toFixed(2).padStart(7)} | ${asleep[g]!.toFixed(2).padStart(7)}`);

    pool.setPoolTuning({ workerSpinMicros: 1e5 });
    const gaps = gapsInsideUpdates(quick ? 10 : 200);
    const gapStats = { count: gaps.length, p50: percentile(gaps, 0.5), p90: percentile(gaps, 0.9), p99: percentile(gaps, 0.99), max: Math.max(...gaps) };
    log(`\n2. gaps between split kernels inside a TD3 update (${gapStats.count}): p50 ${gapStats.p50.toFixed(1)} µs, p90 ${gapStats.p90.toFixed(1)}, p99 ${gapStats.p99.toFixed(1)}, max ${gapStats.max.toFixed(1)}`);

    const updates = quick ? 20 : 300;
    const costs: { threads: number; spinMicros: number; wallMs: number; cpuMs: number }[] = [];
    log('\n3. TD3 update (Pendulum, 256-256, batch 256): wall ms | CPU ms per update');
    for (const [threads, spin] of [[1, 0], [2, 0], [2, 10], [2, 30], [2, 100], [2, 300], [2, 1000]] as const) {
      const c = updateCost(threads, spin, updates);
      costs.push({ threads, spinMicros: spin, ...c });
      log(`  ${threads} thread${threads > 1 ? 's' : ' '} spin ${String(spin).padStart(5)} µs: ${c.wallMs.toFixed(3)} | ${c.cpuMs.toFixed(3)}`);
    }
    return { secondCore, wake: { gaps: gapsIdle, spinning, asleep }, gapsInsideUpdate: gapStats, updateCost: costs };
  } finally {
    pool.setPoolTuning(saved);
    pool.setParallelThresholds(pool.parallelThresholds(true));
    setNativeThreads(nativeInfo().availableCores ?? 1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const info = nativeInfo();
  if (!info.available) throw new Error(`native addon not built: ${info.error}`);
  const quick = process.argv.includes('--quick');
  const r = measureSpin({ quick });
  const result = { benchmark: 'thread-spin', date: new Date().toISOString(), quick, machine: { cpu: cpus()[0]?.model, cores: cpus().length, isa: info.isa }, inUse: nativePool().poolTuning(), ...r };
  const file = writeBenchResult('thread-spin', result);
  console.log(`wrote ${file}`);
}
