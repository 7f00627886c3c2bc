/**
 * Reacher-v5: move a two-link arm's fingertip to a random target;
 * reward = −distance − control cost (per weights). Pusher-v5: push a cylinder
 * to the goal with a 7-DoF arm; reward = −object-to-goal distance −
 * 0.5·tip-to-object distance − control cost. Neither terminates.
 * Body positions are `xpos` as MuJoCo computed them during the last physics step.
 */
import type { BoxAction } from '../core.js';
import { bodyId, distance3, MujocoEnv, type DataViews } from './mujoco-env.js';
import { resolveOptions } from '../options.js';

const REACHER_DEFAULTS = { frame_skip: 2, reward_dist_weight: 1, reward_control_weight: 1 };
export type ReacherOptions = Partial<typeof REACHER_DEFAULTS>;

export class ReacherEnv extends MujocoEnv {
  private readonly options: typeof REACHER_DEFAULTS;
  private readonly fingertip: number;
  private readonly target: number;

  constructor(options: ReacherOptions = {}) {
    const o = resolveOptions('Reacher-v5', REACHER_DEFAULTS, options);
    super('Reacher-v5', 'reacher.xml', o.frame_skip, 10);
    this.options = o;
    this.fingertip = bodyId(this.id, this.model, 'fingertip');
    this.target = bodyId(this.id, this.model, 'target');
  }

  /** Arm angles ± 0.1, target uniform in the disc of radius 0.2 (by rejection), arm velocities ± 0.005. */
  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    for (let i = 0; i < qpos.length; i++) qpos[i] = this.rng.uniform(-0.1, 0.1) + this.initQpos[i]!;
    let gx: number;
    let gy: number;
    do {
      gx = this.rng.uniform(-0.2, 0.2);
      gy = this.rng.uniform(-0.2, 0.2);
    } while (!(Math.hypot(gx, gy) < 0.2));
    qpos[2] = gx;
    qpos[3] = gy;
    for (let i = 0; i < qvel.length; i++) qvel[i] = this.initQvel[i]! + this.rng.uniform(-0.005, 0.005);
    qvel[2] = 0;
    qvel[3] = 0;
  }

  /** [cos θ, sin θ (both joints), target x y, joint velocities, fingertip − target (x, y)]. */
  protected writeObservation(v: DataViews): void {
    const obs = this.obs;
    obs[0] = Math.cos(v.qpos[0]!);
    obs[1] = Math.cos(v.qpos[1]!);
    obs[2] = Math.sin(v.qpos[0]!);
    obs[3] = Math.sin(v.qpos[1]!);
    obs[4] = v.qpos[2]!;
    obs[5] = v.qpos[3]!;
    obs[6] = v.qvel[0]!;
    obs[7] = v.qvel[1]!;
    obs[8] = v.xpos[3 * this.fingertip]! - v.xpos[3 * this.target]!;
    obs[9] = v.xpos[3 * this.fingertip + 1]! - v.xpos[3 * this.target + 1]!;
  }

  protected stepEnv(action: BoxAction): void {
    const v = this.simulate(action);
    this.writeObservation(v);
    const rewardDist = -distance3(v.xpos, this.fingertip, this.target) * this.options.reward_dist_weight;
    const rewardCtrl = -this.controlCost(this.options.reward_control_weight);
    const result = this.stepResult;
    result.reward = rewardDist + rewardCtrl;
    result.terminated = false;
    result.truncated = false;
    result.info.reward_dist = rewardDist;
    result.info.reward_ctrl = rewardCtrl;
  }
}

const PUSHER_DEFAULTS = { frame_skip: 5, reward_near_weight: 0.5, reward_dist_weight: 1, reward_control_weight: 0.1 };
export type PusherOptions = Partial<typeof PUSHER_DEFAULTS>;

export class PusherEnv extends MujocoEnv {
  private readonly options: typeof PUSHER_DEFAULTS;
  private readonly tips: number;
  private readonly object: number;
  private readonly goal: number;

  constructor(options: PusherOptions = {}) {
    const o = resolveOptions('Pusher-v5', PUSHER_DEFAULTS, options);
    super('Pusher-v5', 'pusher.xml', o.frame_skip, 23);
    this.options = o;
    this.tips = bodyId(this.id, this.model, 'tips_arm');
    this.object = bodyId(this.id, this.model, 'object');
    this.goal = bodyId(this.id, this.model, 'goal');
  }

  /** Arm at its initial pose; object uniform in x ∈ [−0.3, 0], y ∈ [−0.2, 0.2], more than 0.17 from the goal at the origin. */
  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    qpos.set(this.initQpos);
    let cx: number;
    let cy: number;
    do {
      cx = this.rng.uniform(-0.3, 0);
      cy = this.rng.uniform(-0.2, 0.2);
    } while (!(Math.hypot(cx, cy) > 0.17));
    const n = qpos.length;
    qpos[n - 4] = cx;
    qpos[n - 3] = cy;
    qpos[n - 2] = 0;
    qpos[n - 1] = 0;
    for (let i = 0; i < qvel.length; i++) qvel[i] = this.initQvel[i]! + this.rng.uniform(-0.005, 0.005);
    qvel.fill(0, qvel.length - 4);
  }

  /** [arm qpos (7), arm qvel (7), tip, object and goal positions]. */
  protected writeObservation(v: DataViews): void {
    const obs = this.obs;
    for (let i = 0; i < 7; i++) {
      obs[i] = v.qpos[i]!;
      obs[7 + i] = v.qvel[i]!;
    }
    for (let c = 0; c < 3; c++) {
      obs[14 + c] = v.xpos[3 * this.tips + c]!;
      obs[17 + c] = v.xpos[3 * this.object + c]!;
      obs[20 + c] = v.xpos[3 * this.goal + c]!;
    }
  }

  protected stepEnv(action: BoxAction): void {
    const o = this.options;
    const v = this.simulate(action);
    this.writeObservation(v);
    const rewardNear = -distance3(v.xpos, this.object, this.tips) * o.reward_near_weight;
    const rewardDist = -distance3(v.xpos, this.object, this.goal) * o.reward_dist_weight;
    const rewardCtrl = -this.controlCost(o.reward_control_weight);
    const result = this.stepResult;
    result.reward = rewardDist + rewardCtrl + rewardNear;
    result.terminated = false;
    result.truncated = false;
    result.info.reward_dist = rewardDist;
    result.info.reward_ctrl = rewardCtrl;
    result.info.reward_near = rewardNear;
  }
}
