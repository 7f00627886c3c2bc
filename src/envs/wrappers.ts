/**
 * Gymnasium's standard wrappers. Like the envs, they allocate nothing per step:
 * transformed actions and observations go into buffers owned by the wrapper.
 */
import type { Action, BoxAction, Env, ResetArgs, ResetResult, StepResult } from './core.js';
import { Box, type Discrete, type FloatArray } from './spaces.js';
import { RewardNormalizer, type RewardNormalizerState } from '../core/reward-normalizer.js';
import { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';

export type { RewardNormalizerState, RunningMeanStdState };

/** Forwards everything to the wrapped env; subclasses override what they change. */
export class Wrapper<A extends Action = Action, O extends FloatArray = FloatArray> implements Env<A, O> {
  constructor(readonly env: Env<A, O>) {}

  get id(): string {
    return this.env.id;
  }
  get observationSpace(): Box {
    return this.env.observationSpace;
  }
  get actionSpace(): Box | Discrete {
    return this.env.actionSpace;
  }
  reset(args?: ResetArgs): ResetResult<O> {
    return this.env.reset(args);
  }
  step(action: A): StepResult<O> {
    return this.env.step(action);
  }
  close(): void {
    this.env.close();
  }
  /** The innermost env. */
  get unwrapped(): Env {
    let env: Env = this.env as Env;
    while (env instanceof Wrapper) env = env.env as Env;
    return env;
  }
}

/** Sets `truncated` once `maxEpisodeSteps` steps have been taken since the last reset. */
export class TimeLimit<A extends Action = Action, O extends FloatArray = FloatArray> extends Wrapper<A, O> {
  private elapsed = 0;

  constructor(env: Env<A, O>, readonly maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) throw new RangeError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
  }

  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    this.elapsed = 0;
    return this.env.reset(args);
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }
}

function boxActionSpace(env: Env, wrapper: string): Box {
  if (!(env.actionSpace instanceof Box)) throw new TypeError(`${wrapper}: ${env.id} has a ${env.actionSpace.constructor.name} action space; a Box is required`);
  return env.actionSpace;
}

/** Clips actions to the env's action bounds; the wrapper accepts any real vector. */
export class ClipAction<O extends FloatArray = FloatArray> extends Wrapper<BoxAction, O> {
  private readonly inner: Box;
  private readonly clipped: Float64Array;
  private readonly space: Box;

  constructor(env: Env<BoxAction, O>) {
    super(env);
    this.inner = boxActionSpace(env as Env, 'ClipAction');
    this.clipped = new Float64Array(this.inner.size);
    this.space = new Box(-Infinity, Infinity, this.inner.size, this.inner.dtype);
  }

  override get actionSpace(): Box {
    return this.space;
  }

  override step(action: BoxAction): StepResult<O> {
    const { low, high } = this.inner;
    // Length and NaN checks stay with the env, which names the problem.
    if (action.length !== this.clipped.length) return this.env.step(action);
    for (let i = 0; i < this.clipped.length; i++) this.clipped[i] = Math.min(Math.max(action[i]!, low[i]!), high[i]!);
    return this.env.step(this.clipped);
  }
}

/** Affinely maps actions from [min, max] (default [−1, 1]) onto the env's bounded action box. */
export class RescaleAction<O extends FloatArray = FloatArray> extends Wrapper<BoxAction, O> {
  private readonly inner: Box;
  private readonly space: Box;
  private readonly rescaled: Float64Array;

  constructor(env: Env<BoxAction, O>, min: number | ArrayLike<number> = -1, max: number | ArrayLike<number> = 1) {
    super(env);
    this.inner = boxActionSpace(env as Env, 'RescaleAction');
    if (!this.inner.bounded) throw new RangeError(`RescaleAction: ${env.id} has an unbounded action space`);
    this.space = new Box(min, max, this.inner.size, this.inner.dtype);
    this.rescaled = new Float64Array(this.inner.size);
  }

  override get actionSpace(): Box {
    return this.space;
  }

  override step(action: BoxAction): StepResult<O> {
    if (action.length !== this.rescaled.length) return this.env.step(action);
    const { low, high } = this.inner;
    for (let i = 0; i < this.rescaled.length; i++) {
      const lo = this.space.low[i]!;
      const fraction = (action[i]! - lo) / (this.space.high[i]! - lo);
      this.rescaled[i] = low[i]! + (high[i]! - low[i]!) * fraction;
    }
    return this.env.step(this.rescaled);
  }
}

/**
 * A wrapper that transforms every observation (Gymnasium's ObservationWrapper): reset and
 * step are written once here; a subclass writes the transformed observation of the inner
 * env into its preallocated output.
 */
export abstract class ObservationWrapper<A extends Action = Action, O extends FloatArray = FloatArray> extends Wrapper<A, O> {
  private readonly stepOut: StepResult<O>;
  private readonly resetOut: ResetResult<O>;

