/**
 * On-policy rollout storage: numSteps × numEnvs rows (row t·numEnvs + i is env i at step t)
 * of observation, action, log-probability, value, reward and end flags, preallocated once,
 * then GAE computed in place and minibatches gathered into persistent tensors in a
 * permuted order drawn from the agent's generator. Nothing is allocated per step.
 *
 * Vector envs autoreset on the step after an episode ends (Gymnasium 1.x "next step"): that
 * step's action is ignored and it reports the new episode's first observation. Its row is
 * kept but marked invalid: it carries no transition (zero advantage, zero weight in the
 * losses), and its value V(final observation), computed while acting on the ended
 * episode's last observation, is what a time-limit truncation bootstraps from. The row
 * after it starts an episode (`episodeStarts`: a recurrent agent resets its state there).
 *
 * Recurrent agents (`sequenceLength` > 1) learn from whole sequences: each env's rollout is
 * cut into segments of `sequenceLength` steps, the agent stores its hidden state at the
 * start of each segment (`hiddens`), and a minibatch is a set of segments laid out time-major
 * (row τ·S + j is step τ of segment j), to be unrolled from the stored states with
 * truncated backpropagation through time.
 */
import type { Tensor } from '../tensor/tensor.js';

/** A uniform integer in [0, n) (the agent's seeded generator). */
export interface IntegerSource {
  integer(n: number): number;
}

/** Persistent tensors one minibatch is gathered into (shapes [size, ·]; time-major for sequences). */
export interface RolloutMinibatch {
  obs: Tensor;
  actions: Tensor;
  logProbs: Tensor;
  values: Tensor;
  advantages: Tensor;
  returns: Tensor;
  /** 1 / (valid rows) on valid rows, 0 on autoreset rows: weights of the losses' means. */
  weights: Tensor;
}

/** A minibatch of S whole segments of L steps: the rows time-major, [L·S, ·]. */
export interface SequenceMinibatch extends RolloutMinibatch {
  /** 1 where a step starts an episode (reset the state before it), [L·S, 1]. */
  episodeStarts: Tensor;
  /** The agent's state before each segment's first step, [S, hiddenSize]. */
  hidden: Tensor;
}

export interface RecurrentStorage {
  /** Steps per segment (divides numSteps). */
  sequenceLength: number;
  /** Width of the state stored at segment starts. */
  hiddenSize: number;
}

export interface GaeOptions {
  gamma: number;
  lambda: number;
  /** Truncated episodes bootstrap from V(final observation); false: truncation ends the return like a termination (CleanRL). */
  bootstrapTruncated: boolean;
}

export class RolloutBuffer {
  readonly size: number;
  readonly obs: Float32Array;
  readonly actions: Float64Array;
  readonly logProbs: Float64Array;
  readonly values: Float64Array;
  readonly rewards: Float64Array;
  readonly terminations: Uint8Array;
  readonly truncations: Uint8Array;
  /** 0 on rows of autoreset steps (see the module comment). */
  readonly valid: Uint8Array;
  /** 1 on the first row of an episode (after an autoreset row, or after the envs were reset from outside). */
  readonly episodeStarts: Uint8Array;
  /** Hidden states at segment starts, [numSteps / sequenceLength, numEnvs, hiddenSize] (recurrent agents only). */
  readonly hiddens: Float32Array | null;
  readonly sequenceLength: number;
  readonly advantages: Float64Array;
  readonly returns: Float64Array;
  /** The step being filled (0 … numSteps). */
  step = 0;
  /** Per env: its last recorded step ended an episode, so its next step is an autoreset. */
  private readonly episodeEnded: Uint8Array;
  /** Per env: its next valid row starts an episode. */
  private readonly pendingStart: Uint8Array;
  /** Rows (or segments, for sequences) in minibatch order. */
  private readonly order: Int32Array;

