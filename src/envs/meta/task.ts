/**
 * The meta-RL task API: a task family (a distribution over MDPs that differ only in a task
 * parameter), the envs that run one task at a time, fixed train/test task pools drawn from a
 * seed, and HypeRL's normalised task vector (`get_task_tensor`, spec A.5).
 *
 * Tasks are plain JSON-able objects (`{ direction: 1 }`, `{ velocity: 1.2 }`, `{ goal: [x, y] }`,
 * physics exponents), so they travel to AsyncVectorEnv workers as reset options
 * (`reset({ options: { task } })`, or `optionsPerEnv` for one task per env).
 *
 * Task vector (HypeRL's `get_task_tensor`, MAML/maml_rl/sampler.py and PEARL's env
 * `get_tensor`), with min and max pooled over the parameters of the sampled training tasks:
 *   velocity:  (v − min) / (max − min)
 *   direction: d / max                       (±1)
 *   goal:      2 (g − min) / (max − min) − 1  per coordinate, in [−1, 1]
 * `taskScale(trainTasks)` computes those statistics from a pool, as HypeRL does;
 * without one, `taskVector` uses the training distribution's bounds (the limit of the pooled
 * min and max as the pool grows), so vectors do not depend on which pool was drawn.
 * Out-of-distribution test tasks (HalfCheetah-Vel-Medium) map outside the training range,
 * e.g. velocity 3 → 1.2, as in HypeRL.
 */
import { Xoshiro128Rng } from '../../core/random.js';
import type { Env } from '../core.js';
import { Wrapper } from '../wrappers.js';

/** Which task distribution to draw from: they differ only for out-of-distribution families. */
export type TaskSplit = 'train' | 'test';

/** Statistics of HypeRL's task normalisation: min and max of the pooled task parameters. */
export interface TaskScale {
  readonly min: number;
  readonly max: number;
}

/** HypeRL's normalisation rules (see the module comment). */
export type TaskVectorRule = 'velocity' | 'direction' | 'goal';

export interface TaskFamily<T> {
  /** Name in docs and errors, e.g. `HalfCheetah-Vel`. */
  readonly name: string;
  /** The registered env id running this family, e.g. `HalfCheetahVel-v0`. */
  readonly envId: string;
  /** Length of the task vector. */
  readonly taskDim: number;
  /** The task of a new env, until one is set: the centre of the training distribution. */
  readonly defaultTask: T;
  /** Every task, for families with finitely many (the direction families); undefined otherwise. */
  readonly allTasks: readonly T[] | undefined;
  /** The scale `taskVector` uses by default: the bounds of the training distribution. */
  readonly defaultScale: TaskScale;
  /** `n` tasks drawn from the split's distribution with `rng`. */
  sampleTasks(n: number, rng: Xoshiro128Rng, split?: TaskSplit): T[];
  /** A validated copy of `task`, or an Error naming the family and the bad parameter. */
  checkTask(task: unknown): T;
  /** HypeRL's normalisation statistics of a pool of (training) tasks. */
  taskScale(tasks: readonly T[]): TaskScale;
  /** HypeRL's normalised task vector (length `taskDim`), written into `out` if given. */
  taskVector(task: T, scale?: TaskScale, out?: Float64Array): Float64Array;
}

/**
 * The shared half of every family: sampling loops, validation of n, HypeRL's pooled
 * statistics and the vector. A family supplies one-task sampling, validation and the
 * task's parameters in vector order.
 */
export abstract class TaskFamilyBase<T> implements TaskFamily<T> {
  abstract readonly defaultTask: T;
  readonly allTasks: readonly T[] | undefined = undefined;

  protected constructor(
    readonly name: string,
    readonly envId: string,
    readonly taskDim: number,
    readonly defaultScale: TaskScale,
    private readonly rule: TaskVectorRule,
  ) {}

  protected abstract sampleTask(rng: Xoshiro128Rng, split: TaskSplit): T;
  abstract checkTask(task: unknown): T;
  /** The task's parameters, in task-vector order. */
  protected abstract parameters(task: T): ArrayLike<number>;

  sampleTasks(n: number, rng: Xoshiro128Rng, split: TaskSplit = 'train'): T[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${this.name}: the number of tasks must be a non-negative integer, got ${n}`);
    if (split !== 'train' && split !== 'test') throw new RangeError(`${this.name}: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
    return Array.from({ length: n }, () => this.sampleTask(rng, split));
  }

  taskScale(tasks: readonly T[]): TaskScale {
    if (tasks.length === 0) throw new RangeError(`${this.name}: taskScale needs at least one task`);
    let min = Infinity;
    let max = -Infinity;
    for (const task of tasks) {
      const p = this.parameters(this.checkTask(task));
      for (let i = 0; i < p.length; i++) {
        min = Math.min(min, p[i]!);
        max = Math.max(max, p[i]!);
      }
    }
    if (this.rule !== 'direction' && !(max > min)) {
      throw new RangeError(`${this.name}: taskScale needs tasks whose parameters differ (all equal ${min}); HypeRL divides by max − min`);
    }
    return { min, max };
  }

