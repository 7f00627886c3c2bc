/**
 * Meta-RL task families and their registered envs.
 *
 * Ids: `<base env><family>-v0` (`HalfCheetahDir-v0`, `AntGoal-v0`, `Walker2dRandParams-v0`,
 * `Navigation2D-v0`, …); the version rises when a family's reward, observation or task
 * distribution changes. `make(id, options)` accepts the env's options (see each env) and
 * the trial options below; with `episodes_per_trial` ≥ 1 the env comes wrapped in a
 * BamdpWrapper, outside the episode TimeLimit.
 *
 * Trial options (flat, snake_case, like env options, so they reach AsyncVectorEnv workers):
 *   episodes_per_trial               k: episodes per task (0, the default: a plain task env)
 *   task_split                       'train' | 'test': the distribution trials draw from
 *   task_pool_size                   0: fresh draws; n > 0: uniform over `taskPool(family, split, n, task_pool_seed)`
 *   task_pool_seed                   seed of that pool
 *   episode_boundary_in_observation  append the episode-boundary flag to observations
 *   task_in_observation              append the trial's task vector (after the flag): the true task, for Multi+HN
 */
import type { Env } from '../core.js';
import { loadMujoco } from '../mujoco/engine.js';
import { resolveOptions } from '../options.js';
import { register, type EnvOptions } from '../registry.js';
import { TimeLimit } from '../wrappers.js';
import { AntDirEnv, AntGoalEnv } from './ant.js';
import { BamdpWrapper } from './bamdp.js';
import { ANT_DIR, ANT_GOAL, HALF_CHEETAH_DIR, HALF_CHEETAH_VEL, HALF_CHEETAH_VEL_MEDIUM, NAVIGATION_2D, WALKER2D_RAND_PARAMS } from './families.js';
import { HalfCheetahDirEnv, HalfCheetahVelEnv, HalfCheetahVelMediumEnv } from './half-cheetah.js';
import { Navigation2DEnv } from './navigation.js';
import { distributionSampler, poolSampler, taskPool, type TaskEnv, type TaskFamily, type TaskSplit } from './task.js';
import { Walker2dRandParamsEnv } from './walker.js';

export * from './task.js';
export * from './families.js';
export { BamdpWrapper, type BamdpOptions } from './bamdp.js';
export { HalfCheetahTaskEnv, HalfCheetahDirEnv, HalfCheetahVelEnv, HalfCheetahVelMediumEnv, type HalfCheetahTaskOptions } from './half-cheetah.js';
export { AntDirEnv, AntGoalEnv, type AntDirOptions, type AntGoalOptions } from './ant.js';
export { Walker2dRandParamsEnv } from './walker.js';
export { Navigation2DEnv } from './navigation.js';

const TRIAL_DEFAULTS = {
  episodes_per_trial: 0,
  task_split: 'train',
  task_pool_size: 0,
  task_pool_seed: 0,
  episode_boundary_in_observation: false,
  task_in_observation: false,
};

interface MetaEnvSpec {
  family: TaskFamily<unknown>;
  create(options: EnvOptions): TaskEnv;
  /** Episode limit (the sources' max_episode_steps). */
  maxEpisodeSteps: number;
  mujoco: boolean;
}

const META_ENVS: MetaEnvSpec[] = [
  { family: HALF_CHEETAH_DIR, create: (o) => new HalfCheetahDirEnv(o), maxEpisodeSteps: 200, mujoco: true },
  { family: HALF_CHEETAH_VEL, create: (o) => new HalfCheetahVelEnv(o), maxEpisodeSteps: 200, mujoco: true },
  { family: HALF_CHEETAH_VEL_MEDIUM, create: (o) => new HalfCheetahVelMediumEnv(o), maxEpisodeSteps: 200, mujoco: true },
  { family: ANT_DIR, create: (o) => new AntDirEnv(o), maxEpisodeSteps: 200, mujoco: true },
  { family: ANT_GOAL, create: (o) => new AntGoalEnv(o), maxEpisodeSteps: 200, mujoco: true },
  { family: WALKER2D_RAND_PARAMS, create: (o) => new Walker2dRandParamsEnv(o), maxEpisodeSteps: 200, mujoco: true },
  { family: NAVIGATION_2D, create: (o) => new Navigation2DEnv(o as Record<string, never>), maxEpisodeSteps: 100, mujoco: false },
];

/** The task family of a registered meta env id (usable without loading MuJoCo), or an Error listing the ids. */
export function taskFamily(envId: string): TaskFamily<unknown> {
  const spec = META_ENVS.find((s) => s.family.envId === envId);
  if (spec === undefined) throw new Error(`'${envId}' is not a meta-RL env id; they are ${META_ENVS.map((s) => s.family.envId).join(', ')}`);
  return spec.family;
}

/** The env with its episode limit and, when `episodes_per_trial` ≥ 1, the trial wrapper outside it. */
function createMetaEnv(spec: MetaEnvSpec, options: EnvOptions, maxEpisodeSteps: number | undefined): Env {
  const { family } = spec;
  const trialKeys = Object.keys(TRIAL_DEFAULTS);
  const envOptions = Object.fromEntries(Object.entries(options).filter(([key]) => !trialKeys.includes(key)));
  const trial = resolveOptions(family.envId, TRIAL_DEFAULTS, Object.fromEntries(Object.entries(options).filter(([key]) => trialKeys.includes(key))));
  const { episodes_per_trial: k, task_split: split, task_pool_size: poolSize } = trial;
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`${family.envId}: episodes_per_trial must be a non-negative integer, got ${k}`);
  if (split !== 'train' && split !== 'test') throw new RangeError(`${family.envId}: task_split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  if (!Number.isInteger(poolSize) || poolSize < 0) throw new RangeError(`${family.envId}: task_pool_size must be a non-negative integer, got ${poolSize}`);
  const env = spec.create(envOptions);
  const limited = maxEpisodeSteps === undefined ? env : new TimeLimit(env, maxEpisodeSteps);
  if (k === 0) {
    const given = trialKeys.filter((key) => key !== 'episodes_per_trial' && key in options);
    if (given.length > 0) throw new RangeError(`${family.envId}: ${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only to trials; set episodes_per_trial ≥ 1`);
    return limited;
  }
  const sampleTask = poolSize === 0 ? distributionSampler(family, split as TaskSplit) : poolSampler(taskPool(family, split as TaskSplit, poolSize, trial.task_pool_seed));
  return new BamdpWrapper(limited, { episodesPerTrial: k, sampleTask, boundaryInObservation: trial.episode_boundary_in_observation, taskInObservation: trial.task_in_observation });
}

/** Registers the meta-RL envs; the MuJoCo ones load the WebAssembly engine on first use in a thread. */
export function registerMetaEnvs(): void {
  for (const spec of META_ENVS) {
    register(spec.family.envId, {
      create: (options, maxEpisodeSteps) => createMetaEnv(spec, options, maxEpisodeSteps),
      prepare: spec.mujoco ? async () => void (await loadMujoco()) : undefined,
      maxEpisodeSteps: spec.maxEpisodeSteps,
      appliesTimeLimit: true,
    });
  }
}