  constructor(readonly numSteps: number, readonly numEnvs: number, readonly obsDim: number, readonly actionDim: number, recurrent?: RecurrentStorage) {
    for (const [k, v] of [['numSteps', numSteps], ['numEnvs', numEnvs], ['obsDim', obsDim], ['actionDim', actionDim], ['sequenceLength', recurrent?.sequenceLength ?? 1], ['hiddenSize', recurrent?.hiddenSize ?? 1]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`RolloutBuffer: ${k} must be a positive integer, got ${v}`);
    }
    this.sequenceLength = recurrent?.sequenceLength ?? 1;
    if (numSteps % this.sequenceLength !== 0) throw new RangeError(`RolloutBuffer: sequenceLength ${this.sequenceLength} does not divide numSteps ${numSteps}`);
    const n = (this.size = numSteps * numEnvs);
    this.obs = new Float32Array(n * obsDim);
    this.actions = new Float64Array(n * actionDim);
    this.logProbs = new Float64Array(n);
    this.values = new Float64Array(n);
    this.rewards = new Float64Array(n);
    this.terminations = new Uint8Array(n);
    this.truncations = new Uint8Array(n);
    this.valid = new Uint8Array(n);
    this.advantages = new Float64Array(n);
    this.returns = new Float64Array(n);
    this.episodeStarts = new Uint8Array(n);
    this.hiddens = recurrent === undefined ? null : new Float32Array((numSteps / this.sequenceLength) * numEnvs * recurrent.hiddenSize);
    this.episodeEnded = new Uint8Array(numEnvs);
    this.pendingStart = new Uint8Array(numEnvs).fill(1);
    this.order = new Int32Array(n);
  }

  /** Segments of sequenceLength steps (numEnvs per segment start); rows when sequenceLength is 1. */
  get segments(): number {
    return this.size / this.sequenceLength;
  }

  get full(): boolean {
    return this.step === this.numSteps;
  }

  /** First row of the current step (rows step·numEnvs … step·numEnvs + numEnvs − 1). */
  get row(): number {
    return this.step * this.numEnvs;
  }

  /** Store the observations of every env for the current step (numEnvs × obsDim values). */
  addObservations(obs: ArrayLike<number>): void {
    if (this.full) throw new Error(`RolloutBuffer: all ${this.numSteps} steps are filled; run the update and clear() first`);
    const { numEnvs: n, obsDim: od } = this;
    if (obs.length !== n * od) throw new RangeError(`RolloutBuffer.addObservations: ${obs.length} values, expected ${n} envs × ${od}`);
    const o = this.row * od;
    for (let k = 0; k < n * od; k++) {
      const v = obs[k]!;
      if (!Number.isFinite(v)) throw new RangeError(`RolloutBuffer.addObservations: env ${Math.floor(k / od)} observation[${k % od}] is ${v} at step ${this.step}`);
      this.obs[o + k] = v;
    }
    for (let i = 0; i < n; i++) {
      const valid = this.episodeEnded[i] ? 0 : 1;
      this.valid[this.row + i] = valid;
      this.episodeStarts[this.row + i] = valid & this.pendingStart[i]!;
      this.pendingStart[i] = valid === 0 ? 1 : 0;
    }
  }

  /** Store the outcome of the current step (after actions, log-probabilities and values were written) and move on. */
  addOutcome(rewards: ArrayLike<number>, terminations: ArrayLike<number>, truncations: ArrayLike<number>): void {
    const r0 = this.row;
    for (let i = 0; i < this.numEnvs; i++) {
      const r = rewards[i]!;
      if (!Number.isFinite(r)) throw new RangeError(`RolloutBuffer.addOutcome: env ${i} reward is ${r} at step ${this.step}`);
      this.rewards[r0 + i] = r;
      this.terminations[r0 + i] = terminations[i] ? 1 : 0;
      this.truncations[r0 + i] = truncations[i] ? 1 : 0;
      this.episodeEnded[i] = terminations[i] || truncations[i] ? 1 : 0;
    }
    this.step++;
  }

  /** Every env was just reset from outside (no autoreset step follows). */
  restartEpisodes(): void {
    this.episodeEnded.fill(0);
    this.pendingStart.fill(1);
  }

