/**
 * Environments with Gymnasium 1.x semantics. Importing this module registers
 * the built-in envs: classic control, the MuJoCo v5 tasks, whose
 * WebAssembly engine loads lazily on the first `make` in each thread, the
 * meta-RL task families built on them, and the memory task MemoryCue-v0.
 */
import { registerClassicEnvs } from './classic/index.js';
import { registerMemoryEnvs } from './memory/index.js';
import { registerMetaEnvs } from './meta/index.js';
import { registerMujocoEnvs } from './mujoco/index.js';

export * from './core.js';
export * from './spaces.js';
export * from './options.js';
export * from './wrappers.js';
export * from './registry.js';
export * from './classic/index.js';
export * from './mujoco/index.js';
export * from './memory/index.js';
export * from './vector/index.js';
export * from './meta/index.js';

registerClassicEnvs();
registerMujocoEnvs();
registerMetaEnvs();
registerMemoryEnvs();
