/**
 * VariBAD's training throughput on HalfCheetah-Dir (spec B.4: 16 envs × 400 steps per
 * rollout) with the Standard and the hypernetwork (Bias-HyperInit, XL) policy, and the Standard
 * one with the ELBO subsampled (50 terms × 50 decodes per trial), frames/s and
 * the time split into env stepping, acting (task inference + policy), the PPO update and
 * the VAE update. The agent is driven directly, as the on-policy loop drives it, for
 * `ROLLOUTS` rollouts after a warm-up one; the agent's own VAE steps are turned off and the
 * bench takes them (the default vaeUpdates per rollout) right after `update`, timed apart.
 * `--quick`: 2 envs × 202 steps, a small VAE batch (checks the code runs; no timing claims).
 * Writes bench/results/meta-<date>[-quick].json.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { MetaPpo, VARIBAD, type MetaPpoConfig } from '../../src/algos/meta-ppo.js';
import '../../src/envs/index.js';
import { make } from '../../src/envs/registry.js';
import { SyncVectorEnv } from '../../src/envs/vector/sync.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { writeBenchResult } from '../lib/results.js';
import { benchFlags } from '../lib/flags.js';

const quick = benchFlags('meta', ['--quick']).has('--quick');
const ENV = 'HalfCheetahDir-v0';
const ROLLOUTS = quick ? 1 : 3;
// Quick: one 200-step trial per env completes in the warm-up rollout, so the VAE steps run too.
const SIZE = quick ? { numEnvs: 2, numSteps: 202, numMinibatches: 1, vaeBatchTrials: 2, vaeBufferTrials: 100 } : {};
// The third setting subsamples the ELBO as the reference's HalfCheetah-Dir config does (50 terms × 50 decodes per trial).
const POLICIES = {
  standard: { policy: 'standard' },
  'hyper (bias-hyperinit)': { policy: 'hyper', hyperInit: 'bias-hyperinit' },
  'standard, ELBO subsampled 50 × 50': { policy: 'standard', vaeSubsampleElbos: 50, vaeSubsampleDecodes: 50 },
};

interface Split {
  framesPerSecond: number;
  seconds: { env: number; act: number; ppoUpdate: number; vaeUpdate: number };
  parameters: number;
  generatedPerSample: number;
}

async function measure(settings: Record<string, unknown>): Promise<Split> {
  // The VAE trains from the first rollout on, so every timed rollout has its VAE steps.
  const config = resolveTrainConfig({ algo: 'varibad', env: ENV, ...SIZE, ...settings, vaePrecollectSteps: 0, vaeUpdates: 0 }).agent as MetaPpoConfig;
  const vaeUpdates = VARIBAD.schema.vaeUpdates.default;
  const evalEnv = await make(ENV, VARIBAD.envOptions!(config).evaluation);
  const agent = VARIBAD.create(new Engine(defaultBackend()), evalEnv, config, 1) as MetaPpo;
  const vec = await SyncVectorEnv.create(ENV, config.numEnvs, { envOptions: VARIBAD.envOptions!(config).train });
  let obs = vec.reset({ seed: 1 }).obs;
  agent.episodesRestarted();
  const actions = new Float64Array(config.numEnvs * agent.spec.actionLow.length);
  const seconds = { env: 0, act: 0, ppoUpdate: 0, vaeUpdate: 0 };
  for (let rollout = 0; rollout <= ROLLOUTS; rollout++) {
    const timed = rollout > 0; // rollout 0 warms up (and fills the trial buffer)
    for (let s = 0; s < config.numSteps; s++) {
      const t0 = performance.now();
      agent.collect(obs, actions);
      const t1 = performance.now();
      const r = vec.step(actions);
      const t2 = performance.now();
      agent.recordOutcome(r.rewards, r.terminations, r.truncations, r.rewards);
      obs = r.obs;
      if (timed) { seconds.act += (t1 - t0 + performance.now() - t2) / 1000; seconds.env += (t2 - t1) / 1000; }
    }
    const t0 = performance.now();
    agent.update(obs, rollout, ROLLOUTS + 1);
    const t1 = performance.now();
    if (agent.varibad!.trials.size > 0) for (let k = 0; k < vaeUpdates; k++) agent.varibad!.trainer.update(agent.rng);
    if (timed) { seconds.ppoUpdate += (t1 - t0) / 1000; seconds.vaeUpdate += (performance.now() - t1) / 1000; }
  }
  await vec.close();
  evalEnv.close();
  const total = seconds.env + seconds.act + seconds.ppoUpdate + seconds.vaeUpdate;
  const d = agent.net.policy.describe();
  return { framesPerSecond: (ROLLOUTS * config.numEnvs * config.numSteps) / total, seconds, parameters: d.parameters, generatedPerSample: d.generatedPerSample };
}

const results: Record<string, Split> = {};
for (const [name, settings] of Object.entries(POLICIES)) {
  results[name] = await measure(settings);
  const r = results[name]!;
  console.log(`${name}: ${r.framesPerSecond.toFixed(0)} frames/s; per ${ROLLOUTS} rollouts: env ${r.seconds.env.toFixed(1)} s, act ${r.seconds.act.toFixed(1)} s, PPO update ${r.seconds.ppoUpdate.toFixed(1)} s, VAE update ${r.seconds.vaeUpdate.toFixed(1)} s`);
}
const summary = {
  date: new Date().toISOString(), quick, env: ENV, rollouts: ROLLOUTS, size: quick ? SIZE : { numEnvs: 16, numSteps: 400 },
  backend: defaultBackend().name, cpus: cpus().length, parallelism: availableParallelism(), loadavg: loadavg(), results,
};
const file = writeBenchResult('meta', summary);
console.log(`wrote ${file}`);
