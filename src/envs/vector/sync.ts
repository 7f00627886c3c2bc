/** SyncVectorEnv: the envs stepped one after another in this thread. */
import type { Env } from '../core.js';
import { prepare, makeSync, type MakeOptions } from '../registry.js';
import { Float32Observation } from '../wrappers.js';
import { Box, type Discrete } from '../spaces.js';
import { NonFiniteError } from '../../core/non-finite.js';
import { checkResetArgs, describeFailure, EnvSlot, resetOptionsOf, vectorFailure, type Slabs } from './slots.js';
import type { VectorEnv, VectorEnvOptions, VectorResetArgs, VectorResetResult, VectorStepResult } from './vector-env.js';

export class SyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Box | Discrete;
  private readonly slabs: Slabs;
  private readonly slots: EnvSlot[];
  private readonly actionSize: number;
  private readonly stepResult: VectorStepResult;

  /** `numEnvs` envs from the registry (with `make`'s time limits). */
  static async create(id: string, numEnvs: number, options: VectorEnvOptions = {}): Promise<SyncVectorEnv> {
    await prepare(id);
    return new SyncVectorEnv(Array.from({ length: numEnvs }, () => makeVectorMember(id, options)));
  }

  constructor(private readonly envs: Env[]) {
    if (envs.length === 0) throw new RangeError('SyncVectorEnv: needs at least one env');
    const first = envs[0]!;
    this.numEnvs = envs.length;
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    const obsSize = first.observationSpace.size;
    this.actionSize = first.actionSpace instanceof Box ? first.actionSpace.size : 1;
    const obs = first.observationSpace.dtype === 'float64' ? new Float64Array(this.numEnvs * obsSize) : new Float32Array(this.numEnvs * obsSize);
    this.slabs = {
      obs,
      actions: new Float64Array(this.numEnvs * this.actionSize),
      rewards: new Float64Array(this.numEnvs),
      terminations: new Uint8Array(this.numEnvs),
      truncations: new Uint8Array(this.numEnvs),
    };
    this.slots = envs.map((env, i) => new EnvSlot(env, i, this.slabs, obsSize, this.actionSize));
    const { rewards, terminations, truncations } = this.slabs;
    this.stepResult = { obs, rewards, terminations, truncations };
  }

  reset(args: VectorResetArgs = {}): VectorResetResult {
    checkResetArgs(`SyncVectorEnv(${this.slots[0]!.env.id})`, args, this.numEnvs);
    for (const slot of this.slots) {
      try {
        slot.reset(args.seed, resetOptionsOf(args, slot.index));
      } catch (error) {
        throw vectorFailure(describeFailure(slot.env.id, slot.index, 'reset', error), error instanceof NonFiniteError, error);
      }
    }
    return { obs: this.slabs.obs };
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    if (actions.length !== this.slabs.actions.length) {
      throw new RangeError(`SyncVectorEnv(${this.slots[0]!.env.id}): actions have length ${actions.length}, expected ${this.numEnvs} × ${this.actionSize}`);
    }
    this.slabs.actions.set(actions);
    for (const slot of this.slots) {
      try {
        slot.step();
      } catch (error) {
        throw vectorFailure(describeFailure(slot.env.id, slot.index, `step ${slot.steps}`, error), error instanceof NonFiniteError, error);
      }
    }
    return this.stepResult;
  }

  async close(): Promise<void> {
    for (const env of this.envs) env.close();
  }
}

/** One member env of a vector env built from the registry. */
export function makeVectorMember(id: string, options: VectorEnvOptions): Env {
  const env = makeSync(id, (options.envOptions ?? {}) as MakeOptions);
  return options.float32Observations ? new Float32Observation(env) : env;
}
