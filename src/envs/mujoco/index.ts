import { register, type EnvRegistration } from '../registry.js';
import { loadMujoco } from './engine.js';
import { HalfCheetahEnv } from './half-cheetah.js';

export { loadMujoco, mujoco } from './engine.js';
export { MujocoEnv, type DataViews, type SetStateOptions } from './mujoco-env.js';
export { HalfCheetahEnv };

async function prepare(): Promise<void> {
  await loadMujoco();
}

/** Registers the MuJoCo v5 tasks with Gymnasium's episode limits; `make` loads MuJoCo on first use in a thread. */
export function registerMujocoEnvs(): void {
  const tasks: [string, (options: Record<string, unknown>) => MujocoEnvLike, number][] = [
    ['HalfCheetah-v5', (o) => new HalfCheetahEnv(o), 1000],
  ];
  for (const [id, create, maxEpisodeSteps] of tasks) {
    const registration: EnvRegistration = { create, prepare, maxEpisodeSteps };
    register(id, registration);
  }
}

type MujocoEnvLike = HalfCheetahEnv;
