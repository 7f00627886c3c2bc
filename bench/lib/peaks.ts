import { measureFmaPeak, setNativeThreads } from '../../src/tensor/backends/native/index.js';

export interface FmaPeaks {
  /** One core's fp32 FMA peak, GFLOP/s (best ~1 ms slice). */
  perCore: number;
  /** The peak of t cores: t × one core's (the hardware's capacity; fractions of it are never overstated). */
  cores: Record<number, number>;
  /** What t threads did at the same time (best 1 ms window of their total): about `cores[t]` when t cores are free. */
  atOnce: Record<number, number>;
}

/**
 * FMA peaks for the thread counts a benchmark compares, measured in its run, with a
 * warning when the cores were not free together (multi-thread figures then measure the
 * machine's other work).
 */
export function measureFmaPeaks(threadCounts: readonly number[], ms: number, log: (l: string) => void): FmaPeaks {
  setNativeThreads(Math.max(...threadCounts));
  const perCore = measureFmaPeak(ms);
  const cores: Record<number, number> = {}, atOnce: Record<number, number> = {};
  for (const t of threadCounts) {
    cores[t] = t * perCore;
    atOnce[t] = t === 1 ? perCore : measureFmaPeak(ms, undefined, t);
  }
  log(`fp32 FMA peak: 1 core ${perCore.toFixed(1)} GFLOP/s${threadCounts.filter((t) => t > 1).map((t) => `; ${t} cores ${cores[t]!.toFixed(1)} (measured at once: ${atOnce[t]!.toFixed(1)})`).join('')}`);
  for (const t of threadCounts) {
    if (atOnce[t]! < 0.8 * cores[t]!) log(`warning: ${t} cores were not free together (${atOnce[t]!.toFixed(0)} of ${cores[t]!.toFixed(0)} GFLOP/s at once): ${t}-thread figures below measure the machine's other work`);
  }
  return { perCore, cores, atOnce };
}
