/**
 * VariBAD's task-inference VAE (Zintgraf et al., ICLR 2020; the configuration Beck et al.,
 * CoRL 2022, use: spec Part B.1/B.3), after the reference code `lmzintgraf/varibad`
 * (`models/encoder.py`, `models/decoder.py`, `vae.py`).
 *
 * Encoder: per step, the action a_t, the next state s_{t+1} and the reward r_{t+1} are
 * embedded (Linear + ReLU: a→16, s→32, r→16), concatenated, fed to a GRU (256 in the
 * experiments), and two linear heads give the posterior q(m | τ_{:t}) = N(mean_t, exp(logvar_t)).
 * The prior (t = 0, nothing seen yet) is the heads applied to a zero hidden state, as in the
 * reference's `encoder.prior`, so one trial of T steps gives T + 1 beliefs.
 *
 * Decoders: the reward decoder maps (z, embed(s')[, embed(a)][, embed(s)]) through [64, 32] ReLU
 * layers to r (the reference's `input_action` and `input_prev_state`, both true in its MuJoCo
 * configs; s and s' share one embedding, as there); the optional state decoder maps
 * (z, embed(s), embed(a)) to s'. Every belief z_j (j = 0…T)
 * decodes every transition of the trial (`decode_only_past = False`), so the past is
 * reconstructed and the future predicted.
 *
 * ELBO (negated, minimised), as `vae.py` `compute_vae_loss` with its defaults
 * (`vae_avg_elbo_terms = vae_avg_reconstruction_terms = False`: sums over beliefs and
 * transitions, mean over trials; `klOverTrials` 'sum' sums the KL over the trials instead, as
 * the reference's `compute_loss` does, docs/meta-rl.md):
 *   L = rewardLossCoeff · Σ_j Σ_t (r̂(z_j, s'_t) − r_t)²
 *     + stateLossCoeff  · Σ_j Σ_t mean_d (ŝ'(z_j, s_t, a_t) − s'_t)²
 *     + klWeight        · Σ_{j=0}^{T} KL(q_j ‖ q_{j−1}),   q_{−1} = N(0, I),
 * with z_j = mean_j + exp(logvar_j / 2)·ε (reparameterised) and the closed-form Gaussian KL
 *   KL(N(μ, e^v) ‖ N(m, e^w)) = ½ Σ_d (w − v − 1 + e^{v−w} + (μ − m)² e^{−w}).
 * The cost is (T + 1)·T decoder rows per trial: 40,200 at T = 200.
 *
 * Subsampling (`ElboSubsample`, the reference's `vae_subsample_elbos` / `vae_subsample_decodes`
 * in jacooba/hyper's `compute_loss`): per trial, only E of the T + 1 beliefs are ELBO terms
 * (their KL and their decodes; drawn with replacement), and each of those decodes only D of
 * the T transitions (with replacement), so E·D decoder rows per trial instead of (T + 1)·T.
 * As in the reference the chosen terms are summed, not rescaled: the subsampled reward (state)
 * term's expectation is E·D / ((T + 1)·T) times the full one, the KL term's E / (T + 1) times.
 */
import type { Rng } from '../core/random.js';
import type { Engine } from '../tensor/engine.js';
import { add, broadcastTo, exp, mul, scale, square, sub, sum, squaredDifference, mean, affine } from '../tensor/ops/elementwise.js';
import { concat, gatherRows, reshape, slice } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { GRU } from './gru.js';
import { Linear, MLP } from './layers.js';
import { Module } from './module.js';

/** Sizes of the VAE; defaults are the reference code's (HalfCheetah-Dir / Ant-Dir experiments). */
export interface VaribadVaeOptions {
  stateDim: number;
  actionDim: number;
  /** Latent size: 5 (Cheetah, Ant), 10 (Walker). */
  latentDim?: number;
  /** GRU hidden size: 256 in the experiments (the reference default is 128). */
  hiddenSize?: number;
  stateEmbedDim?: number;
  actionEmbedDim?: number;
  rewardEmbedDim?: number;
  /** Hidden layers of both decoders. */
  decoderLayers?: readonly number[];
  /** Reward decoder also sees the action (`input_action`; true in the reference's MuJoCo configs). */
  rewardDecoderUsesAction?: boolean;
  /** Reward decoder also sees the state the transition starts from (`input_prev_state`; true in the reference's MuJoCo configs). */
  rewardDecoderUsesPrevState?: boolean;
  /** Build a state decoder (`decode_state`; Walker and ML10). */
  decodeState?: boolean;
}