  /** Start the next rollout (the episode-end flags of the last step carry over). */
  clear(): void {
    this.step = 0;
  }

  /**
   * Generalised advantage estimation (Schulman et al. 2016) in place, backwards over each
   * env's steps: δ_t = r_t + γ·V_{t+1}·(1 − cut_t) − V_t, A_t = δ_t + γλ·(1 − ended_t)·A_{t+1},
   * return_t = A_t + V_t. V_{t+1} is the next row's value, or `nextValues` (V of the
   * observations after the last step) at the end. cut_t: terminated (or truncated, without
   * bootstrapping); ended_t: terminated or truncated.
   */
  computeAdvantages(nextValues: ArrayLike<number>, opts: GaeOptions): void {
    if (!this.full) throw new Error(`RolloutBuffer.computeAdvantages: only ${this.step} of ${this.numSteps} steps are filled`);
    const { numSteps: steps, numEnvs: n } = this;
    const { gamma, lambda, bootstrapTruncated } = opts;
    for (let i = 0; i < n; i++) {
      let next = 0;
      for (let t = steps - 1; t >= 0; t--) {
        const k = t * n + i;
        if (this.valid[k] === 0) {
          this.advantages[k] = 0;
          this.returns[k] = this.values[k]!;
          next = 0;
          continue;
        }
        const nextValue = t === steps - 1 ? nextValues[i]! : this.values[k + n]!;
        const cut = this.terminations[k] === 1 || (this.truncations[k] === 1 && !bootstrapTruncated);
        const ended = this.terminations[k] === 1 || this.truncations[k] === 1;
        const delta = this.rewards[k]! + (cut ? 0 : gamma * nextValue) - this.values[k]!;
        next = delta + (ended ? 0 : gamma * lambda * next);
        this.advantages[k] = next;
        this.returns[k] = next + this.values[k]!;
      }
    }
  }

  /**
   * A fresh uniformly random order of all rows, or of all segments for sequences
   * (Fisher–Yates from the identity, so it depends on the generator only).
   */
  shuffle(rng: IntegerSource): void {
    const o = this.order, units = this.segments;
    for (let k = 0; k < units; k++) o[k] = k;
    for (let k = units - 1; k > 0; k--) {
      const j = rng.integer(k + 1);
      const tmp = o[k]!;
      o[k] = o[j]!;
      o[j] = tmp;
    }
  }

  /**
   * Gather minibatch `index` (rows order[index·size, (index + 1)·size)) into `mb`'s tensors;
   * returns how many of its rows are valid (0: nothing to learn from).
   */
  minibatchInto(index: number, mb: RolloutMinibatch): number {
    const size = mb.obs.shape[0]!;
    if (this.sequenceLength !== 1) throw new Error('RolloutBuffer.minibatchInto: this buffer holds sequences; use sequenceMinibatchInto');
    if (!Number.isInteger(index) || index < 0 || (index + 1) * size > this.size) throw new RangeError(`RolloutBuffer.minibatchInto: minibatch ${index} of size ${size} is outside the ${this.size} rows`);
    let count = 0;
    for (let b = 0; b < size; b++) count += this.valid[this.order[index * size + b]!]!;
    const weight = count === 0 ? 0 : 1 / count;
    for (let b = 0; b < size; b++) this.gatherRow(this.order[index * size + b]!, b, mb, weight);
    return count;
  }

