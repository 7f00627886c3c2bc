/** HalfCheetah-v5: run forward; reward = forward velocity − control cost; never terminates. */
import type { BoxAction } from '../core.js';
import { MujocoEnv, type DataViews } from './mujoco-env.js';
import { resolveOptions } from '../options.js';

const DEFAULTS = {
  frame_skip: 5,
  forward_reward_weight: 1.0,
  ctrl_cost_weight: 0.1,
  reset_noise_scale: 0.1,
  exclude_current_positions_from_observation: true,
};
export type HalfCheetahOptions = Partial<typeof DEFAULTS>;

export class HalfCheetahEnv extends MujocoEnv {
  private readonly options: typeof DEFAULTS;
  private readonly skipped: number;

  /**
   * @param id the env id in errors (subclasses, e.g. the meta-RL HalfCheetah families, pass their own).
   * @param extraObservations values a subclass's `writeObservation` appends after qpos and qvel.
   */
  constructor(options: HalfCheetahOptions = {}, id = 'HalfCheetah-v5', extraObservations = 0) {
    const o = resolveOptions(id, DEFAULTS, options);
    const skipped = o.exclude_current_positions_from_observation ? 1 : 0;
    super(id, 'half_cheetah.xml', o.frame_skip, 18 - skipped + extraObservations);
    this.options = o;
    this.skipped = skipped;
  }

  /** The forward part of the reward at the root's x velocity (HalfCheetah-v5: weight × velocity; the meta-RL families: their task's). */
  protected forwardReward(xVelocity: number): number {
    return this.options.forward_reward_weight * xVelocity;
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNormalNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  protected writeObservation(v: DataViews): void {
    writePositionsAndVelocities(this.obs, v, this.skipped);
  }

  protected override writeResetInfo(v: DataViews, info: Record<string, unknown>): void {
    info.x_position = v.qpos[0];
  }

  protected stepEnv(action: BoxAction): void {
    const xBefore = this.views().qpos[0]!;
    const v = this.simulate(action);
    const xAfter = v.qpos[0]!;
    const xVelocity = (xAfter - xBefore) / this.dt;
    this.writeObservation(v);
    const forwardReward = this.forwardReward(xVelocity);
    const ctrlCost = this.controlCost(this.options.ctrl_cost_weight);
    const result = this.stepResult;
    result.reward = forwardReward - ctrlCost;
    result.terminated = false;
    result.truncated = false;
    const info = result.info;
    info.x_position = xAfter;
    info.x_velocity = xVelocity;
    info.reward_forward = forwardReward;
    info.reward_ctrl = -ctrlCost;
  }
}

/** obs = [qpos[skipped:], qvel (optionally clipped to ±clip)]. */
export function writePositionsAndVelocities(obs: Float64Array, v: DataViews, skipped: number, clip = Infinity): void {
  let k = 0;
  for (let i = skipped; i < v.qpos.length; i++) obs[k++] = v.qpos[i]!;
  for (let i = 0; i < v.qvel.length; i++) obs[k++] = Math.min(Math.max(v.qvel[i]!, -clip), clip);
}
