/**
 * Ant-v5: walk forward; reward = torso x velocity + healthy reward − control
 * cost − contact cost (squared external contact forces clipped to a range);
 * terminates when the state is non-finite or the torso height leaves its range.
 * Like Gymnasium, the velocity uses the torso position MuJoCo computed during
 * the last physics step (`xpos`), so it lags qpos by one substep.
 */
import type { BoxAction } from '../core.js';
import { bodyId, MujocoEnv, type DataViews } from './mujoco-env.js';
import { resolveOptions } from '../options.js';

/** Ant-v5's options and their defaults (also the base of the meta-RL Ant families). */
export const ANT_DEFAULTS = {
  frame_skip: 5,
  forward_reward_weight: 1,
  ctrl_cost_weight: 0.5,
  contact_cost_weight: 5e-4,
  healthy_reward: 1.0,
  main_body: 'torso',
  terminate_when_unhealthy: true,
  healthy_z_range: [0.2, 1.0] as readonly [number, number],
  contact_force_range: [-1.0, 1.0] as readonly [number, number],
  reset_noise_scale: 0.1,
  exclude_current_positions_from_observation: true,
  include_cfrc_ext_in_observation: true,
};
export type AntOptions = Partial<typeof ANT_DEFAULTS>;

export class AntEnv extends MujocoEnv {
  private readonly options: typeof ANT_DEFAULTS;
  private readonly skipped: number;
  /** Index of the main body (the torso), whose velocity the forward reward uses. */
  protected readonly mainBody: number;

  /** @param id the env id in errors (subclasses, e.g. the meta-RL Ant families, pass their own). */
  constructor(options: AntOptions = {}, id = 'Ant-v5') {
    const o = resolveOptions(id, ANT_DEFAULTS, options);
    const skipped = o.exclude_current_positions_from_observation ? 2 : 0;
    // 15 qpos + 14 qvel, then 6 contact-force components for each of the 13 non-world bodies.
    super(id, 'ant.xml', o.frame_skip, 29 - skipped + (o.include_cfrc_ext_in_observation ? 78 : 0), true);
    this.options = o;
    this.skipped = skipped;
    this.mainBody = bodyId(this.id, this.model, o.main_body);
  }

  isHealthy(): boolean {
    const { qpos, qvel } = this.views();
    for (let i = 0; i < qpos.length; i++) if (!Number.isFinite(qpos[i]!)) return false;
    for (let i = 0; i < qvel.length; i++) if (!Number.isFinite(qvel[i]!)) return false;
    const [minZ, maxZ] = this.options.healthy_z_range;
    return minZ <= qpos[2]! && qpos[2]! <= maxZ;
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNormalNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  protected writeObservation(v: DataViews): void {
    let k = 0;
    for (let i = this.skipped; i < v.qpos.length; i++) this.obs[k++] = v.qpos[i]!;
    for (let i = 0; i < v.qvel.length; i++) this.obs[k++] = v.qvel[i]!;
    if (!this.options.include_cfrc_ext_in_observation) return;
    const [lo, hi] = this.options.contact_force_range;
    for (let i = 6; i < v.cfrc_ext.length; i++) this.obs[k++] = Math.min(Math.max(v.cfrc_ext[i]!, lo), hi);
  }

  protected override writeResetInfo(v: DataViews, info: Record<string, unknown>): void {
    info.x_position = v.qpos[0];
    info.y_position = v.qpos[1];
    info.distance_from_origin = Math.hypot(v.qpos[0]!, v.qpos[1]!);
  }

  protected stepEnv(action: BoxAction): void {
    const o = this.options;
    const body = 3 * this.mainBody;
    const before = this.views().xpos;
    const xBefore = before[body]!;
    const yBefore = before[body + 1]!;
    const v = this.simulate(action);
    const xVelocity = (v.xpos[body]! - xBefore) / this.dt;
    const yVelocity = (v.xpos[body + 1]! - yBefore) / this.dt;
    this.writeObservation(v);
    const healthy = this.isHealthy();
    const forwardReward = this.forwardReward(xVelocity, yVelocity, v);
    const healthyReward = healthy ? o.healthy_reward : 0;
    const ctrlCost = this.controlCost(o.ctrl_cost_weight);
    const contactCost = o.contact_cost_weight * this.clippedContactForceSquares(v);
    const result = this.stepResult;
    result.reward = forwardReward + healthyReward - (ctrlCost + contactCost);
    result.terminated = !healthy && o.terminate_when_unhealthy;
    result.truncated = false;
    const info = result.info;
    info.x_position = v.qpos[0];
    info.y_position = v.qpos[1];
    info.distance_from_origin = Math.hypot(v.qpos[0]!, v.qpos[1]!);
    info.x_velocity = xVelocity;
    info.y_velocity = yVelocity;
    info.reward_forward = forwardReward;
    info.reward_ctrl = -ctrlCost;
    info.reward_contact = -contactCost;
    info.reward_survive = healthyReward;
  }

  /**
   * The task part of the reward, from the main body's velocity over the step (and the
   * physics data after it): Ant-v5 rewards x velocity × `forward_reward_weight`; the
   * meta-RL families (src/envs/meta/ant.ts) reward a direction or a goal instead.
   */
  protected forwardReward(xVelocity: number, _yVelocity: number, _v: DataViews): number {
    return xVelocity * this.options.forward_reward_weight;
  }

  private clippedContactForceSquares(v: DataViews): number {
    const [lo, hi] = this.options.contact_force_range;
    let sum = 0;
    for (let i = 0; i < v.cfrc_ext.length; i++) {
      const f = Math.min(Math.max(v.cfrc_ext[i]!, lo), hi);
      sum += f * f;
    }
    return sum;
  }
}