export const VARIBAD_VAE_DEFAULTS = {
  latentDim: 5, hiddenSize: 256, stateEmbedDim: 32, actionEmbedDim: 16, rewardEmbedDim: 16,
  decoderLayers: [64, 32] as readonly number[], rewardDecoderUsesAction: false, rewardDecoderUsesPrevState: false, decodeState: false,
};

/** Per-step beliefs: [T + 1, B, L] each; row 0 is the prior. */
export interface Beliefs {
  means: Tensor;
  logvars: Tensor;
  /** [B, H]: the GRU state after the last step, to carry on acting. */
  last: Tensor;
}

/** A zero tensor of the current scope (no typed array allocated). */
function zeros(e: Engine, shape: number[]): Tensor {
  const t = e.empty(shape);
  e.backend.fill(t.size, t.offset, 0);
  return t;
}

const embed = (e: Engine, inp: number, out: number, rng: Rng): Linear => new Linear(e, inp, out, rng, { act: 'relu' });

/** Apply a [.., in] → [.., out] layer to a tensor of any rank by flattening the leading axes. */
function applyRows(layer: { forward(x: Tensor): Tensor; outputSize: number }, x: Tensor): Tensor {
  const lead = x.shape.slice(0, -1);
  return reshape(layer.forward(reshape(x, [x.size / x.shape[x.shape.length - 1]!, x.shape[x.shape.length - 1]!])), [...lead, layer.outputSize]);
}

/** The recurrent encoder q(m | τ_{:t}). */
export class VaribadEncoder extends Module {
  readonly stateEmbed: Linear;
  readonly actionEmbed: Linear;
  readonly rewardEmbed: Linear;
  readonly gru: GRU;
  readonly meanHead: Linear;
  readonly logvarHead: Linear;

  constructor(engine: Engine, readonly stateDim: number, readonly actionDim: number, readonly latentDim: number, readonly hiddenSize: number, rng: Rng,
    sizes: { stateEmbedDim: number; actionEmbedDim: number; rewardEmbedDim: number }) {
    super(engine);
    // Creation order follows encoder.py (action, state, reward embeddings, GRU, heads).
    this.actionEmbed = this.child('actionEmbed', embed(engine, actionDim, sizes.actionEmbedDim, rng));
    this.stateEmbed = this.child('stateEmbed', embed(engine, stateDim, sizes.stateEmbedDim, rng));
    this.rewardEmbed = this.child('rewardEmbed', embed(engine, 1, sizes.rewardEmbedDim, rng));
    this.gru = this.child('gru', new GRU(engine, sizes.actionEmbedDim + sizes.stateEmbedDim + sizes.rewardEmbedDim, hiddenSize, rng));
    this.meanHead = this.child('meanHead', new Linear(engine, hiddenSize, latentDim, rng));
    this.logvarHead = this.child('logvarHead', new Linear(engine, hiddenSize, latentDim, rng));
  }

  /** Embedded inputs [.., a+s+r embed] for actions [.., d_a], next states [.., d_s], rewards [.., 1]. */
  private inputs(actions: Tensor, nextStates: Tensor, rewards: Tensor): Tensor {
    const last = actions.rank - 1;
    return concat([applyRows(this.actionEmbed, actions), applyRows(this.stateEmbed, nextStates), applyRows(this.rewardEmbed, rewards)], last);
  }

  /** Posterior parameters from hidden states [.., H]. */
  heads(h: Tensor): { mean: Tensor; logvar: Tensor } {
    return { mean: applyRows(this.meanHead, h), logvar: applyRows(this.logvarHead, h) };
  }

  /**
   * Beliefs over a trial: actions [T, B, d_a], nextStates [T, B, d_s], rewards [T, B, 1]
   * (step t is the transition (s_t, a_t) → (r_t, s_{t+1})); h0 [B, H] (zeros at a trial's start).
   * Returns T + 1 beliefs: the prior from a zero state, then one per step.
   */
  forward(actions: Tensor, nextStates: Tensor, rewards: Tensor, h0: Tensor): Beliefs {
    const [T, B] = actions.shape as [number, number];
    const { outputs, last } = this.gru.forward(this.inputs(actions, nextStates, rewards), h0);
    const zero = zeros(this.engine, [1, B, this.hiddenSize]);
    const { mean: m, logvar: v } = this.heads(concat([zero, outputs], 0));
    if (m.shape[0] !== T + 1) throw new Error(`VaribadEncoder: expected ${T + 1} beliefs, got ${m.shape[0]}`);
    return { means: m, logvars: v, last };
  }

