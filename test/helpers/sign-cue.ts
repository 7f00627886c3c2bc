/**
 * SignCue-v0, a one-dimensional HalfCheetah-Dir for meta-RL tests: each episode (= trial,
 * k = 1) has a hidden direction d = ±1 drawn at reset; the action a ∈ [−1, 1] earns r = d·a
 * for 10 steps. The observation is the time t/10 only, so the direction must be inferred
 * from rewards: a policy that ignores them averages 0, one that reads the first reward and
 * follows it earns up to 9 + |a₀|. Registered with the trial options the meta algorithms
 * pass (only k = 1 is supported), and an episode limit of 10.
 */
import { BaseEnv, checkBoxAction, type BoxAction } from '../../src/envs/core.js';
import { register, registeredIds } from '../../src/envs/registry.js';
import { Box } from '../../src/envs/spaces.js';
import { TimeLimit } from '../../src/envs/wrappers.js';

export const SIGN_CUE_ID = 'SignCue-v0';
export const SIGN_CUE_STEPS = 10;

export class SignCueEnv extends BaseEnv<BoxAction, Float32Array> {
  readonly observationSpace = new Box(0, 1, 1, 'float32');
  readonly actionSpace = new Box(-1, 1, 1, 'float32');
  direction = 1;
  private t = 0;

  constructor() {
    super(SIGN_CUE_ID, new Float32Array(1));
  }

  protected resetEnv(): void {
    this.direction = this.rng.uniform() < 0.5 ? -1 : 1;
    this.t = 0;
    this.obs[0] = 0;
  }

  protected stepEnv(action: BoxAction): void {
    checkBoxAction(this.id, action, 1);
    this.t++;
    this.obs[0] = this.t / SIGN_CUE_STEPS;
    this.stepResult.reward = this.direction * Math.min(1, Math.max(-1, action[0]!));
    this.stepResult.terminated = false;
    this.stepResult.truncated = false;
  }
}

/** Register SignCue-v0 once per thread. */
export function registerSignCue(): void {
  if (registeredIds().includes(SIGN_CUE_ID)) return;
  register(SIGN_CUE_ID, {
    create: (options, maxEpisodeSteps) => {
      const k = options.episodes_per_trial ?? 1;
      if (k !== 1) throw new RangeError(`${SIGN_CUE_ID}: trials of one episode only, got episodes_per_trial ${String(k)}`);
      return new TimeLimit(new SignCueEnv(), maxEpisodeSteps ?? SIGN_CUE_STEPS);
    },
    maxEpisodeSteps: SIGN_CUE_STEPS,
    appliesTimeLimit: true,
  });
}
