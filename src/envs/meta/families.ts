/**
 * The task families: task types, distributions, validation and task vectors. No physics
 * here (the envs are in half-cheetah.ts, ant.ts, walker.ts, navigation.ts), so a main
 * thread can sample and normalise tasks without loading MuJoCo.
 *
 * Distributions, from the reference code:
 *   HalfCheetah-Dir, Ant-Dir  d ∈ {−1, +1} with probability ½ each (VariBAD random.choice; MAML binomial)
 *   HalfCheetah-Vel           v ~ U[0, 3] (pytorch-maml-rl / HypeRL MAML, rlkit PEARL cheetah-vel)
 *   HalfCheetah-Vel-Medium    train v ~ U[0, 2.5], test v ~ U[2.5, 3] (HypeRL, from Fakoor et al. 2019)
 *   Ant-Goal                  goal = r (cos a, sin a), a ~ U[0, 2π), r = 3 √U[0, 1): uniform on the
 *                             disk of radius 3 (VariBAD ant_goal.py, rlkit ant_goal.py)
 *   Walker2d-Rand-Params      every entry of body_mass, body_inertia, dof_damping, geom_friction
 *                             multiplied by base^u, u ~ U[−3, 3] (log_scale_limit 3), bases 1.5,
 *                             1.5, 1.3, 1.5 (rand_param_envs base.py; VariBAD's copy)
 *   2D-Navigation             goal ~ U[−0.5, 0.5]² (pytorch-maml-rl navigation.py)
 */
import type { Xoshiro128Rng } from '../../core/random.js';
import { TaskFamilyBase, type TaskSplit } from './task.js';

export interface DirectionTask {
  /** +1 forward, −1 backward (see ant.ts for Ant-Dir's radian option). */
  direction: 1 | -1;
}

export interface VelocityTask {
  /** Target forward velocity. */
  velocity: number;
}

export interface GoalTask {
  /** Target (x, y) position. */
  goal: [number, number];
}

/** The model parameters Walker2d-Rand-Params randomises, in rand_param_envs' order. */
export const RAND_PARAMS = ['body_mass', 'body_inertia', 'dof_damping', 'geom_friction'] as const;
export type RandParam = (typeof RAND_PARAMS)[number];

/**
 * Exponents u, one per entry of each MuJoCo model array: the entry becomes its nominal value
 * × base^u (`RAND_PARAM_BASES`). The zero exponents are the nominal model.
 */
export type RandParamsTask = Record<RandParam, number[]>;

/** rand_param_envs' multiplier bases (damping varies less). */
export const RAND_PARAM_BASES: Readonly<Record<RandParam, number>> = { body_mass: 1.5, body_inertia: 1.5, dof_damping: 1.3, geom_friction: 1.5 };

/** rand_param_envs' `log_scale_limit`: exponents are U[−3, 3]. */
export const LOG_SCALE_LIMIT = 3;

/** The task as a plain object with exactly `keys`, or an Error showing the expected shape. */
function taskFields(family: string, task: unknown, keys: readonly string[], shape: string): Record<string, unknown> {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) throw new TypeError(`${family}: a task is ${shape}, got ${JSON.stringify(task)}`);
  const fields = task as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!keys.includes(key)) throw new RangeError(`${family}: unknown task parameter '${key}'; a task is ${shape}`);
  }
  for (const key of keys) if (fields[key] === undefined) throw new RangeError(`${family}: task.${key} is missing; a task is ${shape}`);
  return fields;
}