  /**
   * Gather minibatch `index` of whole segments (segments order[index·S, (index + 1)·S), S =
   * mb.hidden's rows) time-major into `mb`, with their episode starts and stored hidden
   * states; returns how many of its rows are valid.
   */
  sequenceMinibatchInto(index: number, mb: SequenceMinibatch): number {
    const hiddens = this.hiddens;
    if (hiddens === null) throw new Error('RolloutBuffer.sequenceMinibatchInto: this buffer was made without recurrent storage');
    const [seqs, width] = mb.hidden.shape as [number, number];
    const len = this.sequenceLength, n = this.numEnvs;
    if (mb.obs.shape[0] !== len * seqs || width * this.segments !== hiddens.length) throw new RangeError(`RolloutBuffer.sequenceMinibatchInto: a minibatch of ${seqs} segments of ${len} steps needs ${len * seqs} rows and hidden states of ${hiddens.length / this.segments}, got ${mb.obs.shape[0]} and ${width}`);
    if (!Number.isInteger(index) || index < 0 || (index + 1) * seqs > this.segments) throw new RangeError(`RolloutBuffer.sequenceMinibatchInto: minibatch ${index} of ${seqs} segments is outside the ${this.segments} segments`);
    // Segment g is env g % numEnvs over steps [⌊g / numEnvs⌋·L, +L): its rows are (⌊g / n⌋·L + τ)·n + g % n.
    const rowOf = (g: number, tau: number): number => (Math.floor(g / n) * len + tau) * n + (g % n);
    let count = 0;
    for (let j = 0; j < seqs; j++) for (let tau = 0; tau < len; tau++) count += this.valid[rowOf(this.order[index * seqs + j]!, tau)]!;
    const weight = count === 0 ? 0 : 1 / count;
    const d = mb.obs.engine.backend.arena.data;
    for (let j = 0; j < seqs; j++) {
      const g = this.order[index * seqs + j]!;
      for (let tau = 0; tau < len; tau++) {
        const k = rowOf(g, tau), b = tau * seqs + j;
        this.gatherRow(k, b, mb, weight);
        d[mb.episodeStarts.offset + b] = this.episodeStarts[k]!;
      }
      for (let h = 0; h < width; h++) d[mb.hidden.offset + j * width + h] = hiddens[g * width + h]!;
    }
    return count;
  }

  /** Index into `hiddens` of env i's state at the start of the segment beginning at the current step (a multiple of sequenceLength). */
  hiddenOffset(env: number): number {
    if (this.hiddens === null) throw new Error('RolloutBuffer.hiddenOffset: this buffer was made without recurrent storage');
    if (this.step % this.sequenceLength !== 0) throw new Error(`RolloutBuffer.hiddenOffset: step ${this.step} does not start a segment of ${this.sequenceLength} steps`);
    return ((this.step / this.sequenceLength) * this.numEnvs + env) * (this.hiddens.length / this.segments);
  }

  /** Row k into position b of a minibatch. Element loops rather than set(subarray(...)): a subarray is a new view object per row. */
  private gatherRow(k: number, b: number, mb: RolloutMinibatch, weight: number): void {
    const d = mb.obs.engine.backend.arena.data;
    const { obsDim: od, actionDim: ad } = this;
    const o = mb.obs.offset + b * od, src = k * od;
    for (let j = 0; j < od; j++) d[o + j] = this.obs[src + j]!;
    const a = mb.actions.offset + b * ad, asrc = k * ad;
    for (let j = 0; j < ad; j++) d[a + j] = this.actions[asrc + j]!;
    d[mb.logProbs.offset + b] = this.logProbs[k]!;
    d[mb.values.offset + b] = this.values[k]!;
    d[mb.advantages.offset + b] = this.advantages[k]!;
    d[mb.returns.offset + b] = this.returns[k]!;
    d[mb.weights.offset + b] = this.valid[k]! * weight;
  }

  /** 1 − Var[return − value] / Var[return] over the valid rows (NaN when the returns do not vary), CleanRL's diagnostic. */
  explainedVariance(): number {
    let n = 0, sy = 0, syy = 0, se = 0, see = 0;
    for (let k = 0; k < this.size; k++) {
      if (this.valid[k] === 0) continue;
      const y = this.returns[k]!, e = y - this.values[k]!;
      n++; sy += y; syy += y * y; se += e; see += e * e;
    }
    if (n === 0) return Number.NaN;
    const varY = syy / n - (sy / n) ** 2;
    return varY <= 0 ? Number.NaN : 1 - (see / n - (se / n) ** 2) / varY;
  }
}
