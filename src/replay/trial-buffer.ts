/**
 * A ring of whole BAMDP trials for VariBAD's VAE (the reference's `RolloutStorageVAE`,
 * 10,000 trajectories in the experiments): each entry is one trial of `steps` transitions,
 * s_0 … s_T, a_0 … a_{T−1}, r_0 … r_{T−1}, in preallocated typed arrays. Sampling fills a
 * preallocated time-major batch ([T + 1, B, d_s], [T, B, d_a], [T, B, 1]) that the caller
 * writes into tensors. The oldest trial is overwritten when full.
 */
import type { UniformSource } from './replay-buffer.js';

/** The stored trials (the first `size` entries of each array) and the ring position, for checkpoints. */
export interface TrialBufferState {
  size: number;
  next: number;
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
}

/** A sampled batch, time-major, valid until the next `sample` call. */
export interface TrialSample {
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
}

export class TrialBuffer {
  private readonly obs: Float32Array;
  private readonly actions: Float32Array;
  private readonly rewards: Float32Array;
  private readonly batch: TrialSample;
  private next = 0;
  size = 0;

  constructor(readonly capacity: number, readonly steps: number, readonly stateDim: number, readonly actionDim: number, readonly batchSize: number) {
    for (const [k, v] of [['capacity', capacity], ['steps', steps], ['stateDim', stateDim], ['actionDim', actionDim], ['batchSize', batchSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`TrialBuffer: ${k} must be a positive integer, got ${v}`);
    }
    this.obs = new Float32Array(capacity * (steps + 1) * stateDim);
    this.actions = new Float32Array(capacity * steps * actionDim);
    this.rewards = new Float32Array(capacity * steps);
    this.batch = {
      obs: new Float32Array((steps + 1) * batchSize * stateDim),
      actions: new Float32Array(steps * batchSize * actionDim),
      rewards: new Float32Array(steps * batchSize),
    };
  }

  /**
   * Store one trial from time-major rollout arrays holding `numEnvs` envs side by side:
   * obs[(t·numEnvs + env)·d_s …] for t = start … start + steps, and likewise actions and
   * rewards for t = start … start + steps − 1.
   */
  addTrial(obs: ArrayLike<number>, actions: ArrayLike<number>, rewards: ArrayLike<number>, env: number, numEnvs: number, start = 0): void {
    const { steps: T, stateDim: S, actionDim: A } = this;
    if (!(env >= 0 && env < numEnvs)) throw new RangeError(`TrialBuffer.addTrial: env ${env} is not in [0, ${numEnvs})`);
    if (obs.length < (start + T + 1) * numEnvs * S || actions.length < (start + T) * numEnvs * A || rewards.length < (start + T) * numEnvs) {
      throw new RangeError(`TrialBuffer.addTrial: a ${T}-step trial from step ${start} of ${numEnvs} envs needs ${(start + T + 1) * numEnvs * S} observation values, ${(start + T) * numEnvs * A} action values and ${(start + T) * numEnvs} rewards; got ${obs.length}, ${actions.length}, ${rewards.length}`);
    }
    const i = this.next;
    for (let t = 0; t <= T; t++) {
      const src = ((start + t) * numEnvs + env) * S, dst = (i * (T + 1) + t) * S;
      for (let d = 0; d < S; d++) this.obs[dst + d] = obs[src + d]!;
    }
    for (let t = 0; t < T; t++) {
      const src = ((start + t) * numEnvs + env) * A, dst = (i * T + t) * A;
      for (let d = 0; d < A; d++) this.actions[dst + d] = actions[src + d]!;
      this.rewards[i * T + t] = rewards[(start + t) * numEnvs + env]!;
    }
    this.next = (i + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** batchSize trials drawn uniformly with replacement, time-major. */
  sample(rng: UniformSource): TrialSample {
    if (this.size === 0) throw new Error('TrialBuffer.sample: the buffer is empty');
    const { steps: T, stateDim: S, actionDim: A, batchSize: B, batch } = this;
    for (let b = 0; b < B; b++) {
      const i = Math.floor(rng.uniform() * this.size);
      // Element copies, not subarray views: sampling allocates nothing.
      for (let t = 0; t <= T; t++) for (let d = 0; d < S; d++) batch.obs[(t * B + b) * S + d] = this.obs[(i * (T + 1) + t) * S + d]!;
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < A; d++) batch.actions[(t * B + b) * A + d] = this.actions[(i * T + t) * A + d]!;
        batch.rewards[t * B + b] = this.rewards[i * T + t]!;
      }
    }
    return batch;
  }

  /** Views of the stored trials (not copies): valid until the next `addTrial`. */
  state(): TrialBufferState {
    const { size, steps: T, stateDim: S, actionDim: A } = this;
    return {
      size, next: this.next,
      obs: this.obs.subarray(0, size * (T + 1) * S), actions: this.actions.subarray(0, size * T * A), rewards: this.rewards.subarray(0, size * T),
    };
  }

  /** Restore trials saved by `state()` from a buffer of the same shape (errors name the mismatch). */
  loadState(s: TrialBufferState): void {
    const { steps: T, stateDim: S, actionDim: A } = this;
    if (!Number.isInteger(s.size) || s.size < 0 || s.size > this.capacity || !Number.isInteger(s.next) || s.next < 0 || s.next >= this.capacity) {
      throw new RangeError(`TrialBuffer.loadState: size ${s.size} and next ${s.next} do not fit a buffer of ${this.capacity} trials`);
    }
    if (s.obs.length !== s.size * (T + 1) * S || s.actions.length !== s.size * T * A || s.rewards.length !== s.size * T) {
      throw new RangeError(`TrialBuffer.loadState: ${s.size} trials of ${T} steps need ${s.size * (T + 1) * S} observation values, ${s.size * T * A} action values and ${s.size * T} rewards (${S}-d states, ${A}-d actions); got ${s.obs.length}, ${s.actions.length}, ${s.rewards.length}`);
    }
    this.obs.set(s.obs);
    this.actions.set(s.actions);
    this.rewards.set(s.rewards);
    this.size = s.size;
    this.next = s.next;
  }
}