  /** One acting step: action [B, d_a], next state [B, d_s], reward [B, 1], h [B, H] → h' [B, H]. */
  step(action: Tensor, nextState: Tensor, reward: Tensor, h: Tensor): Tensor {
    return this.gru.step(this.inputs(action, nextState, reward), h);
  }
}

/** p(r | z, s'[, a][, s]): embeddings then [64, 32] ReLU layers to one output. */
export class RewardDecoder extends Module {
  /** Embeds s' and, with `usesPrevState`, s too (one embedding for both, as the reference's decoder). */
  readonly stateEmbed: Linear;
  readonly actionEmbed: Linear | null;
  readonly usesPrevState: boolean;
  readonly net: MLP;

  constructor(engine: Engine, latentDim: number, stateDim: number, actionDim: number, rng: Rng, o: typeof VARIBAD_VAE_DEFAULTS) {
    super(engine);
    this.stateEmbed = this.child('stateEmbed', embed(engine, stateDim, o.stateEmbedDim, rng));
    this.actionEmbed = o.rewardDecoderUsesAction ? this.child('actionEmbed', embed(engine, actionDim, o.actionEmbedDim, rng)) : null;
    this.usesPrevState = o.rewardDecoderUsesPrevState;
    const inp = latentDim + o.stateEmbedDim + (o.rewardDecoderUsesAction ? o.actionEmbedDim : 0) + (o.rewardDecoderUsesPrevState ? o.stateEmbedDim : 0);
    this.net = this.child('net', new MLP(engine, [inp, ...o.decoderLayers, 1], rng, { hiddenAct: 'relu' }));
  }

  /** z [N, L], nextState [N, d_s], action [N, d_a], state [N, d_s] (the transition's start; read with `usesPrevState`) → r̂ [N, 1]. */
  forward(z: Tensor, nextState: Tensor, action: Tensor, state?: Tensor): Tensor {
    // The reference's order: latent, next state, action, previous state.
    const parts = [z, this.stateEmbed.forward(nextState)];
    if (this.actionEmbed !== null) parts.push(this.actionEmbed.forward(action));
    if (this.usesPrevState) {
      if (state === undefined) throw new RangeError('RewardDecoder: built to read the previous state (input_prev_state), but forward got none');
      parts.push(this.stateEmbed.forward(state));
    }
    return this.net.forward(concat(parts, 1));
  }
}

/** p(s' | z, s, a): embeddings then [64, 32] ReLU layers to d_s outputs. */
export class StateDecoder extends Module {
  readonly stateEmbed: Linear;
  readonly actionEmbed: Linear;
  readonly net: MLP;

  constructor(engine: Engine, latentDim: number, stateDim: number, actionDim: number, rng: Rng, o: typeof VARIBAD_VAE_DEFAULTS) {
    super(engine);
    this.stateEmbed = this.child('stateEmbed', embed(engine, stateDim, o.stateEmbedDim, rng));
    this.actionEmbed = this.child('actionEmbed', embed(engine, actionDim, o.actionEmbedDim, rng));
    this.net = this.child('net', new MLP(engine, [latentDim + o.stateEmbedDim + o.actionEmbedDim, ...o.decoderLayers, stateDim], rng, { hiddenAct: 'relu' }));
  }

  /** z [N, L], state [N, d_s], action [N, d_a] → ŝ' [N, d_s]. */
  forward(z: Tensor, state: Tensor, action: Tensor): Tensor {
    return this.net.forward(concat([z, this.stateEmbed.forward(state), this.actionEmbed.forward(action)], 1));
  }
}

/** Σ_d KL(N(μ, e^v) ‖ N(m, e^w)) along the last axis (closed form). */
export function gaussianKl(mu: Tensor, logvar: Tensor, priorMu: Tensor, priorLogvar: Tensor): Tensor {
  const invPriorVar = exp(scale(priorLogvar, -1));
  const terms = add(affine(sub(priorLogvar, logvar), 1, -1), add(exp(sub(logvar, priorLogvar)), mul(square(sub(mu, priorMu)), invPriorVar)));
  return scale(sum(terms, terms.rank - 1), 0.5);
}

