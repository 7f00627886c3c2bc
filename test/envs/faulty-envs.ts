/** Envs that fail on purpose, registered in AsyncVectorEnv workers through `setupModule` by vector.test.ts. */
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
