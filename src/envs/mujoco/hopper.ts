/**
 * Hopper-v5 and Walker2d-v5: planar hop/walk forward; reward = forward velocity
 * + healthy reward − control cost; terminates when unhealthy (torso height or
 * angle out of range; Hopper also bounds the rest of the state).
 */
import type { BoxAction } from '../core.js';
import { writePositionsAndVelocities } from './half-cheetah.js';
import { MujocoEnv, type DataViews } from './mujoco-env.js';
import { resolveOptions } from '../options.js';

const HOPPER_DEFAULTS = {
  frame_skip: 4,
  forward_reward_weight: 1.0,
  ctrl_cost_weight: 1e-3,
  healthy_reward: 1.0,
  terminate_when_unhealthy: true,
  healthy_state_range: [-100, 100] as readonly [number, number],
  healthy_z_range: [0.7, Infinity] as readonly [number, number],
  healthy_angle_range: [-0.2, 0.2] as readonly [number, number],
  reset_noise_scale: 5e-3,
  exclude_current_positions_from_observation: true,
};
export type HopperOptions = Partial<typeof HOPPER_DEFAULTS>;

const WALKER_DEFAULTS = {
  frame_skip: 4,
  forward_reward_weight: 1.0,
  ctrl_cost_weight: 1e-3,
  healthy_reward: 1.0,
  terminate_when_unhealthy: true,
  healthy_z_range: [0.8, 2.0] as readonly [number, number],
  healthy_angle_range: [-1, 1] as readonly [number, number],
  reset_noise_scale: 5e-3,
  exclude_current_positions_from_observation: true,
};
export type Walker2dOptions = Partial<typeof WALKER_DEFAULTS>;

type PlanarOptions = typeof WALKER_DEFAULTS & { healthy_state_range?: readonly [number, number] };

/** Observations clip velocities to ±10, as Gymnasium does for these two tasks. */
const VELOCITY_CLIP = 10;

abstract class PlanarWalkerEnv extends MujocoEnv {
  private readonly skipped: number;

  protected constructor(id: string, asset: string, nq: number, private readonly options: PlanarOptions) {
    const skipped = options.exclude_current_positions_from_observation ? 1 : 0;
    super(id, asset, options.frame_skip, 2 * nq - skipped);
    this.skipped = skipped;
  }

  /** Torso height and angle in range (strictly), and for Hopper every other state entry too. */
  isHealthy(): boolean {
    const { qpos, qvel } = this.views();
    const z = qpos[1]!;
    const angle = qpos[2]!;
    const [minZ, maxZ] = this.options.healthy_z_range;
    const [minAngle, maxAngle] = this.options.healthy_angle_range;
    const stateRange = this.options.healthy_state_range;
    if (stateRange !== undefined) {
      const [lo, hi] = stateRange;
      for (let i = 2; i < qpos.length; i++) if (!(lo < qpos[i]! && qpos[i]! < hi)) return false;
      for (let i = 0; i < qvel.length; i++) if (!(lo < qvel[i]! && qvel[i]! < hi)) return false;
    }
    return minZ < z && z < maxZ && minAngle < angle && angle < maxAngle;
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  protected writeObservation(v: DataViews): void {
    writePositionsAndVelocities(this.obs, v, this.skipped, VELOCITY_CLIP);
  }

  protected override writeResetInfo(v: DataViews, info: Record<string, unknown>): void {
    info.x_position = v.qpos[0];
    info.z_distance_from_origin = v.qpos[1]! - this.initQpos[1]!;
  }

  protected stepEnv(action: BoxAction): void {
    const o = this.options;
    const xBefore = this.views().qpos[0]!;
    const v = this.simulate(action);
    const xAfter = v.qpos[0]!;
    const xVelocity = (xAfter - xBefore) / this.dt;
    this.writeObservation(v);
    const healthy = this.isHealthy();
    const forwardReward = o.forward_reward_weight * xVelocity;
    const healthyReward = healthy ? o.healthy_reward : 0;
    const ctrlCost = this.controlCost(o.ctrl_cost_weight);
    const result = this.stepResult;
    result.reward = forwardReward + healthyReward - ctrlCost;
    result.terminated = !healthy && o.terminate_when_unhealthy;
    result.truncated = false;
    const info = result.info;
    info.x_position = xAfter;
    info.z_distance_from_origin = v.qpos[1]! - this.initQpos[1]!;
    info.x_velocity = xVelocity;
    info.reward_forward = forwardReward;
    info.reward_ctrl = -ctrlCost;
    info.reward_survive = healthyReward;
  }
}

export class HopperEnv extends PlanarWalkerEnv {
  constructor(options: HopperOptions = {}) {
    super('Hopper-v5', 'hopper.xml', 6, resolveOptions('Hopper-v5', HOPPER_DEFAULTS, options));
  }
}

export class Walker2dEnv extends PlanarWalkerEnv {
  /** @param id the env id in errors (subclasses, e.g. the meta-RL Walker family, pass their own). */
  constructor(options: Walker2dOptions = {}, id = 'Walker2d-v5') {
    super(id, 'walker2d.xml', 9, resolveOptions(id, WALKER_DEFAULTS, options));
  }
}
