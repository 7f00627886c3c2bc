/**
 * Observation normalisation for off-policy training: running mean and variance of every
 * observation the training env returns (Gymnasium's NormalizeObservation update), applied as
 * clip((x − μ) / √(σ² + ε), ±clip).
 *
 * The replay buffer keeps raw observations and normalises them when a batch is sampled, so a
 * batch always uses the current statistics (as Stable-Baselines3's VecNormalize does for
 * off-policy algorithms); a wrapper on the env instead would fill the buffer with
 * observations normalised by stale statistics.
 */
import type { OffPolicyAgent } from '../algos/agent.js';
import type { RowNormalizer } from '../replay/replay-buffer.js';

export interface ObsNormalizerState {
  count: number;
  mean: number[];
  variance: number[];
}

export class ObservationNormalizer implements RowNormalizer {
  private count = 1e-4;
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;

  constructor(readonly dim: number, readonly clip = 10, readonly epsilon = 1e-8) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`ObservationNormalizer: dim must be a positive integer, got ${dim}`);
    if (!(clip > 0)) throw new RangeError(`ObservationNormalizer: clip must be positive, got ${clip}`);
    this.mean = new Float64Array(dim);
    this.variance = new Float64Array(dim).fill(1);
  }

  /** One observation into the running statistics (the parallel algorithm with a batch of one). */
  update(x: ArrayLike<number>): void {
    if (x.length !== this.dim) throw new RangeError(`ObservationNormalizer.update: observation has ${x.length} values, expected ${this.dim}`);
    const total = this.count + 1;
    for (let i = 0; i < this.dim; i++) {
      const delta = x[i]! - this.mean[i]!;
      this.mean[i] = this.mean[i]! + delta / total;
      this.variance[i] = (this.variance[i]! * this.count + (delta * delta * this.count) / total) / total;
    }
    this.count = total;
  }

  normalize(src: ArrayLike<number>, srcOffset: number, dst: { [i: number]: number }, dstOffset: number): void {
    const c = this.clip;
    for (let i = 0; i < this.dim; i++) {
      const z = (src[srcOffset + i]! - this.mean[i]!) / Math.sqrt(this.variance[i]! + this.epsilon);
      dst[dstOffset + i] = z > c ? c : z < -c ? -c : z;
    }
  }

  state(): ObsNormalizerState {
    return { count: this.count, mean: Array.from(this.mean), variance: Array.from(this.variance) };
  }

  loadState(s: ObsNormalizerState): void {
    if (s.mean.length !== this.dim || s.variance.length !== this.dim || !(s.count > 0)) {
      throw new RangeError(`ObservationNormalizer.loadState: saved statistics for ${s.mean.length}-d observations (count ${s.count}) do not fit ${this.dim}-d ones`);
    }
    this.count = s.count;
    this.mean.set(s.mean);
    this.variance.set(s.variance);
  }
}

/** The agent acting on normalised observations (evaluation and data collection). */
export function normalizedActor(agent: OffPolicyAgent, normalizer: ObservationNormalizer): Pick<OffPolicyAgent, 'act'> {
  const scratch = new Float64Array(normalizer.dim);
  return {
    act(obs, explore, out) {
      normalizer.normalize(obs, 0, scratch, 0);
      agent.act(scratch, explore, out);
    },
  };
}
