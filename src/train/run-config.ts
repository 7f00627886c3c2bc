/** The training run's own configuration (the algorithm's lives in its file). */
import { nonNegativeInt, positiveInt, type Schema } from '../core/config.js';

export interface RunConfig {
  env: string;
  algo: 'td3' | 'sac';
  preset: 'cleanrl' | 'hyperrl-paper';
  seed: number;
  totalSteps: number;
  learningStarts: number;
  randomSteps: number;
  bufferSize: number;
  evalEvery: number;
  evalEpisodes: number;
  checkpointEvery: number;
  snapshotEvery: number;
  logEvery: number;
  normalizeObs: boolean;
  runsDir: string;
}

export const RUN_SCHEMA: Schema<RunConfig> = {
  env: { default: 'Pendulum-v1', doc: 'environment id (see `hyperrl envs`)' },
  algo: { default: 'td3', doc: 'algorithm', choices: ['td3', 'sac'] },
  preset: { default: 'cleanrl', doc: 'hyperparameter preset', choices: ['cleanrl', 'hyperrl-paper'] },
  seed: { default: 1, doc: 'seed of the agent, the training env (episode i: hash(seed, i)) and evaluation', check: nonNegativeInt },
  totalSteps: { default: 1_000_000, doc: 'environment steps', check: positiveInt },
  learningStarts: { default: 25_000, doc: 'env steps before the first gradient update', check: nonNegativeInt },
  randomSteps: { default: 25_000, doc: 'env steps with uniform random actions at the start', check: nonNegativeInt },
  bufferSize: { default: 1_000_000, doc: 'replay capacity (transitions)', check: positiveInt },
  evalEvery: { default: 10_000, doc: 'env steps between evaluations', check: positiveInt },
  evalEpisodes: { default: 10, doc: 'deterministic episodes per evaluation', check: positiveInt },
  checkpointEvery: { default: 50_000, doc: 'env steps between checkpoints (written at the next episode end)', check: positiveInt },
  snapshotEvery: { default: 0, doc: 'env steps between parameter snapshots in snapshots/step-<n>.safetensors, for `hyperrl diagnose grad` (0 = none)', check: nonNegativeInt },
  logEvery: { default: 1_000, doc: 'env steps between loss/throughput log rows', check: positiveInt },
  normalizeObs: { default: false, doc: 'normalise observations by running mean and std (kept in checkpoints; the replay buffer stays raw)' },
  runsDir: { default: 'runs', doc: 'folder that receives runs/<run-id>/' },
};
