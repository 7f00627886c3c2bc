/** Messages between the page and its training worker. */
import type { ObservationNormalizer } from 'hyperrl/browser';

export type ObservationStatistics = ReturnType<ObservationNormalizer['getState']>;

export interface TrainRequest {
  type: 'start';
  env: 'Pendulum-v1' | 'InvertedPendulum-v5';
  algo: 'td3' | 'sac' | 'ppo';
  critic: 'mlp' | 'hyper';
  seed: number;
  totalSteps: number;
  learningStarts: number;
  hidden: number[];
  batchSize: number;
  evalEvery: number;
  evalEpisodes: number;
}

export type TrainEvent =
  | { type: 'ready'; backend: string }
  | { type: 'progress'; step: number; stepsPerSecond: number }
  | { type: 'episode'; step: number; episodeReturn: number }
  | { type: 'eval'; step: number; mean: number; std: number }
  | { type: 'note'; message: string }
  /**
   * `actor`: the trained actor's parameters as safetensors (actor.<param>), with the spec to
   * rebuild it, and the statistics of a run that normalised observations (PPO).
   */
  | { type: 'done'; step: number; seconds: number; actor: Uint8Array; obsStatistics?: ObservationStatistics; request: TrainRequest; obsDim: number; actionLow: number[]; actionHigh: number[] }
  | { type: 'error'; message: string };
