/**
 * MemoryCue-v0: a cue shown only in the first observation decides which action is rewarded
 * at the last step of a fixed-length episode. Observation [cue = 0, cue = 1, last step]: the
 * first observation one-hot encodes the cue, later ones are zero in the cue components, and
 * the last-step flag marks the step that counts. Actions: Discrete(2). Reward +1 for
 * choosing the cue at the last step, −1 for the other action, 0 before; the episode then
 * terminates.
 *
 * A policy that sees only the current observation cannot beat chance: at the last step its
 * observation is the same whatever the cue was, so it picks the cue half the time (expected
 * return 0). A policy with memory can score +1 every time.
 */
import { BaseEnv } from '../core.js';
import { resolveOptions } from '../options.js';
import { Box, Discrete } from '../spaces.js';

const DEFAULTS = { length: 8 };
/** `length`: steps per episode, the cue shown before the first and the choice made at the last (≥ 2; default 8). */
export type MemoryCueOptions = Partial<typeof DEFAULTS>;

export class MemoryCueEnv extends BaseEnv<number, Float32Array> {
  readonly observationSpace = new Box(0, 1, 3);
  readonly actionSpace = new Discrete(2);
  readonly length: number;
  /** The cue of the current episode (0 or 1). */
  cue = 0;
  private t = 0;

  constructor(options: MemoryCueOptions = {}) {
    super('MemoryCue-v0', new Float32Array(3));
    this.length = resolveOptions(this.id, DEFAULTS, options).length;
    if (!Number.isInteger(this.length) || this.length < 2) throw new RangeError(`${this.id}: option 'length' must be an integer ≥ 2 (the cue must be gone when the choice is made), got ${this.length}`);
  }

  protected resetEnv(): void {
    this.cue = this.rng.integer(2);
    this.t = 0;
    this.obs.fill(0);
    this.obs[this.cue] = 1;
  }

  protected stepEnv(action: number): void {
    if (!this.actionSpace.contains(action)) throw new RangeError(`${this.id}: action must be 0 or 1, got ${String(action)}`);
    if (this.t >= this.length) throw new Error(`${this.id}: the episode is over (it lasts ${this.length} steps); call reset()`);
    const decision = this.t === this.length - 1;
    this.t++;
    this.obs.fill(0);
    this.obs[2] = this.t === this.length - 1 ? 1 : 0;
    const result = this.stepResult;
    result.reward = decision ? (action === this.cue ? 1 : -1) : 0;
    result.terminated = decision;
    result.truncated = false;
  }
}
