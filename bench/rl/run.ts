/**
 * RL benchmark (`npm run bench:rl [-- --quick]`): whole training runs, timed.
 *  - Pendulum-v1 TD3, 20k steps (learning starts 1000): wall time and final return with
 *    CleanRL's sizes (256-256, batch 256) and small networks (64-64, batch 100).
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
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { writeBenchResult } from '../lib/results.js';
import { secondsPerCall } from '../lib/timing.js';
import { mlpCriticStep } from '../core/workloads.js';

export async function runRlBench(opts: { quick?: boolean; log?: (l: string) => void } = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const backend = defaultBackend().name;
  const runsDir = mkdtempSync(join(tmpdir(), 'hyperrl-bench-rl-'));
  const rawMlpMs = 1000 * secondsPerCall(mlpCriticStep(createBackend(backend, { unchecked: true })).step, 100, 7);
  log(`backend ${backend}; in-run baseline: raw-kernel MLP critic step (17-256-256-1, batch 256) ${rawMlpMs.toFixed(3)} ms`);

  // Time spent sampling is measured by wrapping the buffer's sampler.
  let sampleSeconds = 0;
  const sampleInto = ReplayBuffer.prototype.sampleInto;
  ReplayBuffer.prototype.sampleInto = function (this: ReplayBuffer, ...args: Parameters<typeof sampleInto>) {
    const t = performance.now();
    sampleInto.apply(this, args);
    sampleSeconds += (performance.now() - t) / 1000;
  };

  const pendulum: Record<string, unknown>[] = [];
  const pendulumSteps = quick ? 5_000 : 20_000;
  for (const [label, sizes, batchSize] of [['CleanRL sizes (256-256, batch 256)', [256, 256], 256], ['small (64-64, batch 100)', [64, 64], 100]] as const) {
    const config = resolveTrainConfig({ env: 'Pendulum-v1', algo: 'td3', critic: 'mlp', actorHidden: [...sizes], criticHidden: [...sizes], batchSize, totalSteps: pendulumSteps, learningStarts: 1_000, randomSteps: 1_000, evalEvery: pendulumSteps, checkpointEvery: pendulumSteps, runsDir, seed: 1 });
    const t0 = performance.now();
    const r = await train({ config, quiet: true });
    const wall = (performance.now() - t0) / 1000;
    pendulum.push({ label, steps: pendulumSteps, wallSeconds: wall, finalReturn: r.finalEval.mean });
    log(`Pendulum-v1 TD3 ${label.padEnd(36)} ${pendulumSteps} steps in ${wall.toFixed(1)} s, final return ${r.finalEval.mean.toFixed(1)}`);
  }

  const cheetah: Record<string, unknown>[] = [];
  const cheetahSteps = quick ? 6_000 : 20_000;
  for (const algo of ['td3', 'sac'] as const) {
    for (const critic of ['mlp', 'hyper'] as const) {
      sampleSeconds = 0;
      const config = resolveTrainConfig({ env: 'HalfCheetah-v5', algo, critic, totalSteps: cheetahSteps, learningStarts: 5_000, randomSteps: 5_000, evalEvery: cheetahSteps, evalEpisodes: 1, checkpointEvery: cheetahSteps, runsDir, seed: 1 });
      const r = await train({ config, quiet: true });
      const p = r.learningPhase;
      const per = (s: number): number => (1000 * s) / p.steps;
      const row = {
        algo, critic, learningSteps: p.steps, stepsPerSecond: p.steps / p.seconds,
        msPerStep: { act: per(p.actSeconds), env: per(p.envSeconds), sample: per(sampleSeconds), update: per(p.updateSeconds - sampleSeconds) },
        updateVsRawMlpStep: per(p.updateSeconds - sampleSeconds) / rawMlpMs,
      };
      cheetah.push(row);
      log(`HalfCheetah-v5 ${algo.toUpperCase()} ${critic.padEnd(5)} ${row.stepsPerSecond.toFixed(0).padStart(5)} learning steps/s; per step: act ${row.msPerStep.act.toFixed(3)} ms, env ${row.msPerStep.env.toFixed(3)} ms, sample ${row.msPerStep.sample.toFixed(3)} ms, update ${row.msPerStep.update.toFixed(3)} ms (${row.updateVsRawMlpStep.toFixed(2)}× raw MLP step)`);
    }
  }
  ReplayBuffer.prototype.sampleInto = sampleInto;

  const ppo = await ppoRows(runsDir, quick, log);

  const result = { benchmark: 'rl', date: new Date().toISOString(), quick, backend, machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, rawMlpStepMs: rawMlpMs, pendulum, halfCheetah: cheetah, ppo };
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
  await runRlBench({ quick: process.argv.includes('--quick') });
}
