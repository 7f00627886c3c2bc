/**
 * What the off-policy training loop needs from an algorithm (TD3, SAC): acting,
 * one gradient update from the replay buffer, and its state for checkpoints.
 */
import type { Module } from '../nn/module.js';
import type { Adam } from '../nn/optim.js';
import type { Xoshiro128Rng } from '../core/random.js';
import type { ReplayBuffer } from '../replay/replay-buffer.js';
import type { Engine } from '../tensor/engine.js';
import { mean, squaredDifference } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';

/** Losses and statistics of one update, under CleanRL's metric names. */
export type UpdateMetrics = Record<string, number>;

export interface OffPolicyAgent {
  readonly engine: Engine;
  /** The algorithm's own generator (exploration noise, replay sampling, target noise). */
  readonly rng: Xoshiro128Rng;
  /** Write an env-scale action for one observation into `out`; explore adds the algorithm's noise. */
  act(obs: ArrayLike<number>, explore: boolean, out: Float64Array): void;
  /** One gradient step; `updateIndex` counts from 0 (delayed updates depend on it). */
  update(replay: ReplayBuffer, updateIndex: number): UpdateMetrics;
  /** Everything with parameters, by name, for checkpoints. */
  modules(): Record<string, Module>;
  optimizers(): Record<string, { module: Module; optimizer: Adam }>;
}

/** Mean squared error. */
export const mse = (a: Tensor, b: Tensor): Tensor => mean(squaredDifference(a, b));

/** Stop a run on a non-finite loss instead of training on NaN. */
export function checkFinite(value: number, what: string, updateIndex: number): number {
  if (!Number.isFinite(value)) throw new Error(`${what} is ${value} at update ${updateIndex}: training diverged (lower the learning rate, check observations and rewards)`);
  return value;
}

/** Copy one observation into a [1, dim] tensor of the current scope. */
export function observationTensor(engine: Engine, obs: ArrayLike<number>, dim: number): Tensor {
  if (obs.length !== dim) throw new RangeError(`observation has ${obs.length} values, the agent expects ${dim}`);
  const t = engine.empty([1, dim]);
  const d = engine.backend.arena.data;
  for (let i = 0; i < dim; i++) {
    const v = obs[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`observation[${i}] is ${v}`);
    d[t.offset + i] = v;
  }
  return t;
}
