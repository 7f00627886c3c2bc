/** The training run's own configuration (the algorithm's lives in its file). */
import { ConfigError, nonNegativeInt, positiveInt, type Schema } from './config.js';

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

/**
 * Checks across fields that no single field's check can make: a batch must fit in the replay
 * buffer (a batch of 100,000 from 50 transitions only repeats them, slowly), and updates start
 * only once a batch's worth of transitions exists.
 */
export function checkRunConsistency(run: RunConfig, batchSize: number): void {
  if (batchSize > run.bufferSize) {
    throw new ConfigError(`train: config 'batchSize' (${batchSize}) is larger than the replay buffer ('bufferSize' ${run.bufferSize}): every batch would repeat transitions; lower batchSize or raise bufferSize`);
  }
  if (batchSize > run.learningStarts) {
    throw new ConfigError(`train: config 'batchSize' (${batchSize}) is larger than 'learningStarts' (${run.learningStarts}): the first updates would sample ${batchSize} transitions from fewer; raise learningStarts to at least the batch size`);
  }
}
