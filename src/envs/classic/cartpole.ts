/**
 * CartPole-v1 (Gymnasium 1.x): balance a pole on a cart pushed left (0) or right (1).
 * Euler integration in float64; observations are float32.
 */
import { BaseEnv } from '../core.js';
import { resolveOptions } from '../options.js';
import { Box, Discrete } from '../spaces.js';
import { numberOption } from './pendulum.js';

const DEFAULTS = { sutton_barto_reward: false };
/** `sutton_barto_reward`: reward 0 per step and −1 on failure instead of +1 per step (default false). */
export type CartPoleOptions = Partial<typeof DEFAULTS>;

const GRAVITY = 9.8;
const MASS_CART = 1;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
const HALF_LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * HALF_LENGTH;
const FORCE_MAG = 10;
const TAU = 0.02;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

export class CartPoleEnv extends BaseEnv<number, Float32Array> {
  readonly observationSpace = new Box(
    [-X_THRESHOLD * 2, -Infinity, -THETA_THRESHOLD * 2, -Infinity],
    [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD * 2, Infinity],
  );
  readonly actionSpace = new Discrete(2);
  /** [x, ẋ, θ, θ̇] in float64. */
  readonly state = new Float64Array(4);
  private readonly suttonBartoReward: boolean;
  /** Steps taken after the episode terminated (Gymnasium then rewards 0). */
  private stepsBeyondTerminated = -1;

  constructor(options: CartPoleOptions = {}) {
    super('CartPole-v1', new Float32Array(4));
    this.suttonBartoReward = resolveOptions(this.id, DEFAULTS, options).sutton_barto_reward;
  }

  /** Options `low`/`high` (defaults ±0.05) bound the uniform initial state. */
  protected resetEnv(options: Record<string, unknown> | undefined): void {
    const low = numberOption(this.id, options, 'low', -0.05);
    const high = numberOption(this.id, options, 'high', 0.05);
    if (low > high) throw new RangeError(`${this.id}: reset option low (${low}) must not exceed high (${high})`);
    for (let i = 0; i < 4; i++) this.state[i] = this.rng.uniform(low, high);
    this.stepsBeyondTerminated = -1;
    this.obs.set(this.state);
  }

  protected stepEnv(action: number): void {
    if (!this.actionSpace.contains(action)) throw new RangeError(`${this.id}: action must be 0 or 1, got ${String(action)}`);
    let [x, xDot, theta, thetaDot] = this.state as unknown as [number, number, number, number];
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4 / 3 - (MASS_POLE * cos * cos) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    x += TAU * xDot;
    xDot += TAU * xAcc;
    theta += TAU * thetaDot;
    thetaDot += TAU * thetaAcc;
    this.state[0] = x;
    this.state[1] = xDot;
    this.state[2] = theta;
    this.state[3] = thetaDot;
    this.obs.set(this.state);

    const terminated = x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
    let reward: number;
    if (!terminated) reward = this.suttonBartoReward ? 0 : 1;
    else if (this.stepsBeyondTerminated < 0) {
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1 : 1;
    } else {
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1 : 0;
    }
    const result = this.stepResult;
    result.reward = reward;
    result.terminated = terminated;
    result.truncated = false;
  }
}
