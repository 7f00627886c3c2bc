/**
 * Humanoid-v5: walk forward without falling; reward = mass-centre x velocity +
 * healthy reward − control cost − contact cost; terminates when the torso
 * height leaves its range. The mass centre uses body positions (`xipos`)
 * MuJoCo computed during the last physics step, as in Gymnasium.
 */
import type { BoxAction } from '../core.js';
import { MujocoEnv, type DataViews } from './mujoco-env.js';
import { resolveOptions } from '../options.js';

const DEFAULTS = {
  frame_skip: 5,
  forward_reward_weight: 1.25,
  ctrl_cost_weight: 0.1,
  contact_cost_weight: 5e-7,
  contact_cost_range: [-Infinity, 10.0] as readonly [number, number],
  healthy_reward: 5.0,
  terminate_when_unhealthy: true,
  healthy_z_range: [1.0, 2.0] as readonly [number, number],
  reset_noise_scale: 1e-2,
  exclude_current_positions_from_observation: true,
  include_cinert_in_observation: true,
  include_cvel_in_observation: true,
  include_qfrc_actuator_in_observation: true,
  include_cfrc_ext_in_observation: true,
};
export type HumanoidOptions = Partial<typeof DEFAULTS>;

/** Bodies excluding the world, and actuated dofs (all but the free joint's 6). */
const BODIES = 13;
const ACTUATED_DOFS = 17;

export class HumanoidEnv extends MujocoEnv {
  private readonly options: typeof DEFAULTS;
  private readonly skipped: number;
  private readonly bodyMass: Float64Array;
  private readonly totalMass: number;
  private readonly tendonLength = new Float64Array(2);
  private readonly tendonVelocity = new Float64Array(2);

  constructor(options: HumanoidOptions = {}) {
    const o = resolveOptions('Humanoid-v5', DEFAULTS, options);
    const skipped = o.exclude_current_positions_from_observation ? 2 : 0;
    const size =
      24 + 23 - skipped +
      (o.include_cinert_in_observation ? 10 * BODIES : 0) +
      (o.include_cvel_in_observation ? 6 * BODIES : 0) +
      (o.include_qfrc_actuator_in_observation ? ACTUATED_DOFS : 0) +
      (o.include_cfrc_ext_in_observation ? 6 * BODIES : 0);
    super('Humanoid-v5', 'humanoid.xml', o.frame_skip, size, true);
    this.options = o;
    this.skipped = skipped;
    this.bodyMass = Float64Array.from(this.model.body_mass as Float64Array);
    this.totalMass = this.bodyMass.reduce((a, b) => a + b, 0);
  }

  isHealthy(): boolean {
    const z = this.views().qpos[2]!;
    const [minZ, maxZ] = this.options.healthy_z_range;
    return minZ < z && z < maxZ;
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  protected writeObservation(v: DataViews): void {
    const o = this.options;
    const obs = this.obs;
    let k = copyTail(obs, 0, v.qpos, this.skipped);
    k = copyTail(obs, k, v.qvel, 0);
    // Rows of world body 0 (and the free joint's dofs) are left out.
    if (o.include_cinert_in_observation) k = copyTail(obs, k, v.cinert, 10);
    if (o.include_cvel_in_observation) k = copyTail(obs, k, v.cvel, 6);
    if (o.include_qfrc_actuator_in_observation) k = copyTail(obs, k, v.qfrc_actuator, 6);
    if (o.include_cfrc_ext_in_observation) copyTail(obs, k, v.cfrc_ext, 6);
  }

  protected override writeResetInfo(v: DataViews, info: Record<string, unknown>): void {
    this.writePositionInfo(v, info);
  }

  protected stepEnv(action: BoxAction): void {
    const o = this.options;
    const xipos = this.views().xipos;
    const xBefore = this.massCentre(xipos, 0);
    const yBefore = this.massCentre(xipos, 1);
    const v = this.simulate(action);
    const xVelocity = (this.massCentre(v.xipos, 0) - xBefore) / this.dt;
    const yVelocity = (this.massCentre(v.xipos, 1) - yBefore) / this.dt;
    this.writeObservation(v);
    const healthy = this.isHealthy();
    const forwardReward = o.forward_reward_weight * xVelocity;
    const healthyReward = healthy ? o.healthy_reward : 0;
    // Gymnasium's Humanoid charges data.ctrl (the unclipped action as float64), not the float32 action.
    let ctrlSquares = 0;
    for (let i = 0; i < v.ctrl.length; i++) ctrlSquares += v.ctrl[i]! * v.ctrl[i]!;
    const ctrlCost = o.ctrl_cost_weight * ctrlSquares;
    let forceSquares = 0;
    for (let i = 0; i < v.cfrc_ext.length; i++) forceSquares += v.cfrc_ext[i]! * v.cfrc_ext[i]!;
    const [minCost, maxCost] = o.contact_cost_range;
    const contactCost = Math.min(Math.max(o.contact_cost_weight * forceSquares, minCost), maxCost);
    const result = this.stepResult;
    result.reward = forwardReward + healthyReward - (ctrlCost + contactCost);
    result.terminated = !healthy && o.terminate_when_unhealthy;
    result.truncated = false;
    const info = result.info;
    this.writePositionInfo(v, info);
    info.x_velocity = xVelocity;
    info.y_velocity = yVelocity;
    info.reward_survive = healthyReward;
    info.reward_forward = forwardReward;
    info.reward_ctrl = -ctrlCost;
    info.reward_contact = -contactCost;
  }

  private writePositionInfo(v: DataViews, info: Record<string, unknown>): void {
    info.x_position = v.qpos[0];
    info.y_position = v.qpos[1];
    this.tendonLength.set(v.ten_length);
    this.tendonVelocity.set(v.ten_velocity);
    info.tendon_length = this.tendonLength;
    info.tendon_velocity = this.tendonVelocity;
    info.distance_from_origin = Math.hypot(v.qpos[0]!, v.qpos[1]!);
  }

  /** Mass-weighted mean of body positions along one axis. */
  private massCentre(xipos: Float64Array, axis: number): number {
    let sum = 0;
    for (let b = 0; b < this.bodyMass.length; b++) sum += this.bodyMass[b]! * xipos[3 * b + axis]!;
    return sum / this.totalMass;
  }
}

/** Copies source[from:] into obs at k; returns the next write position. */
function copyTail(obs: Float64Array, k: number, source: Float64Array, from: number): number {
  for (let i = from; i < source.length; i++) obs[k++] = source[i]!;
  return k;
}
