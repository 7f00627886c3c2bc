/** Envs that fail on purpose, registered in AsyncVectorEnv workers through `setupModules` by vector.test.ts. */
import { PendulumEnv, register, type BoxAction, type StepResult } from '../../src/envs/index.js';

/** Throws on its third step. */
class ThrowingEnv extends PendulumEnv {
  private steps = 0;
  override step(action: BoxAction): StepResult<Float32Array> {
    if (++this.steps === 3) throw new Error('boom');
    return super.step(action);
  }
}

/** Ends its whole thread on its second step, as crashing native code would. */
class ExitingEnv extends PendulumEnv {
  private steps = 0;
  override step(action: BoxAction): StepResult<Float32Array> {
    if (++this.steps === 2) process.exit(3);
    return super.step(action);
  }
}

/** Never returns from its second step. */
class HangingEnv extends PendulumEnv {
  private steps = 0;
  override step(action: BoxAction): StepResult<Float32Array> {
    if (++this.steps === 2) for (;;);
    return super.step(action);
  }
}

register('Throwing-v0', { create: () => new ThrowingEnv() });
register('Exiting-v0', { create: () => new ExitingEnv() });
register('Hanging-v0', { create: () => new HangingEnv() });

/**
 * Pendulum whose output goes bad from its `from`-th step counted over all episodes (200 steps
 * each), so a message can be checked for the episode (from ÷ 200) and the step within it.
 */
class BadNumbersEnv extends PendulumEnv {
  private steps = 0;
  constructor(override readonly id: string, private readonly from: number, private readonly spoil: (r: StepResult<Float32Array>) => void) {
    super();
  }
  override step(action: BoxAction): StepResult<Float32Array> {
    const r = super.step(action);
    if (++this.steps >= this.from) this.spoil(r);
    return r;
  }
}

/** NaN in observation[1] from step 250 on (episode 1, step 50). */
register('NanObservation-v0', { create: () => new BadNumbersEnv('NanObservation-v0', 250, (r) => { r.obs[1] = NaN; }), maxEpisodeSteps: 200 });
/** Reward −Infinity from step 250 on. */
register('InfiniteReward-v0', { create: () => new BadNumbersEnv('InfiniteReward-v0', 250, (r) => { r.reward = -Infinity; }), maxEpisodeSteps: 200 });
