import { register } from '../registry.js';
import { CartPoleEnv } from './cartpole.js';
import { MountainCarContinuousEnv } from './mountain-car-continuous.js';
import { PendulumEnv } from './pendulum.js';

export { CartPoleEnv, MountainCarContinuousEnv, PendulumEnv };
export type { CartPoleOptions } from './cartpole.js';
export type { MountainCarContinuousOptions } from './mountain-car-continuous.js';
export type { PendulumOptions } from './pendulum.js';

/** Registers the classic-control envs with Gymnasium's episode limits. */
export function registerClassicEnvs(): void {
  register('Pendulum-v1', { create: (options) => new PendulumEnv(options), maxEpisodeSteps: 200 });
  register('MountainCarContinuous-v0', { create: (options) => new MountainCarContinuousEnv(options), maxEpisodeSteps: 999 });
  register('CartPole-v1', { create: (options) => new CartPoleEnv(options), maxEpisodeSteps: 500 });
}
