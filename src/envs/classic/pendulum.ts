/**
 * Pendulum-v1 (Gymnasium 1.x): swing a frictionless pendulum up and keep it upright.
 *
 * Gymnasium computes with numpy 2 promotion rules: the torque `u` is a float32
 * scalar, so `0.001·u²` and `3·u` are float32 products while the state stays
 * float64. The `Math.fround` calls below reproduce those roundings.
 */
import { BaseEnv, checkBoxAction, type BoxAction } from '../core.js';
import { resolveOptions } from '../options.js';
import { Box } from '../spaces.js';

const DEFAULTS = { g: 10 };
/** `g`: gravity (default 10). */
export type PendulumOptions = Partial<typeof DEFAULTS>;

const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const DT = 0.05;
const MASS = 1;
const LENGTH = 1;

export class PendulumEnv extends BaseEnv<BoxAction, Float32Array> {
  readonly observationSpace = new Box([-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED]);
  readonly actionSpace = new Box(-MAX_TORQUE, MAX_TORQUE, 1);
  readonly g: number;
  /** [θ, θ̇] in float64, θ = 0 upright. */
  readonly state = new Float64Array(2);

  constructor(options: PendulumOptions = {}) {
    super('Pendulum-v1', new Float32Array(3));
    this.g = resolveOptions(this.id, DEFAULTS, options).g;
  }

  /** Options `x_init` (default π) and `y_init` (default 1) bound the uniform initial angle and angular velocity. */
  protected resetEnv(options: Record<string, unknown> | undefined): void {
    const xInit = numberOption(this.id, options, 'x_init', Math.PI);
    const yInit = numberOption(this.id, options, 'y_init', 1);
    this.state[0] = this.rng.uniform(-xInit, xInit);
    this.state[1] = this.rng.uniform(-yInit, yInit);
    this.writeObs();
  }

  protected stepEnv(action: BoxAction): void {
    checkBoxAction(this.id, action, 1);
    const th = this.state[0]!;
    const thdot = this.state[1]!;
    const u = Math.fround(Math.min(Math.max(Math.fround(action[0]!), -MAX_TORQUE), MAX_TORQUE));
    const torqueCost = Math.fround(Math.fround(0.001) * Math.fround(u * u));
    const costs = angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + torqueCost;
    const torqueAccel = Math.fround((3 / (MASS * LENGTH ** 2)) * u);
    let newThdot = thdot + ((3 * this.g) / (2 * LENGTH) * Math.sin(th) + torqueAccel) * DT;
    newThdot = Math.min(Math.max(newThdot, -MAX_SPEED), MAX_SPEED);
    this.state[0] = th + newThdot * DT;
    this.state[1] = newThdot;
    this.writeObs();
    const result = this.stepResult;
    result.reward = -costs;
    result.terminated = false;
    result.truncated = false;
  }

  private writeObs(): void {
    this.obs[0] = Math.cos(this.state[0]!);
    this.obs[1] = Math.sin(this.state[0]!);
    this.obs[2] = this.state[1]!;
  }
}

function angleNormalize(x: number): number {
  // Python's % takes the sign of the divisor.
  const period = 2 * Math.PI;
  return ((((x + Math.PI) % period) + period) % period) - Math.PI;
}

/** A finite number from reset options, or the default; anything else is an error naming the env. */
export function numberOption(envId: string, options: Record<string, unknown> | undefined, key: string, fallback: number): number {
  const value = options?.[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${envId}: reset option '${key}' must be a finite number, got ${String(value)}`);
  return value;
}
