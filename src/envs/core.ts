/**
 * The environment API, with Gymnasium 1.x semantics:
 * `reset({ seed, options }) → { obs, info }`, `step(action) → { obs, reward, terminated, truncated, info }`.
 *
 * Stepping allocates nothing: `obs` is a buffer owned by the env and the result
 * object is reused, so both are valid until the next `step`/`reset` of that env.
 * Copy what you keep (`obs.slice()`).
 */
import { describeValue, firstNonFinite, isFiniteFloat32, NonFiniteError } from '../core/non-finite.js';
import { Xoshiro128Rng } from '../core/random.js';
import type { Box, Discrete, FloatArray } from './spaces.js';

export type Info = Record<string, unknown>;
export type BoxAction = ArrayLike<number>;
export type Action = BoxAction | number;

export interface ResetArgs {
  /** Reseed the env's generator; without it the stream continues (or starts from a random seed). */
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<O extends FloatArray = FloatArray> {
  obs: O;
  info: Info;
}

export interface StepResult<O extends FloatArray = FloatArray> {
  obs: O;
  reward: number;
  /** The task ended (a terminal state of the MDP). */
  terminated: boolean;
  /** The episode was cut short (time limit); the state is not terminal. */
  truncated: boolean;
  info: Info;
}

export interface Env<A extends Action = Action, O extends FloatArray = FloatArray> {
  /** Registered id (e.g. `HalfCheetah-v5`), used in error messages. */
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  reset(args?: ResetArgs): ResetResult<O>;
  step(action: A): StepResult<O>;
  close(): void;
}

/**
 * Shared plumbing for concrete envs: the seeded generator, the reused result
 * objects and the reset-before-step check.
 */
export abstract class BaseEnv<A extends Action, O extends FloatArray> implements Env<A, O> {
  abstract readonly observationSpace: Box;
  abstract readonly actionSpace: Box | Discrete;
  /** The env's generator; seeded by `reset({ seed })`. */
  readonly rng = new Xoshiro128Rng();
  protected readonly stepResult: StepResult<O>;
  protected readonly resetResult: ResetResult<O>;
  private needsReset = true;

  protected constructor(readonly id: string, readonly obs: O) {
    this.stepResult = { obs, reward: 0, terminated: false, truncated: false, info: {} };
    this.resetResult = { obs, info: {} };
  }

  reset(args: ResetArgs = {}): ResetResult<O> {
    if (args.seed !== undefined) this.rng.seed(args.seed);
    this.needsReset = false;
    this.resetEnv(args.options);
    return this.resetResult;
  }

  step(action: A): StepResult<O> {
    if (this.needsReset) throw new Error(`${this.id}: call reset() before step()`);
    this.stepEnv(action);
    return this.stepResult;
  }

  close(): void {}

  /** Sample a new initial state and write the observation (and reset info). */
  protected abstract resetEnv(options: Record<string, unknown> | undefined): void;
  /** Advance one step and fill `stepResult`. */
  protected abstract stepEnv(action: A): void;
}

/** Throws an Error naming the env when `action` is not a finite vector of length `dim`. */
export function checkBoxAction(envId: string, action: unknown, dim: number): asserts action is BoxAction {
  if (typeof action !== 'object' || action === null || typeof (action as BoxAction).length !== 'number') {
    throw new TypeError(`${envId}: action must be an array of ${dim} numbers, got ${typeof action}`);
  }
  const a = action as BoxAction;
  if (a.length !== dim) throw new RangeError(`${envId}: action has length ${a.length}, expected ${dim}`);
  for (let i = 0; i < dim; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${envId}: action[${i}] is ${v}; actions must be finite numbers`);
  }
}

/**
 * Throws a NonFiniteError when an env's observation (or reward, unless null) is not a finite
 * float32, naming the env, the field, and where: `context` (training, evaluation, vector env
 * index i, …), the episode and the step within it (0: the observation of the reset). Called by
 * everything that consumes env outputs, so a faulty env (a user's own included) stops at the door.
 */
export function checkEnvOutput(envId: string, context: string, episode: number, step: number, obs: ArrayLike<number>, reward: number | null): void {
  const i = firstNonFinite(obs);
  const bad = i >= 0 ? `observation[${i}] is ${describeValue(obs[i]!)}` : reward !== null && !isFiniteFloat32(reward) ? `reward is ${describeValue(reward)}` : null;
  if (bad === null) return;
  const at = step === 0 ? `the reset of ${context} episode ${episode}` : `step ${step} of ${context} episode ${episode}`;
  throw new NonFiniteError(`${envId}: ${bad} at ${at}; an env must return finite float32 observations and rewards`);
}
