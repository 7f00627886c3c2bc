/**
 * Task inference for meta-RL policies (spec B.1, B.3), as conditioning providers an on-policy
 * loop calls once per vector-env step while acting and once per update while learning:
 *
 * - `VaribadBelief`: VariBAD. The VAE's encoder, run without gradient, gives each env's
 *   posterior (mean, logvar); the policy sees it normalised by running statistics
 *   (`norm_latent_for_policy`). The RL loss never reaches the encoder: `VaeTrainer` trains
 *   the VAE on the ELBO from a buffer of whole trials, separately from the policy.
 * - `RecurrentTaskEncoder`: RL² and RNN+HN. A GRU over (s, previous a, r, done) whose hidden
 *   state is the conditioning, trained by the RL loss: the update re-runs it over the
 *   rollout (`sequence`) from the hidden state the rollout started with. RL² feeds it to a
 *   Standard (concatenation) `MetaPolicy`, RNN+HN to a hypernetwork one; both also get the
 *   state, as `MetaPolicy.forward(obs, conditioning)` always does.
 *
 * Rollouts are time-major with N envs: step t's rows are [t·N, (t + 1)·N).
 */
import { RunningMeanStd } from '../../core/running-mean-std.js';
import type { Rng, Xoshiro128Rng } from '../../core/random.js';
import { GRU } from '../../nn/gru.js';
import { Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { Adam, clipGradNorm } from '../../nn/optim.js';
import { VaribadVae, type ElboSubsample, type VaeLossWeights } from '../../nn/varibad-vae.js';
import type { TrialBuffer } from '../../replay/trial-buffer.js';
import type { Engine } from '../../tensor/engine.js';
import { concat, reshape } from '../../tensor/ops/shape.js';
import { randomNormal } from '../../tensor/ops/random.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Zero the rows i of a persistent [N, H] state whose flag flags[offset + i] is set. */
function zeroRows(engine: Engine, state: Tensor, flags: ArrayLike<number>, offset: number): void {
  const [N, H] = state.shape as [number, number];
  for (let i = 0; i < N; i++) if (flags[offset + i] !== 0) engine.backend.fill(H, state.offset + i * H, 0);
}

/** Copy a scoped result into a persistent tensor of the same size. */
function carry(engine: Engine, from: Tensor, to: Tensor): void {
  engine.backend.axpby(to.size, 1, from.offset, 0, to.offset);
}

/** VariBAD's belief for N envs, and its running normalisation for the policy. */
export class VaribadBelief {
  readonly dim: number;
  /** Per env GRU state [N, H] (persistent; zero at a trial's start). */
  readonly hidden: Tensor;
  /** Raw (mean, logvar) per env [N, 2L], what the rollout stores. */
  readonly raw: Float32Array;
  readonly stats: RunningMeanStd;

  /** Whether `stats` is another belief's, read but not updated (evaluation normalises with the training statistics). */
  private readonly frozenStats: boolean;

  constructor(readonly engine: Engine, readonly vae: VaribadVae, readonly numEnvs: number, sharedStats?: RunningMeanStd) {
    const { latentDim: L, hiddenSize: H } = vae.options;
    this.dim = 2 * L;
    this.hidden = engine.persistent([numEnvs, H]);
    this.raw = new Float32Array(numEnvs * this.dim);
    this.frozenStats = sharedStats !== undefined;
    this.stats = sharedStats ?? new RunningMeanStd(this.dim);
    this.reset();
  }

  /** Every env starts a trial: beliefs = the prior. */
  reset(): void {
    this.engine.backend.fill(this.hidden.size, this.hidden.offset, 0);
    this.readBeliefs();
  }

  /**
   * After a vector-env step: action [N, d_a], next observation [N, d_s], reward [N, 1] of the
   * transition, and `trialEnded[offset + i]` per env i (1: that env's next observation starts a
   * new trial, so its belief returns to the prior). Updates `raw` and the running statistics.
   */
  observe(action: Tensor, nextObs: Tensor, reward: Tensor, trialEnded: ArrayLike<number>, offset = 0): void {
    const e = this.engine;
    e.scope(() => e.noGrad(() => carry(e, this.vae.encoder.step(action, nextObs, reward, this.hidden), this.hidden)));
    zeroRows(e, this.hidden, trialEnded, offset);
    this.readBeliefs();
  }

  /**
   * The normalised beliefs after one more transition, written into dst (rows of `dim`),
   * without changing the state or the statistics: a bootstrap value's conditioning.
   */
  peek(action: Tensor, nextObs: Tensor, reward: Tensor, dst: { [i: number]: number }): void {
    const e = this.engine;
    e.scope(() => e.noGrad(() => {
      const { mean, logvar } = this.vae.encoder.heads(this.vae.encoder.step(action, nextObs, reward, this.hidden));
      const rows = concat([mean, logvar], 1);
      this.normalize(e.backend.arena.data, dst, this.numEnvs, rows.offset);
    }));
  }

  /** `rows` rows of `dim` beliefs from raw[rawOffset …] normalised into dst[dstOffset …] (the policy's conditioning). */
  normalize(raw: ArrayLike<number>, dst: { [i: number]: number }, rows: number, rawOffset = 0, dstOffset = 0): void {
    for (let r = 0; r < rows; r++) this.stats.normalize(raw, rawOffset + r * this.dim, dst, dstOffset + r * this.dim);
  }

  private readBeliefs(): void {
    const e = this.engine, N = this.numEnvs, L = this.dim / 2;
    e.scope(() => e.noGrad(() => {
      const { mean, logvar } = this.vae.encoder.heads(this.hidden);
      const m = e.backend.arena.data, v = e.backend.arena.data;
      for (let i = 0; i < N; i++) {
        for (let d = 0; d < L; d++) {
          this.raw[i * this.dim + d] = m[mean.offset + i * L + d]!;
          this.raw[i * this.dim + L + d] = v[logvar.offset + i * L + d]!;
        }
      }
    }));
    // Every env's belief into the statistics at once, as the reference's update_rms takes a batch of them.
    if (!this.frozenStats) this.stats.updateBatch(this.raw, N);
  }
}

/** Options of the VAE update. */
export interface VaeTrainerOptions {
  lr?: number;
  maxGradNorm?: number;
  /** ELBO terms per trial, drawn with replacement from the T + 1 beliefs (`vae_subsample_elbos`); 0: every belief. */
  subsampleElbos?: number;
  /** Decode targets per ELBO term, drawn with replacement from the T transitions (`vae_subsample_decodes`); 0: every transition. */
  subsampleDecodes?: number;
}

/** VariBAD's VAE update: Adam (lr 1e-3) on the ELBO of trials sampled from the buffer, optionally subsampled (`ElboSubsample`). */
export class VaeTrainer {
  readonly optimizer: Adam;
  private readonly params: Tensor[];
  private readonly maxGradNorm: number;
  /** The update's ELBO terms and decode targets, redrawn every update (preallocated). */
  private readonly subsample: ElboSubsample;

  constructor(readonly engine: Engine, readonly vae: VaribadVae, readonly buffer: TrialBuffer, readonly weights: VaeLossWeights, opts: VaeTrainerOptions = {}) {
    if (buffer.stateDim !== vae.options.stateDim || buffer.actionDim !== vae.options.actionDim) {
      throw new RangeError(`VaeTrainer: buffer holds ${buffer.stateDim}-d states and ${buffer.actionDim}-d actions, the VAE expects ${vae.options.stateDim} and ${vae.options.actionDim}`);
    }
    const E = opts.subsampleElbos ?? 0, D = opts.subsampleDecodes ?? 0, B = buffer.batchSize;
    for (const [k, v] of [['subsampleElbos', E], ['subsampleDecodes', D]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`VaeTrainer: ${k} must be a non-negative integer (0: no subsampling), got ${v}`);
    }
    this.params = vae.parameters();
    this.optimizer = new Adam(engine, this.params, { lr: opts.lr ?? 1e-3 });
    this.maxGradNorm = opts.maxGradNorm ?? Infinity;
    this.subsample = {
      elbos: E > 0 ? new Int32Array(E * B) : null,
      decodes: D > 0 ? new Int32Array((E > 0 ? E : buffer.steps + 1) * D * B) : null,
    };
  }

  /** Draw the update's ELBO terms (beliefs 0 … T) and decode targets (transitions 0 … T − 1) per trial, uniformly with replacement. */
  private drawSubsample(rng: Xoshiro128Rng): void {
    const B = this.buffer.batchSize, T = this.buffer.steps;
    const { elbos, decodes } = this.subsample;
    if (elbos !== null) for (let k = 0; k < elbos.length; k++) elbos[k] = Math.floor(rng.uniform() * (T + 1)) * B + (k % B);
    if (decodes !== null) for (let k = 0; k < decodes.length; k++) decodes[k] = Math.floor(rng.uniform() * T) * B + (k % B);
  }

  /** One gradient step on a sampled batch; returns the loss terms (per trial). */
  update(rng: Xoshiro128Rng): { total: number; reward: number; state: number | null; kl: number } {
    const e = this.engine, b = this.buffer, T = b.steps, B = b.batchSize;
    const s = b.sample(rng);
    this.drawSubsample(rng);
    return e.scope(() => {
      const batch = {
        obs: e.tensor(s.obs, [T + 1, B, b.stateDim]),
        actions: e.tensor(s.actions, [T, B, b.actionDim]),
        rewards: e.tensor(s.rewards, [T, B, 1]),
      };
      const loss = this.vae.loss(batch, randomNormal(e, [T + 1, B, this.vae.options.latentDim], rng), this.weights, this.subsample);
      e.backward(loss.total, this.params, false);
      if (Number.isFinite(this.maxGradNorm)) clipGradNorm(e, this.params, this.maxGradNorm);
      this.optimizer.step();
      return { total: loss.total.item(), reward: loss.reward.item(), state: loss.state === null ? null : loss.state.item(), kl: loss.kl.item() };
    });
  }
}

/** Sizes of the RL² / RNN+HN encoder. */
export interface RecurrentTaskEncoderOptions {
  stateDim: number;
  actionDim: number;
  hiddenSize?: number;
  stateEmbedDim?: number;
  actionEmbedDim?: number;
  rewardEmbedDim?: number;
}

/**
 * RL² / RNN+HN: embeddings s→32, previous a→16, r→16 (Linear + ReLU) and the done flag
 * fed raw to a GRU; the hidden state is the conditioning, trained by the RL loss.
 */
export class RecurrentTaskEncoder extends Module {
  readonly stateEmbed: Linear;
  readonly actionEmbed: Linear;
  readonly rewardEmbed: Linear;
  readonly gru: GRU;
  readonly dim: number;

  constructor(engine: Engine, rng: Rng, opts: RecurrentTaskEncoderOptions) {
    super(engine);
    const H = opts.hiddenSize ?? 256, sE = opts.stateEmbedDim ?? 32, aE = opts.actionEmbedDim ?? 16, rE = opts.rewardEmbedDim ?? 16;
    this.stateEmbed = this.child('stateEmbed', new Linear(engine, opts.stateDim, sE, rng, { act: 'relu' }));
    this.actionEmbed = this.child('actionEmbed', new Linear(engine, opts.actionDim, aE, rng, { act: 'relu' }));
    this.rewardEmbed = this.child('rewardEmbed', new Linear(engine, 1, rE, rng, { act: 'relu' }));
    this.gru = this.child('gru', new GRU(engine, sE + aE + rE + 1, H, rng));
    this.dim = H;
  }

  /** Embedded inputs [N, in]: obs [N, d_s], prevAction [N, d_a], reward [N, 1], done [N, 1]. */
  private inputs(obs: Tensor, prevAction: Tensor, reward: Tensor, done: Tensor): Tensor {
    return concat([this.stateEmbed.forward(obs), this.actionEmbed.forward(prevAction), this.rewardEmbed.forward(reward), done], 1);
  }

  /** Acting: one step on persistent state h [N, H] (updated in place, no gradient); resets [N] zero rows first (trial start). */
  act(obs: Tensor, prevAction: Tensor, reward: Tensor, done: Tensor, h: Tensor, resets: Tensor | null): void {
    const e = this.engine;
    e.scope(() => e.noGrad(() => carry(e, this.step(obs, prevAction, reward, done, h, resets), h)));
  }

  /** The state [N, H] after one step from h, in the current scope (h unchanged). */
  step(obs: Tensor, prevAction: Tensor, reward: Tensor, done: Tensor, h: Tensor, resets: Tensor | null): Tensor {
    return this.gru.step(this.inputs(obs, prevAction, reward, done), h, resets);
  }

  /**
   * Learning: the conditioning of a whole rollout [T·N, H] with gradient, from the hidden state
   * h0 [N, H] the rollout started with; inputs are [T·N, ·] time-major, resets [T, N] (1 where a
   * step starts a new trial).
   */
  sequence(obs: Tensor, prevActions: Tensor, rewards: Tensor, dones: Tensor, h0: Tensor, resets: Tensor | null): Tensor {
    const N = h0.shape[0]!, T = obs.shape[0]! / N;
    const x = this.inputs(obs, prevActions, rewards, dones);
    const { outputs } = this.gru.forward(reshape(x, [T, N, x.shape[1]!]), h0, resets);
    return reshape(outputs, [T * N, this.dim]);
  }
}
