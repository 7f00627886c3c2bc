/**
 * Named hyperparameter presets per algorithm: overrides of the run and agent
 * defaults. `cleanrl` reproduces CleanRL's scripts (PPO: ppo_continuous_action.py);
 * `hyperrl-paper` HypeRL's code (Sarafian et al. 2021), with its SAC evaluation bug
 * fixed (see src/algos/sac.ts); `cleanrl-discrete` CleanRL's ppo.py.
 */
import { PPO_DISCRETE_OVERRIDES } from '../algos/ppo.js';
import type { RunConfig } from './run-config.js';

export type PresetName = RunConfig['preset'];
export type AlgoName = RunConfig['algo'];

export interface Preset {
  run: Partial<RunConfig>;
  agent: Record<string, unknown>;
}

/** Presets by name, then algorithm (not every preset exists for every algorithm). */
export const PRESETS: Record<PresetName, Partial<Record<AlgoName, Preset>>> = {
  cleanrl: {
    td3: { run: { learningStarts: 25_000, randomSteps: 25_000 }, agent: {} },
    sac: { run: { learningStarts: 5_000, randomSteps: 5_000 }, agent: {} },
    ppo: { run: {}, agent: {} },
  },
  'cleanrl-discrete': {
    // ppo.py: CartPole-v1, 500k steps.
    ppo: { run: { totalSteps: 500_000 }, agent: { ...PPO_DISCRETE_OVERRIDES } },
  },
  'hyperrl-paper': {
    // HypeRL TD3: batch 100, hyper critic lr 5e-5, 1e3 uniform-random start steps, evaluation every 5e3 steps.
    td3: { run: { learningStarts: 1_000, randomSteps: 1_000, evalEvery: 5_000 }, agent: { batchSize: 100, hyperCriticLr: 5e-5 } },
    // HypeRL SAC: updates from the first full batch (also while acting randomly for 1e3 steps), lr 3e-4
    // (hyper Q 5e-5), actor and targets every step. α: the code defaults to a fixed 1.0 but the author's
    // comment runs HalfCheetah with a fixed 0.2; we take the documented 0.2 (spec A.4).
    sac: {
      run: { learningStarts: 256, randomSteps: 1_000, evalEvery: 5_000 },
      agent: { policyLr: 3e-4, qLr: 3e-4, hyperQLr: 5e-5, alpha: 0.2, autotune: false, policyFrequency: 1, targetNetworkFrequency: 1 },
    },
  },
};
