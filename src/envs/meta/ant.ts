/**
 * Ant-Dir and Ant-Goal on the Ant-v5 model (Ant-v5's options, other defaults).
 *
 * Ant-Dir (VariBAD environments/mujoco/ant_dir.py; the settings of its AntEnv):
 *   r = v · u(d) + 1 − 0.5 Σ a² − 5e-4 Σ clip(cfrc_ext, −1, 1)²
 *   v = the torso's (x, y) velocity over the step (body position `xpos` before and after, / dt),
 *   u(d) = (d, 0): forward (d = +1) or backward (d = −1) along x.
 *   Terminates when the torso height leaves [0.2, 1]. Observation (27): qpos[2:], qvel.
 *   Quirk of the reference code (`direction_in_radians: true`): VariBAD, HypeRL's MAML and
 *   PEARL forks (and rllab's AntDir they copy) use u(d) = (cos d, sin d) with d = ±1 read
 *   as radians, i.e. directions ±57.3° from the x axis, not forward/backward.
 *   HypeRL's forks also use a control cost 0.005 Σ a² and survive reward 0.05
 *   (`ctrl_cost_weight: 0.005, healthy_reward: 0.05`).
 *
 * Ant-Goal (VariBAD environments/mujoco/ant_goal.py, rlkit (PEARL) ant_goal.py):
 *   r = −(|x − g_x| + |y − g_y|) − 0.1 Σ a² − 5e-4 Σ clip(cfrc_ext, −1, 1)²
 *   (x, y) = the torso position after the step. Never terminates, no survive reward.
 *   Observation (107): qpos (the agent needs its position), qvel, clipped contact forces.
 *
 * Both: 200 steps per episode; frame skip 5; reset qpos0 + U(±0.1), qvel 0.1·N(0, 1).
 * Differences from the sources, from building on Ant-v5: Gymnasium's v5 asset (rllab's and
 * gym's older ant.xml differ in details), MuJoCo 3, the contact cost over the 13 non-world
 * bodies (the world's forces are zero), and no survive reward on the step that terminates
 * (VariBAD pays it on that step too).
 */
import { AntEnv, ANT_DEFAULTS, type AntOptions } from '../mujoco/ant.js';
import type { DataViews } from '../mujoco/mujoco-env.js';
import { resolveOptions } from '../options.js';
import { ANT_DIR, ANT_GOAL, type DirectionTask, type GoalTask } from './families.js';
import { applyTaskOption, type TaskEnv, type TaskFamily } from './task.js';

// The task replaces Ant-v5's forward reward, so its weight is not an option here.
const { forward_reward_weight: _forwardWeight, ...ANT_TASK_DEFAULTS } = ANT_DEFAULTS;

const ANT_DIR_DEFAULTS = { ...ANT_TASK_DEFAULTS, include_cfrc_ext_in_observation: false, direction_in_radians: false };
export type AntDirOptions = Partial<typeof ANT_DIR_DEFAULTS>;

const ANT_GOAL_DEFAULTS = { ...ANT_TASK_DEFAULTS, ctrl_cost_weight: 0.1, healthy_reward: 0, terminate_when_unhealthy: false, exclude_current_positions_from_observation: false };
export type AntGoalOptions = Partial<typeof ANT_GOAL_DEFAULTS>;

abstract class AntTaskEnv<T> extends AntEnv implements TaskEnv<T> {
  private current: T;

  protected constructor(
    readonly family: TaskFamily<T>,
    options: AntOptions,
  ) {
    super(options, family.envId);
    this.current = family.defaultTask;
  }

  get task(): T {
    return this.current;
  }

  setTask(task: T): void {
    this.current = this.family.checkTask(task);
  }

  protected override resetEnv(options: Record<string, unknown> | undefined): void {
    super.resetEnv(applyTaskOption(this, options));
  }
}

export class AntDirEnv extends AntTaskEnv<DirectionTask> {
  private readonly radians: boolean;

  constructor(options: AntDirOptions = {}) {
    const { direction_in_radians, ...antOptions } = resolveOptions(ANT_DIR.envId, ANT_DIR_DEFAULTS, options);
    super(ANT_DIR, antOptions);
    this.radians = direction_in_radians;
  }

  protected override forwardReward(xVelocity: number, yVelocity: number): number {
    const d = this.task.direction;
    return this.radians ? xVelocity * Math.cos(d) + yVelocity * Math.sin(d) : d * xVelocity;
  }
}

export class AntGoalEnv extends AntTaskEnv<GoalTask> {
  constructor(options: AntGoalOptions = {}) {
    super(ANT_GOAL, resolveOptions(ANT_GOAL.envId, ANT_GOAL_DEFAULTS, options));
  }

  protected override forwardReward(_xVelocity: number, _yVelocity: number, v: DataViews): number {
    const body = 3 * this.mainBody;
    const [gx, gy] = this.task.goal;
    return -(Math.abs(v.xpos[body]! - gx) + Math.abs(v.xpos[body + 1]! - gy));
  }
}
