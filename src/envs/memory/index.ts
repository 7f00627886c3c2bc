import { register } from '../registry.js';
import { MemoryCueEnv } from './memory-cue.js';

export { MemoryCueEnv };
export type { MemoryCueOptions } from './memory-cue.js';

/** Registers the memory tasks (they end by themselves: no time limit). */
export function registerMemoryEnvs(): void {
  register('MemoryCue-v0', { create: (options) => new MemoryCueEnv(options) });
}
