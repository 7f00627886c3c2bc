/**
 * MountainCarContinuous-v0 (Gymnasium 1.x): drive an underpowered car up the right hill.
 *
 * Gymnasium stores the state as float32 after every step, but the state sampled
 * by reset is float64, and numpy 2 promotion mixes float32 scalars with Python
 * floats (which adopt the float32 type) — so the arithmetic precision of each
 * operation depends on where its operands came from. `StepArithmetic` below
 * tracks that per value to reproduce Gymnasium's trajectories exactly.
 */
import { BaseEnv, checkBoxAction, type BoxAction } from '../core.js';
import { resolveOptions } from '../options.js';
import { Box } from '../spaces.js';
import { numberOption } from './pendulum.js';

const DEFAULTS = { goal_velocity: 0 };
/** `goal_velocity`: minimum velocity at the goal for the episode to end (default 0). */
export type MountainCarContinuousOptions = Partial<typeof DEFAULTS>;

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const POWER = 0.0015;

const f32 = Math.fround;

export class MountainCarContinuousEnv extends BaseEnv<BoxAction, Float32Array> {
  readonly observationSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  readonly actionSpace = new Box(-1, 1, 1);
  readonly goalVelocity: number;
  /** [position, velocity]. */
  readonly state = new Float64Array(2);
  /** False right after reset (the state is float64 then), true after a step. */
  private stateIsFloat32 = false;

  constructor(options: MountainCarContinuousOptions = {}) {
    super('MountainCarContinuous-v0', new Float32Array(2));
    this.goalVelocity = resolveOptions(this.id, DEFAULTS, options).goal_velocity;
  }

  /** Options `low`/`high` (defaults −0.6/−0.4) bound the uniform initial position. */
  protected resetEnv(options: Record<string, unknown> | undefined): void {
    const low = numberOption(this.id, options, 'low', -0.6);
    const high = numberOption(this.id, options, 'high', -0.4);
    if (low > high) throw new RangeError(`${this.id}: reset option low (${low}) must not exceed high (${high})`);
    this.state[0] = this.rng.uniform(low, high);
    this.state[1] = 0;
    this.stateIsFloat32 = false;
    this.obs[0] = this.state[0];
    this.obs[1] = 0;
  }

  protected stepEnv(action: BoxAction): void {
    checkBoxAction(this.id, action, 1);
    const a = f32(action[0]!);
    const stateF32 = this.stateIsFloat32;
    let position = this.state[0]!;
    let velocity = this.state[1]!;
    let velocityF32 = stateF32;

    // force is float32 unless clamped to a Python float bound.
    const forceF32 = a >= -1 && a <= 1;
    const force = Math.min(Math.max(a, -1), 1);
    const slope = 0.0025 * Math.cos(stateF32 ? f32(3 * position) : 3 * position);
    const dv = forceF32 ? f32(f32(force * f32(POWER)) - f32(slope)) : force * POWER - slope;
    velocity = velocityF32 ? f32(velocity + f32(dv)) : velocity + dv;
    if (velocity > MAX_SPEED) [velocity, velocityF32] = [MAX_SPEED, false];
    if (velocity < -MAX_SPEED) [velocity, velocityF32] = [-MAX_SPEED, false];
    position = stateF32 ? f32(position + f32(velocity)) : position + velocity;
    if (position > MAX_POSITION) position = MAX_POSITION;
    if (position < MIN_POSITION) position = MIN_POSITION;
    if (position === MIN_POSITION && velocity < 0) velocity = 0;

    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    this.state[0] = f32(position);
    this.state[1] = f32(velocity);
    this.stateIsFloat32 = true;
    this.obs[0] = this.state[0];
    this.obs[1] = this.state[1];
    const result = this.stepResult;
    result.reward = (terminated ? 100 : 0) - a * a * 0.1;
    result.terminated = terminated;
    result.truncated = false;
  }
}

