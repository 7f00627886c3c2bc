/**
 * Scale-out benchmark (`npm run bench:threads [-- --quick | --tiny]`): the scale-out issue's
 * "done when" figures in one run, native kernels on 1 and 2 threads side by side.
 *  - the fp32 FMA peak of one core and of both cores at once, measured first, in this run;
 *  - Pendulum-v1 TD3 with CleanRL's sizes (256-256, batch 256), 20k steps, learning starts
 *    1000: wall time on 1 and 2 threads, the speed-up, and the GEMM GFLOP/s sustained over the
 *    whole run (GEMM flops per update counted from the update's GEMM shapes, batched members
 *    included) as a fraction of both cores' peak; both runs must end with the same return;
 *  - one HyperTD3 update with HypeRL's `paper` critic (batch 100) on 1 and 2 threads;
 *  - HalfCheetah-v5 TD3 (MLP critic) learning-phase steps/s on 1 and 2 threads.
 * Needs a quiet machine: with the second core busy, 2 threads measure about what 1 does (the
 * FMA line warns when the cores were not free together). The load average before and after is
 * recorded. Writes bench/results/threads-<date>[-quick].json; `--tiny` (a check that the
 * benchmark runs: a few hundred updates) writes to a temporary folder instead.
 */
import '../../src/envs/index.js';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeInfo } from '../../src/tensor/backends/native/index.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { measureFmaPeaks } from '../lib/peaks.js';
import { writeBenchResult } from '../lib/results.js';
import { paperUpdateRows, pendulumTd3Rows, scaleOutChecks } from '../lib/scale-out.js';
import { benchFlags } from '../lib/flags.js';

export async function runThreadsBench(opts: { size?: 'full' | 'quick' | 'tiny'; log?: (l: string) => void } = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const size = opts.size ?? 'full';
  const info = nativeInfo();
  if (!info.available) throw new Error(`bench:threads needs the native backend: ${info.error}`);
  const threadCounts = [1, 2];
  const runsDir = mkdtempSync(join(tmpdir(), 'hyperrl-bench-threads-'));
  const loadBefore = loadavg();
  const fma = measureFmaPeaks(threadCounts, size === 'full' ? 500 : 100, log);

  const pendulumSteps = { full: 20_000, quick: 5_000, tiny: 1_200 }[size];
  const pendulum = await pendulumTd3Rows({
    label: 'CleanRL sizes (256-256, batch 256)', hidden: [256, 256], batchSize: 256, steps: pendulumSteps, learningStarts: 1_000,
    threadCounts, peaks: fma.cores, native: true, runsDir,
  }, log);

  const paperUpdate = paperUpdateRows(threadCounts, size === 'tiny' ? { trialMs: 1, trials: 1 } : { trialMs: size === 'quick' ? 300 : 2000, trials: size === 'quick' ? 2 : 5 }, log);

  const cheetahSteps = { full: 20_000, quick: 8_000, tiny: 5_100 }[size];
  const halfCheetah: Record<string, unknown>[] = [];
  let oneThread: { sps: number; ret: number } | null = null;
  for (const threads of threadCounts) {
    const config = resolveTrainConfig({ env: 'HalfCheetah-v5', algo: 'td3', critic: 'mlp', totalSteps: cheetahSteps, learningStarts: 5_000, randomSteps: 5_000, evalEvery: cheetahSteps, evalEpisodes: 1, checkpointEvery: cheetahSteps, runsDir, seed: 1 });
    const r = await train({ config, quiet: true, threads });
    const p = r.learningPhase;
    const sps = p.steps / p.seconds;
    const row = {
      threads, learningSteps: p.steps, stepsPerSecond: sps, updateShare: p.updateSeconds / p.seconds,
      speedupVs1Thread: oneThread === null ? null : sps / oneThread.sps,
      sameReturnAs1Thread: oneThread === null ? null : oneThread.ret === r.finalEval.mean,
    };
    oneThread ??= { sps, ret: r.finalEval.mean };
    halfCheetah.push(row);
    log(`HalfCheetah-v5 TD3 mlp ${threads} thr: ${sps.toFixed(0)} learning steps/s (updates ${(100 * row.updateShare).toFixed(0)}% of the time)`
      + (row.speedupVs1Thread === null ? '' : `; ${row.speedupVs1Thread.toFixed(2)}× 1 thread, ${row.sameReturnAs1Thread ? 'same return' : 'RETURN DIFFERS'}`));
  }

  const checks = scaleOutChecks(pendulum, paperUpdate, log);
  const result = {
    benchmark: 'threads', date: new Date().toISOString(), quick: size !== 'full', size,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, availableCores: info.availableCores, isa: info.isa, node: process.version },
    loadAverage: { before: loadBefore, after: loadavg() },
    fmaPeaks: fma, pendulumTd3: pendulum, paperHyperCriticUpdate: paperUpdate, halfCheetahTd3: halfCheetah, checks,
  };
  const file = writeBenchResult('threads', result, size === 'tiny' ? mkdtempSync(join(tmpdir(), 'hyperrl-bench-threads-result-')) : undefined);
  log(`wrote ${file}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flags = benchFlags('threads', ['--quick', '--tiny']);
  await runThreadsBench({ size: flags.has('--tiny') ? 'tiny' : flags.has('--quick') ? 'quick' : 'full' });
}
