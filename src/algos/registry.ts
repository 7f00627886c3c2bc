/**
 * The algorithms hyperrl can train, one line each. The CLI (flags, --help, --algo choices),
 * run configs, the experiment runner and the diagnostics reach algorithms only through this
 * list; adding one is its own file exporting an entry plus a line here (docs/algorithms.md).
 */
import { ConfigError } from '../core/config.js';
import type { Algorithm } from './algorithm.js';
import { PPO } from './ppo.js';
import { SAC } from './sac.js';
import { TD3 } from './td3.js';

export const ALGORITHMS: readonly Algorithm[] = [
  TD3,
  SAC,
  PPO,
];

export const ALGORITHM_NAMES: readonly string[] = ALGORITHMS.map((a) => a.name);

/** Preset names over all algorithms, in order of first appearance (`cleanrl` first). */
export const PRESET_NAMES: readonly string[] = [...new Set(ALGORITHMS.flatMap((a) => Object.keys(a.presets)))];

/** The registered algorithm called `name` (a ConfigError listing the names if there is none). */
export function algorithm(name: string): Algorithm {
  const found = ALGORITHMS.find((a) => a.name === name);
  if (found === undefined) throw new ConfigError(`unknown algorithm '${name}'; registered: ${ALGORITHM_NAMES.join(', ')}`);
  return found;
}
