/**
 * Callbacks of the library's `train()`: observe a run from user code, and stop it early.
 * A callback that returns `false` stops the run the way Ctrl-C does: at the end of the
 * current episode, with a checkpoint, so `train --resume` can continue it. The objects
 * passed in are reused from call to call (the loop allocates nothing per step): copy
 * what you keep.
 *
 *   await train({ config, callbacks: {
 *     onEvaluation: ({ step, result }) => result.mean < -1000 || step < 50_000, // give up on a bad run
 *   } });
 */
import type { UpdateMetrics } from '../algos/agent.js';
import type { EvalResult } from './evaluate.js';

export interface StepInfo {
  /** Env steps done, this one included. */
  step: number;
  /** Episodes finished before this step's episode. */
  episode: number;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

export interface UpdateInfo {
  step: number;
  /** Gradient updates done, this one included. */
  updates: number;
  /** This update's losses and statistics (CleanRL's names, e.g. `losses/qf_loss`). */
  metrics: UpdateMetrics;
}

export interface EvaluationInfo {
  step: number;
  result: EvalResult;
}

export interface CheckpointInfo {
  step: number;
  /** The run folder. */
  runDir: string;
  /** The checkpoint's folder (a generation under `checkpoints/`, see docs/reliability.md). */
  dir: string;
}

/** `false` stops the run at the end of the episode; anything else (nothing) lets it go on. */
export type CallbackResult = boolean | void;

export interface TrainCallbacks {
  /** After every env step (and the update it triggers). */
  onStep?(info: StepInfo): CallbackResult;
  /** After every gradient update. */
  onUpdate?(info: UpdateInfo): CallbackResult;
  /** After every evaluation (the one before training included). */
  onEvaluation?(info: EvaluationInfo): CallbackResult;
  /** After every checkpoint is written. */
  onCheckpoint?(info: CheckpointInfo): CallbackResult;
}

