/**
 * The per-env half of a vector step, shared by SyncVectorEnv and the
 * AsyncVectorEnv workers so both produce bit-identical results: Gymnasium
 * 1.x "next-step" autoreset (an env that ended on the previous step is reset
 * instead of stepped, reporting its reset observation, reward 0 and no flags),
 * results written into flat slabs.
 */
import { NonFiniteError } from '../../core/non-finite.js';
import { checkEnvOutput, type Env } from '../core.js';
import { Discrete, type FloatArray } from '../spaces.js';
import type { VectorResetArgs } from './vector-env.js';

export interface Slabs {
  /** numEnvs × obsSize observations. */
  obs: FloatArray;
  /** numEnvs × actionSize actions (Discrete: one number per env). */
  actions: Float64Array;
  rewards: Float64Array;
  terminations: Uint8Array;
  truncations: Uint8Array;
}

export class EnvSlot {
  /** The env ended on the previous step and is reset on the next one. */
  private needsAutoreset = false;
  private readonly obs: FloatArray;
  private readonly action: Float64Array;
  private readonly discrete: boolean;
  /** Vector steps since the last vector reset, for error messages. */
  steps = 0;
  /** Episodes this env began since the last vector reset (0: the first) and steps into the current one, for error messages. */
  private episode = 0;
  private episodeStep = 0;
  private readonly context: string;

  constructor(readonly env: Env, readonly index: number, private readonly slabs: Slabs, obsSize: number, actionSize: number) {
    this.obs = slabs.obs.subarray(index * obsSize, (index + 1) * obsSize);
    this.action = slabs.actions.subarray(index * actionSize, (index + 1) * actionSize);
    this.discrete = env.actionSpace instanceof Discrete;
    this.context = `vector env index ${index}`;
  }

  reset(seed: number | undefined, options: Record<string, unknown> | undefined): void {
    const args: { seed?: number; options?: Record<string, unknown> } = {};
    if (seed !== undefined) args.seed = seed + this.index;
    if (options !== undefined) args.options = options;
    this.steps = 0;
    this.episode = 0;
    this.startEpisode(this.env.reset(args).obs);
  }

  step(): void {
    this.steps++;
    if (this.needsAutoreset) {
      this.episode++;
      this.startEpisode(this.env.reset().obs);
      return;
    }
    const result = this.discrete ? this.env.step(this.action[0]!) : this.env.step(this.action);
    checkEnvOutput(this.env.id, this.context, this.episode, ++this.episodeStep, result.obs, result.reward);
    this.obs.set(result.obs);
    this.slabs.rewards[this.index] = result.reward;
    this.slabs.terminations[this.index] = result.terminated ? 1 : 0;
    this.slabs.truncations[this.index] = result.truncated ? 1 : 0;
    this.needsAutoreset = result.terminated || result.truncated;
  }

  private startEpisode(obs: FloatArray): void {
    this.episodeStep = 0;
    checkEnvOutput(this.env.id, this.context, this.episode, 0, obs, null);
    this.obs.set(obs);
    this.clearStepOutputs();
    this.needsAutoreset = false;
  }

  private clearStepOutputs(): void {
    this.slabs.rewards[this.index] = 0;
    this.slabs.terminations[this.index] = 0;
    this.slabs.truncations[this.index] = 0;
  }
}

/** The reset options of env `index`: the shared options, or its entry of `optionsPerEnv`. */
export function resetOptionsOf(args: VectorResetArgs, index: number): Record<string, unknown> | undefined {
  return args.optionsPerEnv === undefined ? args.options : args.optionsPerEnv[index];
}

/** Throws an error naming the vector env when `optionsPerEnv` is malformed or combined with `options`. */
export function checkResetArgs(owner: string, args: VectorResetArgs, numEnvs: number): void {
  const perEnv = args.optionsPerEnv;
  if (perEnv === undefined) return;
  if (args.options !== undefined) throw new RangeError(`${owner}: reset takes options or optionsPerEnv, not both`);
  if (!Array.isArray(perEnv) || perEnv.length !== numEnvs) {
    throw new RangeError(`${owner}: optionsPerEnv must be an array of ${numEnvs} option objects (one per env), got ${Array.isArray(perEnv) ? `length ${perEnv.length}` : typeof perEnv}`);
  }
  perEnv.forEach((options, i) => {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError(`${owner}: optionsPerEnv[${i}] must be an options object, got ${JSON.stringify(options)}`);
  });
}

/** Context for errors thrown by an env inside a vector env. */
export function describeFailure(envId: string, index: number, phase: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${envId} (vector env index ${index}) failed during ${phase}: ${message}`;
}

/** The error a vector env throws for an env's failure: a NonFiniteError stays one (a run that stops on bad numbers says so in its exit status). */
export function vectorFailure(message: string, nonFinite: boolean, cause?: unknown): Error {
  return nonFinite ? new NonFiniteError(message, { cause }) : new Error(message, { cause });
}
