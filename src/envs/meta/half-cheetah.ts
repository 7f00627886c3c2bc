/**
 * HalfCheetah-Dir, HalfCheetah-Vel and HalfCheetah-Vel-Medium on the HalfCheetah-v5 model.
 *
 * Reward, with v = (x_after − x_before) / dt the root's forward velocity over the step
 * (dt = 0.01 × frame skip 5 = 0.05) and a the action:
 *   HalfCheetah-Dir:              r = d · v − 0.05 Σ a²      (d = ±1)
 *   HalfCheetah-Vel, -Vel-Medium: r = −|v − v*| − 0.05 Σ a²  (v* the target velocity)
 * (control cost 0.5 · 1e-1 Σ a² in the sources.) Never terminates; 200 steps per episode.
 * Observation (20): qpos[1:] (8), qvel (9) and the torso position (3), the layout of the
 * sources' `_get_obs` (`get_body_com("torso")` reads the body position `xpos`).
 * Reset: qpos0 + U(±0.1), qvel 0.1·N(0, 1), gym's HalfCheetah reset, which they keep.
 *
 * Sources: VariBAD environments/mujoco/half_cheetah_dir.py, half_cheetah_vel.py;
 * pytorch-maml-rl and HypeRL MAML/maml_rl/envs/mujoco/half_cheetah.py (HalfCheetahDirEnv,
 * HalfCheetahVelEnv, HalfCheetahVelMediumEnv); rlkit (PEARL) half_cheetah_dir.py,
 * half_cheetah_vel.py. They ran gym's HalfCheetah asset on MuJoCo 1.50/2.0; this runs the
 * same model from Gymnasium's v5 asset on MuJoCo 3.
 */
import type { BoxAction } from '../core.js';
import { writePositionsAndVelocities } from '../mujoco/half-cheetah.js';
import { bodyId, MujocoEnv, type DataViews } from '../mujoco/mujoco-env.js';
import { resolveOptions } from '../options.js';
import { HALF_CHEETAH_DIR, HALF_CHEETAH_VEL, HALF_CHEETAH_VEL_MEDIUM, type DirectionTask, type VelocityFamily, type VelocityTask } from './families.js';
import { applyTaskOption, type TaskEnv, type TaskFamily } from './task.js';

const DEFAULTS = {
  frame_skip: 5,
  ctrl_cost_weight: 0.05,
  reset_noise_scale: 0.1,
};
export type HalfCheetahTaskOptions = Partial<typeof DEFAULTS>;

/** qpos[1:] (8) + qvel (9) + torso position (3). */
const OBSERVATION_SIZE = 20;

export abstract class HalfCheetahTaskEnv<T> extends MujocoEnv implements TaskEnv<T> {
  private current: T;
  private readonly options: typeof DEFAULTS;
  private readonly torso: number;

  protected constructor(
    readonly family: TaskFamily<T>,
    options: HalfCheetahTaskOptions,
  ) {
    const o = resolveOptions(family.envId, DEFAULTS, options);
    super(family.envId, 'half_cheetah.xml', o.frame_skip, OBSERVATION_SIZE);
    this.options = o;
    this.torso = bodyId(this.id, this.model, 'torso');
    this.current = family.defaultTask;
  }

  get task(): T {
    return this.current;
  }

  setTask(task: T): void {
    this.current = this.family.checkTask(task);
  }

  /** The task part of the reward at forward velocity `xVelocity`. */
  protected abstract forwardReward(xVelocity: number): number;

  protected override resetEnv(options: Record<string, unknown> | undefined): void {
    super.resetEnv(applyTaskOption(this, options));
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNormalNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  protected writeObservation(v: DataViews): void {
    writePositionsAndVelocities(this.obs, v, 1);
    const body = 3 * this.torso;
    this.obs[17] = v.xpos[body]!;
    this.obs[18] = v.xpos[body + 1]!;
    this.obs[19] = v.xpos[body + 2]!;
  }

  protected override writeResetInfo(v: DataViews, info: Record<string, unknown>): void {
    info.x_position = v.qpos[0];
  }

  protected stepEnv(action: BoxAction): void {
    const xBefore = this.views().qpos[0]!;
    const v = this.simulate(action);
    const xVelocity = (v.qpos[0]! - xBefore) / this.dt;
    this.writeObservation(v);
    const forwardReward = this.forwardReward(xVelocity);
    const ctrlCost = this.controlCost(this.options.ctrl_cost_weight);
    const result = this.stepResult;
    result.reward = forwardReward - ctrlCost;
    result.terminated = false;
    result.truncated = false;
    const info = result.info;
    info.x_position = v.qpos[0];
    info.x_velocity = xVelocity;
    info.reward_forward = forwardReward;
    info.reward_ctrl = -ctrlCost;
  }
}

/** HalfCheetah-Dir: run forward (d = +1) or backward (d = −1). */
export class HalfCheetahDirEnv extends HalfCheetahTaskEnv<DirectionTask> {
  constructor(options: HalfCheetahTaskOptions = {}) {
    super(HALF_CHEETAH_DIR, options);
  }

  protected forwardReward(xVelocity: number): number {
    return this.task.direction * xVelocity;
  }
}

/** HalfCheetah-Vel: run at the target velocity. */
export class HalfCheetahVelEnv extends HalfCheetahTaskEnv<VelocityTask> {
  constructor(options: HalfCheetahTaskOptions = {}, family: VelocityFamily = HALF_CHEETAH_VEL) {
    super(family, options);
  }

  protected forwardReward(xVelocity: number): number {
    return -Math.abs(xVelocity - this.task.velocity);
  }
}

/** HalfCheetah-Vel-Medium: HalfCheetah-Vel with train targets U[0, 2.5] and test targets U[2.5, 3]. */
export class HalfCheetahVelMediumEnv extends HalfCheetahVelEnv {
  constructor(options: HalfCheetahTaskOptions = {}) {
    super(options, HALF_CHEETAH_VEL_MEDIUM);
  }
}
