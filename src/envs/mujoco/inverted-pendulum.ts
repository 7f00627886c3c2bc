/**
 * InvertedPendulum-v5 and InvertedDoublePendulum-v5: balance a pole (or two)
 * on a cart. The single pendulum pays 1 per step until the pole tilts more than
 * 0.2 rad; the double pendulum pays a survival bonus minus distance and
 * velocity penalties until its tip drops to height 1.
 */
import type { BoxAction } from '../core.js';
import { MujocoEnv, type DataViews } from './mujoco-env.js';
import { resolveOptions } from '../options.js';

const PENDULUM_DEFAULTS = { frame_skip: 2, reset_noise_scale: 0.01 };
export type InvertedPendulumOptions = Partial<typeof PENDULUM_DEFAULTS>;

export class InvertedPendulumEnv extends MujocoEnv {
  private readonly options: typeof PENDULUM_DEFAULTS;

  constructor(options: InvertedPendulumOptions = {}) {
    const o = resolveOptions('InvertedPendulum-v5', PENDULUM_DEFAULTS, options);
    super('InvertedPendulum-v5', 'inverted_pendulum.xml', o.frame_skip, 4);
    this.options = o;
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  protected writeObservation(v: DataViews): void {
    this.obs[0] = v.qpos[0]!;
    this.obs[1] = v.qpos[1]!;
    this.obs[2] = v.qvel[0]!;
    this.obs[3] = v.qvel[1]!;
  }

  protected stepEnv(action: BoxAction): void {
    this.writeObservation(this.simulate(action));
    let finite = true;
    for (let i = 0; i < 4; i++) if (!Number.isFinite(this.obs[i]!)) finite = false;
    const terminated = !finite || Math.abs(this.obs[1]!) > 0.2;
    const result = this.stepResult;
    result.reward = terminated ? 0 : 1;
    result.terminated = terminated;
    result.truncated = false;
    result.info.reward_survive = result.reward;
  }
}

const DOUBLE_DEFAULTS = { frame_skip: 5, healthy_reward: 10.0, reset_noise_scale: 0.1 };
export type InvertedDoublePendulumOptions = Partial<typeof DOUBLE_DEFAULTS>;

/** Observations clip velocities and the constraint force to ±10. */
const CLIP = 10;

export class InvertedDoublePendulumEnv extends MujocoEnv {
  private readonly options: typeof DOUBLE_DEFAULTS;

  constructor(options: InvertedDoublePendulumOptions = {}) {
    const o = resolveOptions('InvertedDoublePendulum-v5', DOUBLE_DEFAULTS, options);
    super('InvertedDoublePendulum-v5', 'inverted_double_pendulum.xml', o.frame_skip, 9);
    this.options = o;
  }

  protected sampleInitialState(qpos: Float64Array, qvel: Float64Array): void {
    this.uniformNormalNoise(qpos, qvel, this.options.reset_noise_scale);
  }

  /** [cart x, sin θ1, sin θ2, cos θ1, cos θ2, qvel (clipped), cart constraint force (clipped)]. */
  protected writeObservation(v: DataViews): void {
    const obs = this.obs;
    obs[0] = v.qpos[0]!;
    obs[1] = Math.sin(v.qpos[1]!);
    obs[2] = Math.sin(v.qpos[2]!);
    obs[3] = Math.cos(v.qpos[1]!);
    obs[4] = Math.cos(v.qpos[2]!);
    for (let i = 0; i < 3; i++) obs[5 + i] = Math.min(Math.max(v.qvel[i]!, -CLIP), CLIP);
    obs[8] = Math.min(Math.max(v.qfrc_constraint[0]!, -CLIP), CLIP);
  }

  protected stepEnv(action: BoxAction): void {
    const v = this.simulate(action);
    // Tip site position as MuJoCo computed it during the last physics step.
    const x = v.site_xpos[0]!;
    const y = v.site_xpos[2]!;
    this.writeObservation(v);
    const terminated = y <= 1;
    const v1 = v.qvel[1]!;
    const v2 = v.qvel[2]!;
    const distancePenalty = 0.01 * x ** 2 + (y - 2) ** 2;
    const velocityPenalty = 1e-3 * v1 ** 2 + 5e-3 * v2 ** 2;
    const aliveBonus = terminated ? 0 : this.options.healthy_reward;
    const result = this.stepResult;
    result.reward = aliveBonus - distancePenalty - velocityPenalty;
    result.terminated = terminated;
    result.truncated = false;
    const info = result.info;
    info.reward_survive = aliveBonus;
    info.distance_penalty = -distancePenalty;
    info.velocity_penalty = -velocityPenalty;
  }
}
