/**
 * Uniform experience replay in preallocated typed arrays: one row per transition
 * (s, a, r, s', terminated). The ring overwrites the oldest transition when full.
 * `terminated` (not `truncated`) is stored, so targets bootstrap through time limits.
 * 1e6 Humanoid-size transitions (376-d observations) take ~3.1 GB, allocated once.
 */
import type { Tensor } from '../tensor/tensor.js';

export interface ReplaySample {
  obs: Tensor;
  actions: Tensor;
  rewards: Tensor;
  nextObs: Tensor;
  /** 1 − terminated: the bootstrap mask. */
  notDone: Tensor;
}

/** A uniform integer in [0, n) from a generator of uniforms in [0, 1). */
export interface UniformSource {
  uniform(): number;
}

export interface ReplayState {
  size: number;
  next: number;
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  terminated: Uint8Array;
}

/** Maps one stored observation row to its normalised form (see train/obs-normalizer.ts). */
export interface RowNormalizer {
  readonly dim: number;
  normalize(src: ArrayLike<number>, srcOffset: number, dst: { [i: number]: number }, dstOffset: number): void;
}

export class ReplayBuffer {
  private readonly obs: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly actions: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly picked: Int32Array;
  size = 0;
  private next = 0;
  /** Applied to observations as they are sampled (the buffer keeps them raw); null: none. */
  normalizer: RowNormalizer | null = null;

  constructor(readonly capacity: number, readonly obsDim: number, readonly actionDim: number, readonly maxBatch = 1024) {
    for (const [k, v] of [['capacity', capacity], ['obsDim', obsDim], ['actionDim', actionDim], ['maxBatch', maxBatch]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`ReplayBuffer: ${k} must be a positive integer, got ${v}`);
    }
    const gb = (capacity * (2 * obsDim + actionDim + 1) * 4 + capacity) / 2 ** 30;
    try {
      this.obs = new Float32Array(capacity * obsDim);
      this.nextObs = new Float32Array(capacity * obsDim);
      this.actions = new Float32Array(capacity * actionDim);
      this.rewards = new Float32Array(capacity);
      this.terminated = new Uint8Array(capacity);
    } catch (e) {
      throw new RangeError(`ReplayBuffer: cannot allocate ${gb.toFixed(2)} GB for ${capacity} transitions of ${obsDim}-d observations (${(e as Error).message}); lower the capacity`);
    }
    this.picked = new Int32Array(maxBatch);
  }

  /** Store one transition (copies the arrays). */
  add(obs: ArrayLike<number>, action: ArrayLike<number>, reward: number, nextObs: ArrayLike<number>, terminated: boolean): void {
    if (!Number.isFinite(reward)) throw new RangeError(`ReplayBuffer.add: reward is ${reward}`);
    const i = this.next;
    this.obs.set(obs, i * this.obsDim);
    this.nextObs.set(nextObs, i * this.obsDim);
    this.actions.set(action, i * this.actionDim);
    this.rewards[i] = reward;
    this.terminated[i] = terminated ? 1 : 0;
    this.next = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Forget every transition (PEARL empties a task's context buffer before collecting it anew); the arrays are kept. */
  clear(): void {
    this.size = 0;
    this.next = 0;
  }

  /** Draw `batch` transitions uniformly (with replacement) and write them into the sample's tensors. */
  sampleInto(batch: number, rng: UniformSource, out: ReplaySample): void {
    if (this.size === 0) throw new Error('ReplayBuffer.sampleInto: the buffer is empty');
    if (batch > this.maxBatch) throw new RangeError(`ReplayBuffer.sampleInto: batch ${batch} exceeds maxBatch ${this.maxBatch}`);
    const d = out.obs.engine.backend.arena.data;
    const { obsDim: od, actionDim: ad, normalizer: norm } = this;
    for (let b = 0; b < batch; b++) this.picked[b] = Math.floor(rng.uniform() * this.size);
    // Element loops rather than set(subarray(...)): a subarray is a new view object per row.
    for (let b = 0; b < batch; b++) {
      const i = this.picked[b]!;
      const o = out.obs.offset + b * od, no = out.nextObs.offset + b * od, src = i * od;
      if (norm !== null) {
        norm.normalize(this.obs, src, d, o);
        norm.normalize(this.nextObs, src, d, no);
      } else {
        for (let k = 0; k < od; k++) { d[o + k] = this.obs[src + k]!; d[no + k] = this.nextObs[src + k]!; }
      }
      const ao = out.actions.offset + b * ad, asrc = i * ad;
      for (let k = 0; k < ad; k++) d[ao + k] = this.actions[asrc + k]!;
      d[out.rewards.offset + b] = this.rewards[i]!;
      d[out.notDone.offset + b] = 1 - this.terminated[i]!;
    }
  }

  /** Contents for checkpoints (views of the filled part, not copies). */
  state(): ReplayState {
    const n = this.size;
    return {
      size: n, next: this.next,
      obs: this.obs.subarray(0, n * this.obsDim), nextObs: this.nextObs.subarray(0, n * this.obsDim),
      actions: this.actions.subarray(0, n * this.actionDim), rewards: this.rewards.subarray(0, n), terminated: this.terminated.subarray(0, n),
    };
  }

  loadState(s: ReplayState): void {
    if (s.size > this.capacity || s.obs.length !== s.size * this.obsDim || s.actions.length !== s.size * this.actionDim) {
      throw new RangeError(`ReplayBuffer.loadState: saved buffer (${s.size} transitions, ${s.obs.length / Math.max(1, s.size)}-d obs) does not fit this one (capacity ${this.capacity}, ${this.obsDim}-d obs, ${this.actionDim}-d actions)`);
    }
    this.obs.set(s.obs); this.nextObs.set(s.nextObs); this.actions.set(s.actions); this.rewards.set(s.rewards); this.terminated.set(s.terminated);
    this.size = s.size;
    this.next = s.next;
  }
}
