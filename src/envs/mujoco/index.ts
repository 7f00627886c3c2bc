import { register } from '../registry.js';
import { AntEnv } from './ant.js';
import { loadMujoco } from './engine.js';
import { HalfCheetahEnv } from './half-cheetah.js';
import { HopperEnv, Walker2dEnv } from './hopper.js';
import { HumanoidEnv } from './humanoid.js';
import { InvertedDoublePendulumEnv, InvertedPendulumEnv } from './inverted-pendulum.js';
import type { MujocoEnv } from './mujoco-env.js';
import { PusherEnv, ReacherEnv } from './reacher.js';
import { SwimmerEnv } from './swimmer.js';

export { configureMujoco, loadMujoco, MODEL_FILES, mujoco, type MujocoFiles } from './engine.js';
export { MujocoEnv, type DataViews, type SetStateOptions } from './mujoco-env.js';
export { AntEnv, HalfCheetahEnv, HopperEnv, HumanoidEnv, InvertedDoublePendulumEnv, InvertedPendulumEnv, PusherEnv, ReacherEnv, SwimmerEnv, Walker2dEnv };
export type { AntOptions } from './ant.js';
export type { HalfCheetahOptions } from './half-cheetah.js';
export type { HopperOptions, Walker2dOptions } from './hopper.js';
export type { HumanoidOptions } from './humanoid.js';
export type { InvertedDoublePendulumOptions, InvertedPendulumOptions } from './inverted-pendulum.js';
export type { PusherOptions, ReacherOptions } from './reacher.js';
export type { SwimmerOptions } from './swimmer.js';

/** [id, constructor, Gymnasium's max_episode_steps]. */
const TASKS: [string, new (options: Record<string, unknown>) => MujocoEnv, number][] = [
  ['HalfCheetah-v5', HalfCheetahEnv, 1000],
  ['Hopper-v5', HopperEnv, 1000],
  ['Walker2d-v5', Walker2dEnv, 1000],
  ['Ant-v5', AntEnv, 1000],
  ['Humanoid-v5', HumanoidEnv, 1000],
  ['Swimmer-v5', SwimmerEnv, 1000],
  ['InvertedPendulum-v5', InvertedPendulumEnv, 1000],
  ['InvertedDoublePendulum-v5', InvertedDoublePendulumEnv, 1000],
  ['Reacher-v5', ReacherEnv, 50],
  ['Pusher-v5', PusherEnv, 100],
];

/** Registers the MuJoCo v5 tasks; `make` loads the WebAssembly module on first use in a thread. */
export function registerMujocoEnvs(): void {
  for (const [id, Env, maxEpisodeSteps] of TASKS) {
    register(id, { create: (options) => new Env(options), prepare: async () => void (await loadMujoco()), maxEpisodeSteps });
  }
}
