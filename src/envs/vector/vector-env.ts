/**
 * Vectorised envs: `numEnvs` copies of one env stepped together, with
 * results in flat typed arrays (row i belongs to env i) that are reused
 * between calls. Seeding follows Gymnasium: `reset({ seed })` seeds env i
 * with seed + i.
 */
import type { Box, Discrete, FloatArray } from '../spaces.js';

export interface VectorResetArgs {
  /** Env i is seeded with seed + i. */
  seed?: number;
  /** Reset options given to every env. */
  options?: Record<string, unknown>;
  /**
   * Reset options per env (length numEnvs; env i gets optionsPerEnv[i]), e.g. a different
   * meta-RL task for each env: `optionsPerEnv: tasks.map((task) => ({ task }))`. Not with `options`.
   */
  optionsPerEnv?: readonly Record<string, unknown>[];
}

export interface VectorResetResult {
  obs: FloatArray;
}

export interface VectorStepResult {
  obs: FloatArray;
  rewards: Float64Array;
  /** 1 where the env's episode terminated on this step. */
  terminations: Uint8Array;
  /** 1 where the env's episode was truncated on this step. */
  truncations: Uint8Array;
}

export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Box | Discrete;
  reset(args?: VectorResetArgs): VectorResetResult;
  /** `actions`: numEnvs × action size, row-major (Discrete: one number per env). */
  step(actions: ArrayLike<number>): VectorStepResult;
  close(): Promise<void>;
}

/** How vector envs build their members from the registry. */
export interface VectorEnvOptions {
  /** Options for `make` (env keyword options, `maxEpisodeSteps`). */
  envOptions?: Record<string, unknown>;
  /** Wrap each env in Float32Observation (float32 observation slab). */
  float32Observations?: boolean;
}
