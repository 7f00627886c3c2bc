/**
 * RL benchmark (`npm run bench:rl [-- --quick]`): whole training runs, timed, with the
 * native kernels on 1 and on 2 threads side by side (results are identical; the runs
 * check that their returns are).
 *  - Pendulum-v1 TD3, 20k steps (learning starts 1000): wall time and final return with
 *    CleanRL's sizes (256-256, batch 256) and small networks (64-64, batch 100); for the
 *    CleanRL sizes also the GEMM throughput over the whole run as a fraction of the FMA
 *    peak of as many cores as threads (GEMM flops per update counted from the shapes of
 *    the update's GEMM calls; the peaks measured in this run).
 *  - HypeRL's `paper` HyperCritic: one HyperTD3 update (HalfCheetah sizes, batch 100) on
 *    1 and 2 threads.
 *  - HalfCheetah-v5 TD3 and SAC with MLP and compact hyper critics, 20k steps (learning
 *    starts 5000): learning-phase steps/s and time per step split into act / env / sample / update.
 *  - PPO, Pendulum-v1 with CleanRL's ppo_continuous_action.py defaults (1 env, 2048 steps per
 *    rollout, 10 epochs, 32 minibatches, 64-64 tanh), 20,480 steps: steps/s of the whole run
 *    and the update's share of it (CleanRL-PyTorch does ~1,000 steps/s here, 38% in updates).
 *  - PPO, HalfCheetah-v5 with 16 envs stepped in this thread and on 1 and 2 worker threads.
 * In-run baseline: the raw-kernel MLP critic step of bench/core, so update costs read as ratios.
 * Writes bench/results/rl-<date>.json.
 */
import '../../src/envs/index.js';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayBuffer } from '../../src/replay/replay-buffer.js';
import { createBackend, defaultBackend } from '../../src/tensor/backends/index.js';
import { nativeInfo, setNativeThreads } from '../../src/tensor/backends/native/index.js';
import { measureFmaPeaks, type FmaPeaks } from '../lib/peaks.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { writeBenchResult } from '../lib/results.js';
import { secondsPerCall } from '../lib/timing.js';
import { paperUpdateRows, pendulumTd3Rows, scaleOutChecks } from '../lib/scale-out.js';
import { mlpCriticStep } from '../core/workloads.js';
import { benchFlags } from '../lib/flags.js';