  taskVector(task: T, scale: TaskScale = this.defaultScale, out = new Float64Array(this.taskDim)): Float64Array {
    if (out.length !== this.taskDim) throw new RangeError(`${this.name}: taskVector output has length ${out.length}, expected ${this.taskDim}`);
    const p = this.parameters(this.checkTask(task));
    const { min, max } = scale;
    for (let i = 0; i < p.length; i++) {
      const value = p[i]!;
      if (this.rule === 'velocity') out[i] = (value - min) / (max - min);
      else if (this.rule === 'direction') out[i] = value / max;
      else out[i] = ((value - min) * 2) / (max - min) - 1;
    }
    return out;
  }
}

/** An env running one task of a family at a time. */
export interface TaskEnv<T = unknown> extends Env {
  readonly family: TaskFamily<T>;
  /** The current task: the family's default until `setTask` or the reset option `task`. */
  readonly task: T;
  /**
   * Validate and switch to `task`; it applies from the next step and persists across resets.
   * Reset with `{ options: { task } }` switches and starts a fresh episode in one call.
   */
  setTask(task: T): void;
}

export function isTaskEnv(env: Env): env is TaskEnv {
  const candidate = env as Partial<TaskEnv>;
  return typeof candidate.setTask === 'function' && candidate.family !== undefined;
}

/** The task env inside `env` (through any wrappers), or an Error naming the env. */
export function taskEnvOf(env: Env): TaskEnv {
  const inner = env instanceof Wrapper ? env.unwrapped : env;
  if (!isTaskEnv(inner)) throw new TypeError(`${env.id} is not a meta-RL task env (no setTask); the task families are listed in docs/envs.md`);
  return inner;
}

/**
 * The reset options of a task env: applies and removes `task`, returning what is left for
 * the base env (undefined when nothing is).
 */
export function applyTaskOption<T>(env: TaskEnv<T>, options: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  const { task, ...rest } = options;
  if (task !== undefined) env.setTask(task as T);
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** Draws the task of a new trial (see BamdpWrapper). */
export type TaskSampler<T> = (rng: Xoshiro128Rng) => T;

/** Fresh draws from a split's distribution. */
export function distributionSampler<T>(family: TaskFamily<T>, split: TaskSplit = 'train'): TaskSampler<T> {
  return (rng) => family.sampleTasks(1, rng, split)[0]!;
}

/** Uniform draws from a fixed pool (e.g. `taskPool(...)`). */
export function poolSampler<T>(pool: readonly T[]): TaskSampler<T> {
  if (pool.length === 0) throw new RangeError('poolSampler: the task pool is empty');
  return (rng) => pool[rng.integer(pool.length)]!;
}

/** Independent generator streams derived from one seed. */
export const enum Stream {
  TrainTasks = 0,
  TestTasks = 1,
  /** The task draws of BamdpWrapper, separate from the env's own (reset noise) stream. */
  TrialTasks = 2,
}

/** A seed for stream `stream` of `seed`: 53 bits of a generator seeded with `seed`, after `stream` draws. */
export function streamSeed(seed: number, stream: Stream): number {
  const rng = new Xoshiro128Rng(seed);
  let derived = 0;
  for (let i = 0; i <= stream; i++) derived = Math.floor(rng.uniform() * 2 ** 53);
  return derived;
}

/**
 * A fixed pool of `size` tasks of a split, the same for the same seed (HypeRL's MAML draws
 * 100 training tasks once and evaluates on 20 unseen ones). The train and test pools of a
 * seed come from independent streams: for continuous families they are disjoint (for
 * HalfCheetah-Vel-Medium by construction, [0, 2.5) vs [2.5, 3]; otherwise with probability
 * 1 − O(size²·2⁻⁵³)); the direction families have two tasks, which both pools contain.
 */
export function taskPool<T>(family: TaskFamily<T>, split: TaskSplit, size: number, seed: number): T[] {
  return family.sampleTasks(size, new Xoshiro128Rng(streamSeed(seed, split === 'train' ? Stream.TrainTasks : Stream.TestTasks)), split);
}

export interface TaskSplits<T> {
  train: T[];
  test: T[];
  /** HypeRL's normalisation statistics of the training pool, for `taskVector`. */
  scale: TaskScale;
}

/** The training and test pools of a seed, and the training pool's scale. */
export function taskSplits<T>(family: TaskFamily<T>, sizes: { train: number; test: number }, seed: number): TaskSplits<T> {
  const train = taskPool(family, 'train', sizes.train, seed);
  return { train, test: taskPool(family, 'test', sizes.test, seed), scale: family.taskScale(train) };
}
