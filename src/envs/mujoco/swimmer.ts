/** Swimmer-v5: swim forward in a viscous fluid; reward = forward velocity − control cost; never terminates. */
import type { BoxAction } from '../core.js';
import { writePositionsAndVelocities } from './half-cheetah.js';
import { MujocoEnv, type DataViews } from './mujoco-env.js';
import { resolveOptions } from '../options.js';

const DEFAULTS = {
  frame_skip: 4,
  forward_reward_weight: 1.0,
  ctrl_cost_weight: 1e-4,
  reset_noise_scale: 0.1,
  exclude_current_positions_from_observation: true,
};
export type SwimmerOptions = Partial<typeof DEFAULTS>;

export class SwimmerEnv extends MujocoEnv {
  private readonly options: typeof DEFAULTS;
  private readonly skipped: number;

  constructor(options: SwimmerOptions = {}) {
    const o = resolveOptions('Swimmer-v5', DEFAULTS, options);
    const skipped = o.exclude_current_positions_from_observation ? 2 : 0;
    super('Swimmer-v5', 'swimmer.xml', o.frame_skip, 10 - skipped);
    this.options = o;
    this.skipped = skipped;
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  protected writeObservation(v: DataViews): void {
    writePositionsAndVelocities(this.obs, v, this.skipped);
  }

  protected override writeResetInfo(v: DataViews, info: Record<string, unknown>): void {
    info.x_position = v.qpos[0];
    info.y_position = v.qpos[1];
    info.distance_from_origin = Math.hypot(v.qpos[0]!, v.qpos[1]!);
  }

  protected stepEnv(action: BoxAction): void {
    const before = this.views().qpos;
    const xBefore = before[0]!;
    const yBefore = before[1]!;
    const v = this.simulate(action);
    const x = v.qpos[0]!;
    const y = v.qpos[1]!;
    const xVelocity = (x - xBefore) / this.dt;
    const yVelocity = (y - yBefore) / this.dt;
    this.writeObservation(v);
    const forwardReward = this.options.forward_reward_weight * xVelocity;
    const ctrlCost = this.controlCost(this.options.ctrl_cost_weight);
    const result = this.stepResult;
    result.reward = forwardReward - ctrlCost;
    result.terminated = false;
    result.truncated = false;
    const info = result.info;
    info.x_position = x;
    info.y_position = y;
    info.distance_from_origin = Math.sqrt(x * x + y * y);
    info.x_velocity = xVelocity;
    info.y_velocity = yVelocity;
    info.reward_forward = forwardReward;
    info.reward_ctrl = -ctrlCost;
  }
}