export async function runRlBench(opts: { quick?: boolean; log?: (l: string) => void } = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const backend = defaultBackend().name;
  // wasm and js run on one thread: only the native backend gets a 2-thread column.
  const threadCounts = backend === 'native' ? [1, 2] : [1];
  const runsDir = mkdtempSync(join(tmpdir(), 'hyperrl-bench-rl-'));
  const rawMlpMs = 1000 * secondsPerCall(mlpCriticStep(createBackend(backend, { unchecked: true })).step, 100, 7);
  log(`backend ${backend}; in-run baseline: raw-kernel MLP critic step (17-256-256-1, batch 256) ${rawMlpMs.toFixed(3)} ms`);
  const fma: FmaPeaks | null = backend === 'native' ? measureFmaPeaks(threadCounts, quick ? 200 : 500, log) : null;
  const peaks = fma?.cores ?? {};

  // Time spent sampling is measured by wrapping the buffer's sampler.
  let sampleSeconds = 0;
  const sampleInto = ReplayBuffer.prototype.sampleInto;
  ReplayBuffer.prototype.sampleInto = function (this: ReplayBuffer, ...args: Parameters<typeof sampleInto>) {
    const t = performance.now();
    sampleInto.apply(this, args);
    sampleSeconds += (performance.now() - t) / 1000;
  };

  const pendulum: Record<string, unknown>[] = [];
  const pendulumSteps = quick ? 5_000 : 20_000, learningStarts = 1_000;
  for (const [label, hidden, batchSize] of [['CleanRL sizes (256-256, batch 256)', [256, 256], 256], ['small (64-64, batch 100)', [64, 64], 100]] as const) {
    pendulum.push(...await pendulumTd3Rows({ label, hidden, batchSize, steps: pendulumSteps, learningStarts, threadCounts, peaks, native: backend === 'native', runsDir }, log));
  }

  const paperUpdate = backend === 'native' ? paperUpdateRows(threadCounts, { trialMs: quick ? 300 : 2000, trials: quick ? 2 : 5 }, log) : [];

  const cheetah: Record<string, unknown>[] = [];
  const cheetahSteps = quick ? 6_000 : 20_000;
  for (const algo of ['td3', 'sac'] as const) {
    for (const critic of ['mlp', 'hyper'] as const) {
      let oneThread: { sps: number; ret: number } | null = null;
      for (const threads of threadCounts) {
        sampleSeconds = 0;
        const config = resolveTrainConfig({ env: 'HalfCheetah-v5', algo, critic, totalSteps: cheetahSteps, learningStarts: 5_000, randomSteps: 5_000, evalEvery: cheetahSteps, evalEpisodes: 1, checkpointEvery: cheetahSteps, runsDir, seed: 1 });
        const r = await train({ config, quiet: true, threads });
        const p = r.learningPhase;
        const per = (s: number): number => (1000 * s) / p.steps;
        const sps = p.steps / p.seconds;
        const row = {
          algo, critic, threads, learningSteps: p.steps, stepsPerSecond: sps,
          msPerStep: { act: per(p.actSeconds), env: per(p.envSeconds), sample: per(sampleSeconds), update: per(p.updateSeconds - sampleSeconds) },
          updateVsRawMlpStep: per(p.updateSeconds - sampleSeconds) / rawMlpMs,
          speedupVs1Thread: oneThread === null ? null : sps / oneThread.sps,
          sameReturnAs1Thread: oneThread === null ? null : oneThread.ret === r.finalEval.mean,
        };
        oneThread ??= { sps, ret: r.finalEval.mean };
        cheetah.push(row);
        log(`HalfCheetah-v5 ${algo.toUpperCase()} ${critic.padEnd(5)} ${threads} thr ${row.stepsPerSecond.toFixed(0).padStart(5)} learning steps/s; per step: act ${row.msPerStep.act.toFixed(3)} ms, env ${row.msPerStep.env.toFixed(3)} ms, sample ${row.msPerStep.sample.toFixed(3)} ms, update ${row.msPerStep.update.toFixed(3)} ms (${row.updateVsRawMlpStep.toFixed(2)}× raw MLP step)`
          + (row.speedupVs1Thread === null ? '' : `; ${row.speedupVs1Thread.toFixed(2)}× 1 thread, ${row.sameReturnAs1Thread ? 'same return' : 'RETURN DIFFERS'}`));
      }
    }
  }
  ReplayBuffer.prototype.sampleInto = sampleInto;
  if (backend === 'native') setNativeThreads(nativeInfo().availableCores ?? 1);

  const ppo = await ppoRows(runsDir, quick, log);

  const checks = scaleOutChecks(pendulum, paperUpdate, log);

  const result = { benchmark: 'rl', date: new Date().toISOString(), quick, backend, machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, rawMlpStepMs: rawMlpMs, peakGflopsByCores: peaks, peakGflopsAtOnce: fma?.atOnce ?? null, pendulum, paperHyperCriticUpdate: paperUpdate, halfCheetah: cheetah, ppo, checks };
  const file = writeBenchResult('rl', result);
  log(`wrote ${file}`);
  return result;
}

/** The PPO rows: whole-run steps/s and the update's share (learning-phase timings of train()). */
export async function ppoRows(runsDir: string, quick: boolean, log: (l: string) => void): Promise<Record<string, unknown>[]> {
  const ppo: Record<string, unknown>[] = [];
  const ppoRun = async (label: string, overrides: Record<string, unknown>): Promise<void> => {
    const steps = overrides.totalSteps as number;
    const config = resolveTrainConfig({ algo: 'ppo', evalEvery: steps, evalEpisodes: 1, checkpointEvery: steps, runsDir, seed: 1, ...overrides });
    const r = await train({ config, quiet: true });
    const p = r.learningPhase;
    const row = {
      label, steps: p.steps, stepsPerSecond: p.steps / p.seconds, updateShare: p.updateSeconds / p.seconds,
      msPerStep: { act: (1000 * p.actSeconds) / p.steps, env: (1000 * p.envSeconds) / p.steps, update: (1000 * p.updateSeconds) / p.steps }, finalReturn: r.finalEval.mean,
    };
    ppo.push(row);
    log(`PPO ${label.padEnd(44)} ${row.stepsPerSecond.toFixed(0).padStart(6)} steps/s, update ${(100 * row.updateShare).toFixed(0)}% of the time; per step: act ${row.msPerStep.act.toFixed(3)} ms, env ${row.msPerStep.env.toFixed(3)} ms, update ${row.msPerStep.update.toFixed(3)} ms`);
  };
  await ppoRun('Pendulum-v1, CleanRL defaults, 1 env', { env: 'Pendulum-v1', totalSteps: quick ? 10_240 : 20_480 });
  const cheetahPpo = { env: 'HalfCheetah-v5', numEnvs: 16, numSteps: quick ? 256 : 2048, totalSteps: (quick ? 256 : 2048) * 16 * 2 };
  await ppoRun('HalfCheetah-v5, 16 envs, sync (this thread)', { ...cheetahPpo, vectorEnv: 'sync' });
  for (const workers of [1, 2]) await ppoRun(`HalfCheetah-v5, 16 envs, async on ${workers} worker${workers > 1 ? 's' : ''}`, { ...cheetahPpo, vectorEnv: 'async', workers });
  return ppo;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runRlBench({ quick: benchFlags('rl', ['--quick']).has('--quick') });
}