/** A finite number in [low, high], or an Error naming the family and parameter. */
function numberIn(family: string, name: string, value: unknown, low: number, high: number): number {
  if (typeof value !== 'number' || !(value >= low && value <= high)) {
    throw new RangeError(`${family}: task.${name} must be a finite number in [${low}, ${high}], got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

/** A copy of an array of `length` numbers in [low, high], or an Error naming the entry. */
function numbersIn(family: string, name: string, value: unknown, length: number, low: number, high: number): number[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw new RangeError(`${family}: task.${name} must be an array of ${length} numbers, got ${Array.isArray(value) ? `length ${value.length}` : JSON.stringify(value)}`);
  }
  return value.map((v, i) => numberIn(family, `${name}[${i}]`, v, low, high));
}

/** Forward/backward tasks: HalfCheetah-Dir, Ant-Dir. */
export class DirectionFamily extends TaskFamilyBase<DirectionTask> {
  readonly defaultTask: DirectionTask = { direction: 1 };
  override readonly allTasks: readonly DirectionTask[] = [{ direction: 1 }, { direction: -1 }];

  constructor(name: string, envId: string) {
    super(name, envId, 1, { min: -1, max: 1 }, 'direction');
  }

  protected sampleTask(rng: Xoshiro128Rng): DirectionTask {
    return { direction: rng.integer(2) === 0 ? -1 : 1 };
  }

  checkTask(task: unknown): DirectionTask {
    const { direction } = taskFields(this.name, task, ['direction'], '{ direction: 1 | -1 }');
    if (direction !== 1 && direction !== -1) throw new RangeError(`${this.name}: task.direction must be 1 or -1, got ${JSON.stringify(direction)}`);
    return { direction };
  }

  protected parameters(task: DirectionTask): number[] {
    return [task.direction];
  }
}

/** Target-velocity tasks; the test range differs from the training range for Vel-Medium. */
export class VelocityFamily extends TaskFamilyBase<VelocityTask> {
  readonly defaultTask: VelocityTask;
  private readonly low: number;
  private readonly high: number;

  constructor(
    name: string,
    envId: string,
    private readonly train: readonly [number, number],
    private readonly test: readonly [number, number],
  ) {
    super(name, envId, 1, { min: train[0], max: train[1] }, 'velocity');
    this.defaultTask = { velocity: (train[0] + train[1]) / 2 };
    this.low = Math.min(train[0], test[0]);
    this.high = Math.max(train[1], test[1]);
  }

  protected sampleTask(rng: Xoshiro128Rng, split: TaskSplit): VelocityTask {
    const [low, high] = split === 'train' ? this.train : this.test;
    return { velocity: rng.uniform(low, high) };
  }

  checkTask(task: unknown): VelocityTask {
    const { velocity } = taskFields(this.name, task, ['velocity'], '{ velocity: number }');
    return { velocity: numberIn(this.name, 'velocity', velocity, this.low, this.high) };
  }

  protected parameters(task: VelocityTask): number[] {
    return [task.velocity];
  }
}

/** Goal positions, uniform on a square [−extent, extent]² or a disk of radius extent. */
export class GoalFamily extends TaskFamilyBase<GoalTask> {
  readonly defaultTask: GoalTask = { goal: [0, 0] };

  constructor(
    name: string,
    envId: string,
    private readonly region: 'square' | 'disk',
    private readonly extent: number,
  ) {
    super(name, envId, 2, { min: -extent, max: extent }, 'goal');
  }

  protected sampleTask(rng: Xoshiro128Rng): GoalTask {
    if (this.region === 'square') return { goal: [rng.uniform(-this.extent, this.extent), rng.uniform(-this.extent, this.extent)] };
    const angle = rng.uniform() * 2 * Math.PI;
    const radius = this.extent * Math.sqrt(rng.uniform());
    return { goal: [radius * Math.cos(angle), radius * Math.sin(angle)] };
  }

  checkTask(task: unknown): GoalTask {
    const { goal } = taskFields(this.name, task, ['goal'], '{ goal: [x, y] }');
    const [x, y] = numbersIn(this.name, 'goal', goal, 2, -this.extent, this.extent) as [number, number];
    if (this.region === 'disk' && Math.hypot(x, y) > this.extent) {
      throw new RangeError(`${this.name}: task.goal ${JSON.stringify(goal)} is ${Math.hypot(x, y)} from the origin, outside the disk of radius ${this.extent}`);
    }
    return { goal: [x, y] };
  }

  protected parameters(task: GoalTask): number[] {
    return task.goal;
  }
}

/** Random physical parameters (rand_param_envs): one exponent per model-array entry. */
export class RandParamsFamily extends TaskFamilyBase<RandParamsTask> {
  readonly defaultTask: RandParamsTask;

  /** @param sizes the lengths of the model arrays (nbody, 3·nbody, nv, 3·ngeom). */
  constructor(
    name: string,
    envId: string,
    readonly sizes: Readonly<Record<RandParam, number>>,
  ) {
    super(name, envId, RAND_PARAMS.reduce((n, p) => n + sizes[p], 0), { min: -LOG_SCALE_LIMIT, max: LOG_SCALE_LIMIT }, 'goal');
    this.defaultTask = this.build((p) => new Array<number>(sizes[p]).fill(0));
  }

  protected sampleTask(rng: Xoshiro128Rng): RandParamsTask {
    return this.build((p) => Array.from({ length: this.sizes[p] }, () => rng.uniform(-LOG_SCALE_LIMIT, LOG_SCALE_LIMIT)));
  }

  checkTask(task: unknown): RandParamsTask {
    const shape = `{ ${RAND_PARAMS.map((p) => `${p}: ${this.sizes[p]} exponents in [${-LOG_SCALE_LIMIT}, ${LOG_SCALE_LIMIT}]`).join(', ')} }`;
    const fields = taskFields(this.name, task, RAND_PARAMS, shape);
    return this.build((p) => numbersIn(this.name, p, fields[p], this.sizes[p], -LOG_SCALE_LIMIT, LOG_SCALE_LIMIT));
  }

  protected parameters(task: RandParamsTask): number[] {
    return RAND_PARAMS.flatMap((p) => task[p]);
  }

  /** A task with the arrays `exponents` gives, built in rand_param_envs' parameter order. */
  private build(exponents: (param: RandParam) => number[]): RandParamsTask {
    const task = {} as RandParamsTask;
    for (const p of RAND_PARAMS) task[p] = exponents(p);
    return task;
  }
}

export const HALF_CHEETAH_DIR = new DirectionFamily('HalfCheetah-Dir', 'HalfCheetahDir-v0');
export const HALF_CHEETAH_VEL = new VelocityFamily('HalfCheetah-Vel', 'HalfCheetahVel-v0', [0, 3], [0, 3]);
export const HALF_CHEETAH_VEL_MEDIUM = new VelocityFamily('HalfCheetah-Vel-Medium', 'HalfCheetahVelMedium-v0', [0, 2.5], [2.5, 3]);
export const ANT_DIR = new DirectionFamily('Ant-Dir', 'AntDir-v0');
export const ANT_GOAL = new GoalFamily('Ant-Goal', 'AntGoal-v0', 'disk', 3);
/** Sizes of src/envs/mujoco/assets/walker2d.xml: 8 bodies (with the world), 9 dofs, 8 geoms. */
export const WALKER2D_RAND_PARAMS = new RandParamsFamily('Walker2d-Rand-Params', 'Walker2dRandParams-v0', { body_mass: 8, body_inertia: 24, dof_damping: 9, geom_friction: 24 });
export const NAVIGATION_2D = new GoalFamily('2D-Navigation', 'Navigation2D-v0', 'square', 0.5);