  protected constructor(env: Env<A, FloatArray>, protected readonly out: O, private readonly space: Box) {
    // The inner env observes some FloatArray; what this wrapper returns is `out`, an O.
    super(env as unknown as Env<A, O>);
    this.stepOut = { obs: out, reward: 0, terminated: false, truncated: false, info: {} };
    this.resetOut = { obs: out, info: {} };
  }

  /** Write the transform of the inner env's observation into `this.out`. */
  protected abstract observation(obs: FloatArray): void;

  override get observationSpace(): Box {
    return this.space;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const result = this.env.reset(args);
    this.observation(result.obs);
    this.resetOut.info = result.info;
    return this.resetOut;
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.observation(result.obs);
    const out = this.stepOut;
    out.reward = result.reward;
    out.terminated = result.terminated;
    out.truncated = result.truncated;
    out.info = result.info;
    return out;
  }
}

/**
 * Observations as float32 (MuJoCo tasks observe float64, Gymnasium's dtype, which
 * the fidelity tests need; learners usually want float32). Writes into one
 * preallocated Float32Array; vector envs built on it get float32 slabs.
 */
export class Float32Observation<A extends Action = Action> extends ObservationWrapper<A, Float32Array> {
  constructor(env: Env<A, FloatArray>) {
    const inner = env.observationSpace;
    super(env, new Float32Array(inner.size), new Box(inner.low, inner.high, inner.size, 'float32'));
  }

  protected observation(obs: FloatArray): void {
    this.out.set(obs);
  }
}

/**
 * Normalises observations with a running mean and variance (Chan et al.'s
 * parallel update, initial count 1e-4 as in Gymnasium):
 * `(obs − mean) / sqrt(var + epsilon)`.
 */
export class NormalizeObservation<A extends Action = Action> extends ObservationWrapper<A, FloatArray> {
  /** Set false to freeze the statistics (e.g. for evaluation). */
  updateStatistics = true;
  private readonly stats: RunningMeanStd;

  constructor(env: Env<A, FloatArray>, readonly epsilon = 1e-8) {
    const n = env.observationSpace.size;
    super(env, env.observationSpace.create(), new Box(-Infinity, Infinity, n, env.observationSpace.dtype));
    this.stats = new RunningMeanStd(n, epsilon);
  }

  getState(): RunningMeanStdState {
    return this.stats.getState();
  }

  setState(state: RunningMeanStdState): void {
    this.stats.setState(state);
  }

  protected observation(obs: FloatArray): void {
    if (this.updateStatistics) this.stats.update(obs);
    this.stats.normalize(obs, 0, this.out, 0);
  }
}

/**
 * Scales rewards by the running standard deviation of a discounted return (Gymnasium's
 * NormalizeReward; see core/reward-normalizer.ts): r / √(Var[G] + ε) with
 * G ← γ·(1 − terminated)·G + r, optionally clipped (CleanRL clips to ±10). Rewards are not
 * centred. The statistics come and go with getState()/setState().
 */
export class NormalizeReward<A extends Action = Action, O extends FloatArray = FloatArray> extends Wrapper<A, O> {
  private readonly normalizer: RewardNormalizer;
  private readonly reward = new Float64Array(1);
  private readonly terminated = new Uint8Array(1);

  constructor(env: Env<A, O>, gamma = 0.99, epsilon = 1e-8, clip = Infinity) {
    super(env);
    this.normalizer = new RewardNormalizer(1, gamma, epsilon, clip);
  }

  /** Set false to freeze the statistics (e.g. for evaluation). */
  get updateStatistics(): boolean {
    return this.normalizer.updateStatistics;
  }
  set updateStatistics(on: boolean) {
    this.normalizer.updateStatistics = on;
  }

  getState(): RewardNormalizerState {
    return this.normalizer.getState();
  }

  setState(state: RewardNormalizerState): void {
    this.normalizer.setState(state);
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.reward[0] = result.reward;
    this.terminated[0] = result.terminated ? 1 : 0;
    this.normalizer.normalize(this.reward, this.terminated, this.reward);
    result.reward = this.reward[0]!;
    return result;
  }
}

/** Episode statistics reported at the end of each episode. */
export interface EpisodeStatistics {
  /** Undiscounted return. */
  r: number;
  /** Length in steps. */
  l: number;
  /** Wall time of the episode in seconds. */
  t: number;
}

/**
 * Tracks return and length; when an episode ends, `info.episode` holds its
 * statistics (one reused object, so copy it to keep it), otherwise it is undefined.
 */
export class RecordEpisodeStatistics<A extends Action = Action, O extends FloatArray = FloatArray> extends Wrapper<A, O> {
  private episodeReturn = 0;
  private episodeLength = 0;
  private startTime = 0;
  private readonly stats: EpisodeStatistics = { r: 0, l: 0, t: 0 };

  override reset(args?: ResetArgs): ResetResult<O> {
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.startTime = performance.now();
    return this.env.reset(args);
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength++;
    if (result.terminated || result.truncated) {
      this.stats.r = this.episodeReturn;
      this.stats.l = this.episodeLength;
      this.stats.t = (performance.now() - this.startTime) / 1000;
      result.info.episode = this.stats;
    } else {
      result.info.episode = undefined;
    }
    return result;
  }
}
