/**
 * BamdpWrapper: the Bayes-adaptive MDP of meta-RL (VariBAD's `VariBadWrapper`, RL²'s trials).
 * One task is kept for k episodes, a "trial"; the agent sees where its episodes end.
 *
 * - `reset()` starts a trial: the task is the reset option `task` if given, otherwise a draw
 *   of the task sampler (by default the family's training distribution) from the wrapper's
 *   own generator, seeded by `reset({ seed })` on a stream separate from the env's.
 * - When an episode ends inside the trial (terminated or truncated, episode < k), the wrapper
 *   resets the env itself on the same task and returns the new episode's first observation,
 *   with terminated = truncated = false: the trial goes on. `info.episode_end` is true and
 *   `info.final_observation` holds the episode's last observation, `info.episode_terminated`
 *   whether it terminated.
 * - The k-th episode's end ends the trial with that episode's flags; the next reset (e.g. a
 *   vector env's autoreset) starts a trial on a new task.
 * - `boundaryInObservation` appends a flag to observations: 1 on the observation returned by
 *   a step that ended an episode, 0 otherwise (VariBAD's `add_done_info`, which it enables
 *   when a trial has more than one episode). It is how a vector env's learner sees the
 *   boundaries, since vector envs carry observations, rewards and flags but not `info`.
 * - `taskInObservation` appends, after that flag, the trial's task vector (the family's
 *   `taskVector` with its default scale, HypeRL's normalisation): the true task as an input,
 *   for Multi+HN, the upper bound of Beck et al. (spec B.3).
 *
 * The trial horizon is k × the episode limit; the wrapper sits outside the TimeLimit, which is
 * why the meta env registrations apply their limits themselves (registry `appliesTimeLimit`).
 */
import { Xoshiro128Rng } from '../../core/random.js';
import type { Action, Env, ResetArgs, ResetResult, StepResult } from '../core.js';
import { Box, type FloatArray } from '../spaces.js';
import { Wrapper } from '../wrappers.js';
import { distributionSampler, Stream, streamSeed, taskEnvOf, type TaskEnv, type TaskSampler } from './task.js';

export interface BamdpOptions<T> {
  /** Episodes per trial, k ≥ 1. */
  episodesPerTrial: number;
  /** Draws the task of each trial started without a `task` option (default: the family's training distribution). */
  sampleTask?: TaskSampler<T>;
  /** Append the episode-boundary flag to observations (default false). */
  boundaryInObservation?: boolean;
  /** Append the trial's task vector to observations, after the flag if any (default false). */
  taskInObservation?: boolean;
}

export class BamdpWrapper<T = unknown> extends Wrapper<Action, FloatArray> {
  readonly episodesPerTrial: number;
  readonly boundaryInObservation: boolean;
  readonly taskInObservation: boolean;
  /** The task env inside (through TimeLimit and other wrappers). */
  readonly taskEnv: TaskEnv<T>;
  private readonly sampleTask: TaskSampler<T>;
  private readonly taskRng = new Xoshiro128Rng();
  private readonly space: Box;
  /** The trial's task vector (taskInObservation). */
  private readonly taskVector: Float64Array;
  private readonly out: FloatArray;
  private readonly finalObservation: FloatArray;
  private readonly stepOut: StepResult<FloatArray>;
  private readonly resetOut: ResetResult<FloatArray>;
  private episode = 0;
  private trialOver = true;

  constructor(env: Env, options: BamdpOptions<T>) {
    super(env);
    const { episodesPerTrial, boundaryInObservation = false, taskInObservation = false } = options;
    if (!Number.isInteger(episodesPerTrial) || episodesPerTrial < 1) throw new RangeError(`BamdpWrapper(${env.id}): episodesPerTrial must be a positive integer, got ${episodesPerTrial}`);
    this.taskEnv = taskEnvOf(env) as TaskEnv<T>;
    this.episodesPerTrial = episodesPerTrial;
    this.boundaryInObservation = boundaryInObservation;
    this.taskInObservation = taskInObservation;
    this.sampleTask = options.sampleTask ?? distributionSampler(this.taskEnv.family);
    const inner = env.observationSpace;
    const taskDim = taskInObservation ? this.taskEnv.family.taskDim : 0;
    const low = [...inner.low, ...(boundaryInObservation ? [0] : []), ...new Array<number>(taskDim).fill(-Infinity)];
    const high = [...inner.high, ...(boundaryInObservation ? [1] : []), ...new Array<number>(taskDim).fill(Infinity)];
    this.space = low.length === inner.size ? inner : new Box(low, high, low.length, inner.dtype);
    this.taskVector = new Float64Array(taskDim);
    this.out = this.space.create();
    this.finalObservation = inner.create();
    this.stepOut = { obs: this.out, reward: 0, terminated: false, truncated: false, info: {} };
    this.resetOut = { obs: this.out, info: {} };
  }

  override get observationSpace(): Box {
    return this.space;
  }

  /** Index of the current episode within the trial (0 … k − 1). */
  get episodeInTrial(): number {
    return this.episode;
  }

  /** Starts a trial: on the option `task` if given, otherwise on a task from the sampler. */
  override reset(args: ResetArgs = {}): ResetResult<FloatArray> {
    if (args.seed !== undefined) this.taskRng.seed(streamSeed(args.seed, Stream.TrialTasks));
    // A `task` option reaches the task env through the reset, which validates it.
    if (args.options?.task === undefined) this.taskEnv.setTask(this.sampleTask(this.taskRng));
    const result = this.env.reset(args);
    if (this.taskInObservation) this.taskEnv.family.taskVector(this.taskEnv.task, undefined, this.taskVector);
    this.episode = 0;
    this.trialOver = false;
    this.writeObservation(result.obs, 0);
    const info = result.info;
    info.task = this.taskEnv.task;
    info.episode_in_trial = 0;
    this.resetOut.info = info;
    return this.resetOut;
  }

  override step(action: Action): StepResult<FloatArray> {
    if (this.trialOver) throw new Error(`${this.id}: the trial is over (or never started); call reset()`);
    const result = this.env.step(action);
    const out = this.stepOut;
    const info = result.info;
    out.reward = result.reward;
    out.info = info;
    out.terminated = false;
    out.truncated = false;
    info.episode_in_trial = this.episode;
    info.final_observation = undefined;
    info.episode_terminated = undefined;
    const ended = result.terminated || result.truncated;
    info.episode_end = ended;
    if (!ended) {
      this.writeObservation(result.obs, 0);
      return out;
    }
    this.episode++;
    if (this.episode < this.episodesPerTrial) {
      this.finalObservation.set(result.obs);
      info.final_observation = this.finalObservation;
      info.episode_terminated = result.terminated;
      this.writeObservation(this.env.reset().obs, 1);
      return out;
    }
    this.trialOver = true;
    this.writeObservation(result.obs, 1);
    out.terminated = result.terminated;
    out.truncated = result.truncated;
    return out;
  }

  private writeObservation(obs: FloatArray, boundary: number): void {
    this.out.set(obs);
    if (this.boundaryInObservation) this.out[obs.length] = boundary;
    if (this.taskInObservation) this.out.set(this.taskVector, obs.length + (this.boundaryInObservation ? 1 : 0));
  }
}
