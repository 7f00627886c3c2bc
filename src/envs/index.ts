/**
 * Environments with Gymnasium 1.x semantics. Importing this module registers
 * the built-in envs (classic control now; MuJoCo tasks load their WebAssembly
 * engine lazily on first `make`).
 */
import { registerClassicEnvs } from './classic/index.js';
import { registerMujocoEnvs } from './mujoco/index.js';

export * from './core.js';
export * from './spaces.js';
export * from './rng.js';
export * from './wrappers.js';
export * from './registry.js';
export { CartPoleEnv, MountainCarContinuousEnv, PendulumEnv } from './classic/index.js';
export * from './mujoco/index.js';

registerClassicEnvs();
registerMujocoEnvs();
export * from './vector/index.js';
