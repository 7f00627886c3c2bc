/** Messages between the page and its training worker. */

export interface TrainRequest {
  type: 'start';
  env: 'Pendulum-v1' | 'InvertedPendulum-v5';
  algo: 'td3' | 'sac';
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
  /** `actor`: the trained actor's parameters as safetensors (actor.<param>), with the spec to rebuild it. */
  | { type: 'done'; step: number; seconds: number; actor: Uint8Array; request: TrainRequest; obsDim: number; actionLow: number[]; actionHigh: number[] }
  | { type: 'error'; message: string };