/**
 * KL of each belief to the one before it, the first to N(0, I): means, logvars [T + 1, B, L]
 * → [T + 1, B] (the reference's `compute_kl_loss` with `kl_to_gauss_prior = False`).
 */
export function klToPreviousPosterior(means: Tensor, logvars: Tensor): Tensor {
  const [n, B, L] = means.shape as [number, number, number];
  const prior = zeros(means.engine, [1, B, L]);
  const prevMeans = concat([prior, slice(means, 0, 0, n - 1)], 0);
  const prevLogvars = concat([prior, slice(logvars, 0, 0, n - 1)], 0);
  return gaussianKl(means, logvars, prevMeans, prevLogvars);
}

/** A batch of whole trials, time-major: obs [T + 1, B, d_s] (s_0 … s_T), actions [T, B, d_a], rewards [T, B, 1]. */
export interface TrialBatch {
  obs: Tensor;
  actions: Tensor;
  rewards: Tensor;
}

/** The KL term's reduction over a batch's trials (see VaeLossWeights.klOverTrials). */
export type KlOverTrials = 'mean' | 'sum' | 'jacooba-hyper';

/** Loss weights (spec B.3): KL weight 0.1 for Cheetah and Ant, 1.0 for Walker and Meta-World. */
export interface VaeLossWeights {
  klWeight: number;
  rewardLossCoeff: number;
  stateLossCoeff: number;
  /**
   * How the KL term combines the batch's trials: 'mean' (default), as the reconstruction terms;
   * 'sum', as lmzintgraf/varibad's `compute_loss` (`kl_loss.sum(dim=0).mean()` after summing
   * the ELBO terms), B times the mean for a batch of B trials; 'jacooba-hyper', as jacooba/hyper's
   * `compute_loss`: 'sum', except that with subsampled ELBO terms every trial adds the KL at
   * each of the E·B beliefs drawn for the batch (its `kl_divergences[elbo_indices]` indexes the
   * belief axis only), E·B·B terms instead of E·B.
   */
  klOverTrials?: KlOverTrials;
}

/** The ELBO's terms, each a scalar averaged over the trials of the batch (the KL summed over them with klOverTrials 'sum'). */
export interface VaeLoss {
  total: Tensor;
  reward: Tensor;
  state: Tensor | null;
  kl: Tensor;
}

/**
 * Which ELBO terms and decode targets a loss evaluates (see the module comment); null: all.
 * Indices are rows of the time-major [steps · B] flattening, so step j of trial b is j·B + b.
 */
export interface ElboSubsample {
  /** E·B rows of the beliefs [T + 1, B]: ELBO term e of trial b at [e·B + b] is belief j, stored as j·B + b. */
  elbos: Int32Array | null;
  /** E·D·B rows of the transitions [T, B]: decode d of term e of trial b at [(e·D + d)·B + b] is transition t, stored as t·B + b. */
  decodes: Int32Array | null;
}

const EVERY_TERM: ElboSubsample = { elbos: null, decodes: null };

/** Encoder + decoders. The policy reads `encoder`; the ELBO trains all of it (and only it). */
export class VaribadVae extends Module {
  readonly options: typeof VARIBAD_VAE_DEFAULTS & { stateDim: number; actionDim: number };
  readonly encoder: VaribadEncoder;
  readonly rewardDecoder: RewardDecoder;
  readonly stateDecoder: StateDecoder | null;

  constructor(engine: Engine, rng: Rng, opts: VaribadVaeOptions) {
    super(engine);
    const o = { ...VARIBAD_VAE_DEFAULTS, ...opts };
    for (const k of ['stateDim', 'actionDim', 'latentDim', 'hiddenSize', 'stateEmbedDim', 'actionEmbedDim', 'rewardEmbedDim'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`VaribadVae: ${k} must be a positive integer, got ${o[k]}`);
    }
    this.options = o;
    this.encoder = this.child('encoder', new VaribadEncoder(engine, o.stateDim, o.actionDim, o.latentDim, o.hiddenSize, rng, o));
    this.rewardDecoder = this.child('rewardDecoder', new RewardDecoder(engine, o.latentDim, o.stateDim, o.actionDim, rng, o));
    this.stateDecoder = o.decodeState ? this.child('stateDecoder', new StateDecoder(engine, o.latentDim, o.stateDim, o.actionDim, rng, o)) : null;
  }

