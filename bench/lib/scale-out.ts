/**
 * The scale-out measurements shared by `bench:threads` and `bench:rl`: whole Pendulum-v1 TD3
 * runs on 1 and 2 native threads with their GEMM throughput against the FMA peak measured in
 * the same run, and one update of HypeRL's `paper` HyperCritic on 1 and 2 threads.
 */
import { setNativeThreads } from '../../src/tensor/backends/native/index.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { secondsPerCall } from './timing.js';
import { td3UpdateBench } from './td3-update.js';

/** The scale-out issue's targets: 2 threads vs 1 on the paper HyperCritic update, and the Pendulum run's speed-up and share of 2 cores' peak. */
export const SCALE_OUT_TARGETS = { paperUpdateSpeedup: 1.7, pendulumSpeedup: 1.6, pendulumFractionOf2CorePeak: 0.6 } as const;

export interface PendulumTd3Options {
  label: string;
  hidden: readonly number[];
  batchSize: number;
  steps: number;
  learningStarts: number;
  threadCounts: readonly number[];
  /** FMA peak (GFLOP/s) of t cores, by t (empty off the native backend). */
  peaks: Record<number, number>;
  native: boolean;
  runsDir: string;
}

/** Pendulum-v1 TD3 runs, one per thread count: wall time, final return, and the GEMM throughput sustained over the whole run. */
export async function pendulumTd3Rows(o: PendulumTd3Options, log: (l: string) => void): Promise<Record<string, unknown>[]> {
  const overrides = { env: 'Pendulum-v1', algo: 'td3', critic: 'mlp', actorHidden: [...o.hidden], criticHidden: [...o.hidden], batchSize: o.batchSize };
  // Pendulum: 3-d observations, 1-d actions.
  const flopsPerUpdate = o.native ? td3UpdateBench(3, 1, overrides).gemmFlopsPerUpdate : null;
  const updates = o.steps - o.learningStarts;
  const rows: Record<string, unknown>[] = [];
  let oneThread: { wall: number; ret: number } | null = null;
  for (const threads of o.threadCounts) {
    const config = resolveTrainConfig({ ...overrides, totalSteps: o.steps, learningStarts: o.learningStarts, randomSteps: o.learningStarts, evalEvery: o.steps, checkpointEvery: o.steps, runsDir: o.runsDir, seed: 1 });
    const t0 = performance.now();
    const r = await train({ config, quiet: true, threads });
    const wall = (performance.now() - t0) / 1000;
    const gemmGflops = flopsPerUpdate === null ? null : (flopsPerUpdate * updates) / wall / 1e9;
    const row = {
      label: o.label, threads, steps: o.steps, updates, wallSeconds: wall, finalReturn: r.finalEval.mean,
      gemmMflopsPerUpdate: flopsPerUpdate === null ? null : flopsPerUpdate / 1e6, gemmGflops,
      fractionOfPeak: gemmGflops === null || o.peaks[threads] === undefined ? null : gemmGflops / o.peaks[threads],
      fractionOf2CorePeak: gemmGflops === null || o.peaks[2] === undefined ? null : gemmGflops / o.peaks[2],
      speedupVs1Thread: oneThread === null ? null : oneThread.wall / wall,
      sameReturnAs1Thread: oneThread === null ? null : oneThread.ret === r.finalEval.mean,
    };
    oneThread ??= { wall, ret: r.finalEval.mean };
    rows.push(row);
    log(`Pendulum-v1 TD3 ${o.label.padEnd(36)} ${threads} thr: ${o.steps} steps in ${wall.toFixed(1)} s, final return ${r.finalEval.mean.toFixed(1)}`
      + (gemmGflops === null ? '' : `; GEMMs ${(flopsPerUpdate! / 1e6).toFixed(0)} MFLOP/update, ${gemmGflops.toFixed(1)} GFLOP/s over the run = ${(100 * row.fractionOfPeak!).toFixed(0)}% of ${threads} core${threads > 1 ? 's\'' : '\'s'} peak`)
      + (row.speedupVs1Thread === null ? '' : `; ${row.speedupVs1Thread.toFixed(2)}× 1 thread, ${row.sameReturnAs1Thread ? 'same return' : 'RETURN DIFFERS'}`));
  }
  return rows;
}

/** One HyperTD3 update with HypeRL's `paper` critic at its batch size (HalfCheetah's 17-d observations, 6-d actions), per thread count. */
export function paperUpdateRows(threadCounts: readonly number[], timing: { trialMs: number; trials: number }, log: (l: string) => void): Record<string, unknown>[] {
  const bench = td3UpdateBench(17, 6, { critic: 'hyper', hyperPreset: 'paper', batchSize: 100 });
  const rows: Record<string, unknown>[] = [];
  let oneThreadMs: number | null = null;
  for (const threads of threadCounts) {
    setNativeThreads(threads);
    const ms = 1000 * secondsPerCall(bench.update, timing.trialMs, timing.trials);
    oneThreadMs ??= ms;
    const row = { threads, ms, gemmGflopsPerUpdate: bench.gemmFlopsPerUpdate / 1e9, gemmGflops: bench.gemmFlopsPerUpdate / (ms / 1000) / 1e9, speedupVs1Thread: threads > 1 ? oneThreadMs / ms : null };
    rows.push(row);
    log(`HyperTD3 update, paper HyperCritic (batch 100)  ${threads} thr: ${ms.toFixed(1)} ms, ${row.gemmGflops.toFixed(1)} GFLOP/s in GEMMs${row.speedupVs1Thread === null ? '' : `; ${row.speedupVs1Thread.toFixed(2)}× 1 thread (target ≥ ${SCALE_OUT_TARGETS.paperUpdateSpeedup})`}`);
  }
  return rows;
}

/** The targets as { value, target } from the rows above, logged with PASS / MISS. */
export function scaleOutChecks(pendulum: Record<string, unknown>[], paperUpdate: Record<string, unknown>[], log: (l: string) => void): Record<string, { value: number | null; target: string }> {
  const cleanRl2 = pendulum.find((r) => r.threads === 2 && String(r.label).startsWith('CleanRL'));
  const paper2 = paperUpdate.find((r) => r.threads === 2);
  const value = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const checks = {
    'Pendulum TD3 (CleanRL sizes) 2 threads / 1 thread': { value: value(cleanRl2?.speedupVs1Thread), target: `≥ ${SCALE_OUT_TARGETS.pendulumSpeedup}` },
    'Pendulum TD3 (CleanRL sizes) 2 threads, fraction of 2 cores\' peak': { value: value(cleanRl2?.fractionOf2CorePeak), target: `≥ ${SCALE_OUT_TARGETS.pendulumFractionOf2CorePeak}` },
    'paper HyperCritic update 2 threads / 1 thread': { value: value(paper2?.speedupVs1Thread), target: `≥ ${SCALE_OUT_TARGETS.paperUpdateSpeedup}` },
  };
  log('\ntargets (scale-out issue; meaningful only with both cores free):');
  for (const [k, c] of Object.entries(checks)) {
    log(`  ${k.padEnd(62)} ${c.value === null ? 'n/a' : c.value.toFixed(3)}  target ${c.target}  ${c.value === null ? '' : c.value >= Number(c.target.split(' ')[1]) ? 'PASS' : 'MISS'}`);
  }
  return checks;
}