  /**
   * The negative ELBO of a batch of trials. `noise` [T + 1, B, L] is the reparameterisation's
   * ε (standard normal; a fixed tensor makes the loss deterministic, e.g. for gradient checks).
   * `subsample` chooses the ELBO terms and decode targets (default: every one).
   */
  loss(batch: TrialBatch, noise: Tensor, w: VaeLossWeights, subsample: ElboSubsample = EVERY_TERM): VaeLoss {
    const { obs, actions, rewards } = batch;
    const [T1, B, S] = obs.shape as [number, number, number];
    const T = T1 - 1, L = this.options.latentDim, A = actions.shape[2]!;
    if (actions.shape[0] !== T || rewards.shape[0] !== T || actions.shape[1] !== B || rewards.shape[1] !== B) {
      throw new RangeError(`VaribadVae.loss: obs has ${T1} steps × ${B} trials, so actions and rewards need ${T} × ${B}; got [${actions.shape}] and [${rewards.shape}]`);
    }
    const nextStates = slice(obs, 0, 1, T1);
    const h0 = zeros(this.engine, [B, this.options.hiddenSize]);
    const { means, logvars } = this.encoder.forward(actions, nextStates, rewards, h0);
    const z = add(means, mul(exp(scale(logvars, 0.5)), noise));
    const klTerms = klToPreviousPosterior(means, logvars);
    // The ELBO terms: E beliefs per trial (all T + 1, or the subsample's), and their KLs.
    const { elbos, decodes } = subsample;
    const E = elbos === null ? T1 : elbos.length / B;
    if (!Number.isInteger(E) || E < 1) throw new RangeError(`VaribadVae.loss: ${elbos?.length} ELBO indices do not make whole terms of ${B} trials`);
    const zTerms = elbos === null ? z : reshape(gatherRows(reshape(z, [T1 * B, L]), elbos), [E, B, L]);
    const klOverTrials = w.klOverTrials ?? 'mean';
    // jacooba/hyper's subsample: drawn belief j (row j·B + b of elbos) adds the KLs of belief j of every trial.
    const drawnRows = klOverTrials === 'jacooba-hyper' && elbos !== null ? broadcastTo(sum(klTerms, 1, true), [T1, B]) : klTerms;
    const kl = scale(sum(elbos === null ? klTerms : gatherRows(reshape(drawnRows, [T1 * B, 1]), elbos)), klOverTrials === 'mean' ? 1 / B : 1);
    // Pair each term with D transitions: every one (rows [E·T·B]) or the subsample's.
    const D = decodes === null ? T : decodes.length / (E * B);
    if (!Number.isInteger(D) || D < 1) throw new RangeError(`VaribadVae.loss: ${decodes?.length} decode indices do not make whole sets for ${E} terms × ${B} trials`);
    const rows = E * D * B;
    const pairs = (x: Tensor, dim: number): Tensor => (decodes === null
      ? reshape(broadcastTo(reshape(x, [1, T, B, dim]), [E, T, B, dim]), [rows, dim])
      : gatherRows(reshape(x, [T * B, dim]), decodes));
    const zRows = reshape(broadcastTo(reshape(zTerms, [E, 1, B, L]), [E, D, B, L]), [rows, L]);
    const actionRows = pairs(actions, A);
    // The transitions' start states: the state decoder's input, and the reward decoder's with input_prev_state.
    const stateRows = this.stateDecoder !== null || this.rewardDecoder.usesPrevState ? pairs(slice(obs, 0, 0, T), S) : undefined;
    const rewardPred = this.rewardDecoder.forward(zRows, pairs(nextStates, S), actionRows, stateRows);
    const reward = scale(sum(squaredDifference(rewardPred, pairs(rewards, 1))), 1 / B);
    let total = add(scale(reward, w.rewardLossCoeff), scale(kl, w.klWeight));
    let state: Tensor | null = null;
    if (this.stateDecoder !== null && stateRows !== undefined) {
      const statePred = this.stateDecoder.forward(zRows, stateRows, actionRows);
      state = scale(sum(mean(squaredDifference(statePred, pairs(nextStates, S)), 1)), 1 / B);
      total = add(total, scale(state, w.stateLossCoeff));
    }
    return { total, reward, state, kl };
  }
}
