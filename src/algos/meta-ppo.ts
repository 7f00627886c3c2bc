/**
 * Meta-RL on PPO (spec Part B): VariBAD (Zintgraf et al. 2020), RL² (Duan et al. 2016) and
 * RNN+HN (Beck et al. 2023), each with a MetaPolicy (src/nn/meta-policy.ts: Standard,
 * hypernetwork or FiLM, every initialisation of Beck et al. 2022), read top to bottom:
 * config → networks → acting (task inference, then the policy) → PPO update (and, VariBAD,
 * the VAE update).
 *
 * The envs are BAMDPs: `episodesPerTrial` episodes on one task make a trial
 * (src/envs/meta/bamdp.ts), and each vector env draws its own task per trial. For the
 * vector env a trial is an episode: it ends, autoresets and the next trial starts on a new
 * task; episode boundaries inside a trial are the observation's last entry when k > 1.
 * Evaluation runs whole trials on test tasks (task_split 'test'), so eval/return_mean is
 * the meta-test return summed over a trial's k episodes.
 *
 * Task inference, per method:
 * - varibad: the VAE's recurrent encoder turns the trial so far, (a, s', r) per step, into a
 *   belief (mean, logvar), from the env's own observations and rewards (the loop passes them
 *   as `rawObs` / `rawRewards`: only the policy's input is normalised, as in the reference
 *   code); the policy sees the belief normalised by running statistics and
 *   detached: the RL loss does not reach the encoder. Complete trials go to a TrialBuffer,
 *   and after every PPO update the VAE takes `vaeUpdates` ELBO steps on batches of them
 *   (once `vaePrecollectSteps` env steps are done). The rollout stores each step's
 *   normalised belief, which the update reads back.
 * - rl2 / rnn-hn: a GRU over (s, previous a, previous r, trial-end flag) whose state is
 *   the conditioning, trained by the RL loss: updates unroll it over sequences of
 *   `sequenceLength` steps from the states stored during the rollout (truncated BPTT), as
 *   recurrent PPO does. RL² uses a Standard policy, RNN+HN a hypernetwork one with
 *   Bias-HyperInit (its defaults; `policy` and `hyperInit` choose any).
 * - multi-hn: no inference, the upper bound of Beck et al. (Multi+HN, spec B.3): the env
 *   appends the trial's true task vector to the observation (`task_in_observation`,
 *   src/envs/meta/bamdp.ts) and the policy (a Bias-HyperInit hypernetwork by default) is
 *   conditioned on it. It needs a task family env (docs/envs.md).
 * The state resets where a trial starts; the policy always sees the state too.
 */
import { Xoshiro128Rng } from '../core/random.js';
import { ConfigError, nonNegative, nonNegativeInt, positive, positiveInt, type Schema } from '../core/config.js';
import { taskFamily } from '../envs/meta/index.js';
import { registeredEpisodeLimit } from '../envs/registry.js';
import { gaussianEntropy, gaussianLogProb } from '../nn/distributions.js';
import { META_POLICY_SIZES, MetaPolicy, type BaseInit, type HyperInit } from '../nn/meta-policy.js';
import { Module } from '../nn/module.js';
import { Adam } from '../nn/optim.js';
import { VaribadVae, type KlOverTrials } from '../nn/varibad-vae.js';
import type { RolloutMinibatch, SequenceMinibatch } from '../replay/rollout-buffer.js';
import { TrialBuffer } from '../replay/trial-buffer.js';
import type { Engine } from '../tensor/engine.js';
import { add, exp, mul } from '../tensor/ops/elementwise.js';
import { randomNormal } from '../tensor/ops/random.js';
import { reshape, slice } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GridVariants, OnPolicyAlgorithm } from './algorithm.js';
import { checkFinite, continuousSpec, observationTensor, type AgentExtraState, type AgentSpec, type EnvSpaces, type OnPolicyAgent, type UpdateMetrics } from './agent.js';
import { PPO_SCHEMA, PpoRollout, ppoUpdate, rowsTensor, observationRows, type PpoConfig } from './ppo.js';
import { RecurrentTaskEncoder, VaeTrainer, VaribadBelief } from './varibad/task-inference.js';

export type MetaMethod = 'varibad' | 'rl2' | 'rnn-hn' | 'multi-hn';
export type MetaPolicyKind = 'standard' | 'hyper' | 'film';

type PpoPart = Pick<PpoConfig, 'numEnvs' | 'vectorEnv' | 'workers' | 'numSteps' | 'learningRate' | 'annealLr' | 'gamma' | 'gaeLambda' | 'numMinibatches'
  | 'updateEpochs' | 'normAdv' | 'clipCoef' | 'clipVloss' | 'valueLoss' | 'entCoef' | 'vfCoef' | 'maxGradNorm' | 'targetKl' | 'adamEps' | 'normalizeObservation'
  | 'normalizeReward' | 'observationClip' | 'rewardClip' | 'truncation' | 'sequenceLength'>;

export interface MetaPpoConfig extends PpoPart {
  episodesPerTrial: number;
  policy: MetaPolicyKind;
  hyperInit: HyperInit;
  baseInit: BaseInit;
  policySize: keyof typeof META_POLICY_SIZES;
  embeddingDim: number;
  criticOutputBiasQuirk: boolean;
  gruHidden: number;
  latentDim: number;
  decodeState: boolean;
  rewardDecoderAction: boolean;
  rewardDecoderPrevState: boolean;
  klWeight: number;
  vaeKlOverTrials: KlOverTrials;
  vaeLr: number;
  vaeBufferTrials: number;
  vaeBatchTrials: number;
  vaeUpdates: number;
  vaePrecollectSteps: number;
  vaeSubsampleElbos: number;
  vaeSubsampleDecodes: number;
}

const ppoField = <K extends keyof PpoPart>(key: K, defaultValue?: PpoPart[K]): Schema<PpoPart>[K] =>
  (defaultValue === undefined ? PPO_SCHEMA[key] : { ...PPO_SCHEMA[key], default: defaultValue }) as Schema<PpoPart>[K];

const POLICY_KINDS: readonly MetaPolicyKind[] = ['standard', 'hyper', 'film'];
const HYPER_INITS: readonly HyperInit[] = ['naive', 'hyperfan-in', 'weight-hyperinit', 'bias-hyperinit', 'weight-and-bias-hyperinit'];

/** Defaults: Beck et al.'s HalfCheetah-Dir settings (spec B.3–B.4; the jacooba/hyper configs). */
export const META_PPO_SCHEMA: Schema<MetaPpoConfig> = {
  numEnvs: ppoField('numEnvs', 16),
  vectorEnv: ppoField('vectorEnv'),
  workers: ppoField('workers'),
  numSteps: ppoField('numSteps', 400),
  learningRate: ppoField('learningRate', 7e-4),
  annealLr: ppoField('annealLr', false),
  gamma: ppoField('gamma', 0.97),
  gaeLambda: ppoField('gaeLambda', 0.9),
  numMinibatches: ppoField('numMinibatches', 4),
  updateEpochs: ppoField('updateEpochs', 2),
  normAdv: ppoField('normAdv'),
  clipCoef: ppoField('clipCoef', 0.1),
  clipVloss: ppoField('clipVloss'),
  // VariBAD's ppo_use_huberloss and ppo_use_clipped_value_loss (spec B.4: Huber, clipped).
  valueLoss: { ...PPO_SCHEMA.valueLoss, default: 'huber', doc: 'value loss per row: huber (VariBAD\'s clipped smooth L1, δ = 1, spec B.4) or mse, ½(V − R)² (CleanRL)' },
  entCoef: ppoField('entCoef', 0.01),
  vfCoef: ppoField('vfCoef'),
  maxGradNorm: ppoField('maxGradNorm'),
  targetKl: ppoField('targetKl'),
  adamEps: ppoField('adamEps', 1e-8),
  normalizeObservation: ppoField('normalizeObservation'),
  normalizeReward: ppoField('normalizeReward'),
  observationClip: ppoField('observationClip'),
  rewardClip: ppoField('rewardClip'),
  truncation: ppoField('truncation'),
  sequenceLength: ppoField('sequenceLength', 400),
  episodesPerTrial: { default: 1, doc: 'episodes per task: a trial of the BAMDP (1 for Cheetah and Ant, 2 for Walker)', check: positiveInt },
  policy: { default: 'standard', doc: 'policy conditioning: concatenation (standard), hypernetwork (hyper) or FiLM', choices: POLICY_KINDS },
  hyperInit: { default: 'bias-hyperinit', doc: 'hypernetwork / FiLM head init (spec B.2): naive, hyperfan-in (HFI), weight-, bias- or weight-and-bias-hyperinit', choices: HYPER_INITS },
  baseInit: { default: 'normc', doc: 'the base network\'s own init f: normc, orthogonal or kaiming', choices: ['normc', 'orthogonal', 'kaiming'] },
  policySize: { default: 'XL', doc: 'base network size (state embedding, hidden widths): XS, S, M, L, XL (256; 256, 128) or XXL', choices: Object.keys(META_POLICY_SIZES) as (keyof typeof META_POLICY_SIZES)[] },
  embeddingDim: { default: 25, doc: 'd_l: width of the task embedding Linear(conditioning → d_l) + tanh the heads read', check: positiveInt },
  criticOutputBiasQuirk: { default: false, doc: 'Beck et al.\'s U(−1, 1) bias of the critic-output bias head under the matched inits' },
  gruHidden: { default: 256, doc: 'GRU width of the task encoder (VariBAD\'s VAE encoder, RL² / RNN+HN\'s recurrent encoder)', check: positiveInt },
  latentDim: { default: 5, doc: 'varibad: latent size (10 for Walker)', check: positiveInt },
  decodeState: { default: false, doc: 'varibad: also train a state decoder (Walker, Meta-World ML10)' },
  // The reference's MuJoCo configs (lmzintgraf/varibad and jacooba/hyper config/mujoco/args_*_varibad.py)
  // set input_action and input_prev_state; the committed study results ran without them (docs/meta-rl.md).
  rewardDecoderAction: { default: false, doc: 'varibad: the reward decoder also reads the action (the reference configs\' input_action: true)' },
  rewardDecoderPrevState: { default: false, doc: 'varibad: the reward decoder also reads the state the transition starts from (the reference configs\' input_prev_state: true)' },
  klWeight: { default: 0.1, doc: 'varibad: KL weight of the ELBO (1 for Walker)', check: nonNegative },
  vaeKlOverTrials: {
    default: 'mean',
    doc: 'varibad: the KL term over a VAE batch\'s trials: mean (as the reconstruction terms), sum (lmzintgraf/varibad vae.py compute_loss: vaeBatchTrials × the mean) or jacooba-hyper (its compute_loss: sum, and with vaeSubsampleElbos every trial adds the KL at all the batch\'s drawn beliefs)',
    choices: ['mean', 'sum', 'jacooba-hyper'],
  },
  vaeLr: { default: 1e-3, doc: 'varibad: Adam learning rate of the VAE', check: positive },
  vaeBufferTrials: { default: 10_000, doc: 'varibad: trials the VAE buffer holds', check: positiveInt },
  vaeBatchTrials: { default: 10, doc: 'varibad: trials per VAE batch', check: positiveInt },
  vaeUpdates: { default: 3, doc: 'varibad: VAE steps after each PPO update', check: nonNegativeInt },
  vaePrecollectSteps: { default: 5_000, doc: 'varibad: env steps before the first VAE update', check: nonNegativeInt },
  // Spec B.3-B.4 do not state these; the reference's HalfCheetah-Dir configs use 50 ELBO terms
  // (jacooba/hyper and lmzintgraf/varibad) and 50 decodes (jacooba/hyper; varibad: all).
  vaeSubsampleElbos: { default: 0, doc: 'varibad: ELBO terms per trial per VAE step, drawn with replacement from the T + 1 beliefs (vae_subsample_elbos; 0: all; the spec does not state it, the reference HalfCheetah-Dir configs use 50)', check: nonNegativeInt },
  vaeSubsampleDecodes: { default: 0, doc: 'varibad: transitions each ELBO term decodes, drawn with replacement (vae_subsample_decodes; 0: all; the spec does not state it, jacooba/hyper\'s HalfCheetah-Dir config uses 50)', check: nonNegativeInt },
};

/** The policy's kind, init and sizes as MetaPolicy takes them. */
function metaPolicy(engine: Engine, rng: Xoshiro128Rng, stateDim: number, conditioningDim: number, actionDim: number, c: MetaPpoConfig): MetaPolicy {
  const size = META_POLICY_SIZES[c.policySize];
  const common = { stateDim, conditioningDim, actionDim, embeddingDim: c.embeddingDim, stateEmbedding: size.stateEmbedding, hidden: size.hidden, baseInit: c.baseInit };
  try {
    switch (c.policy) {
      case 'standard': return new MetaPolicy(engine, rng, { ...common, architecture: 'standard' });
      case 'hyper': return new MetaPolicy(engine, rng, { ...common, architecture: 'hypernetwork', hyperInit: c.hyperInit, criticOutputBiasQuirk: c.criticOutputBiasQuirk });
      case 'film':
        if (c.hyperInit === 'hyperfan-in') throw new ConfigError('meta-ppo: hyperInit hyperfan-in initialises generated weights; a FiLM policy generates none (choose another hyperInit)');
        return new MetaPolicy(engine, rng, { ...common, architecture: 'film', hyperInit: c.hyperInit, criticOutputBiasQuirk: c.criticOutputBiasQuirk });
    }
  } catch (error) {
    throw error instanceof RangeError ? new ConfigError(`meta-ppo: ${error.message}`) : error;
  }
}

/** The policy and, for RL² / RNN+HN, the recurrent encoder the RL loss trains with it: one module, one optimiser. */
export class MetaActorCritic extends Module {
  readonly encoder: RecurrentTaskEncoder | null;
  readonly policy: MetaPolicy;

  /** stateDim: the policy's state input (the observation without an appended task vector). */
  constructor(engine: Engine, rng: Xoshiro128Rng, spec: AgentSpec, stateDim: number, conditioningDim: number, c: MetaPpoConfig, recurrent: boolean) {
    super(engine);
    const actionDim = spec.actionLow.length;
    this.encoder = recurrent ? this.child('encoder', new RecurrentTaskEncoder(engine, rng, { stateDim: spec.obsDim, actionDim, hiddenSize: c.gruHidden })) : null;
    this.policy = this.child('policy', metaPolicy(engine, rng, stateDim, conditioningDim, actionDim, c));
  }
}

/** VariBAD's VAE with its trainer, trial buffer and the beliefs of the rollout's envs and of evaluation. */
interface Varibad {
  vae: VaribadVae;
  trainer: VaeTrainer;
  trials: TrialBuffer;
  belief: VaribadBelief;
  evalBelief: VaribadBelief;
  /** Per env, the trial being recorded, time-major as the trial buffer reads it ([T + 1, N, d_s], [T, N, d_a], [T, N]), and its length so far (−1: not recording). */
  stagedObs: Float32Array;
  stagedActions: Float32Array;
  stagedRewards: Float32Array;
  stagedLength: Int32Array;
  /** The normalised beliefs one step past the rollout, for its bootstrap values [numEnvs, 2L]. */
  peeked: Float32Array;
}

export class MetaPpo implements OnPolicyAgent {
  readonly rng: Xoshiro128Rng;
  readonly net: MetaActorCritic;
  readonly optimizer: Adam;
  readonly params: Tensor[];
  /** The rollout buffer, the update's minibatch, and the encoder states of the rollout's envs and of evaluation (rl2, rnn-hn). */
  readonly rollout: PpoRollout;
  /** Rollout row width: the observation, then the conditioning inputs (VariBAD: the normalised belief; RL²: previous action, reward, trial-end flag; Multi+HN: none, the task vector ends the observation). */
  readonly inputDim: number;
  /** The policy's state input: a row's first stateDim columns (the observation; Multi+HN: without its task vector). */
  readonly stateDim: number;
  readonly varibad: Varibad | null;
  /** Steps of a trial: episodesPerTrial × the env's episode limit. */
  readonly trialSteps: number;
  private readonly actionDim: number;
  private readonly inputs: Float64Array;
  /** Per env: its last executed action, reward and trial-end flag (numEnvs × (d_a + 2)). */
  private readonly previous: Float64Array;
  private readonly evalPrevious: Float64Array;
  private readonly evalInputs: Float64Array;
  private evalTrialStart = true;

  constructor(readonly engine: Engine, readonly spec: AgentSpec, readonly config: MetaPpoConfig, seed: number, readonly method: MetaMethod, envId: string) {
    const e = engine, c = config, N = c.numEnvs;
    const recurrent = method === 'rl2' || method === 'rnn-hn';
    const limit = registeredEpisodeLimit(envId);
    if (limit === undefined) throw new ConfigError(`${method}: ${envId} has no episode limit, so trials have no fixed length`);
    this.trialSteps = c.episodesPerTrial * limit;
    this.rng = new Xoshiro128Rng(seed);
    const ds = spec.obsDim, da = (this.actionDim = spec.actionLow.length);
    const beliefDim = 2 * c.latentDim;
    // Multi+HN reads the task vector the env appends to the observation.
    const taskDim = method === 'multi-hn' ? multiTaskDim(envId, ds) : 0;
    this.stateDim = ds - taskDim;
    this.inputDim = ds + (recurrent ? da + 2 : method === 'varibad' ? beliefDim : 0);
    this.rollout = new PpoRollout(e, method, c, this.inputDim, da, recurrent ? c.gruHidden : 0);

    // Networks: the VAE first (VariBAD), then the encoder and policy the RL loss trains.
    if (method === 'varibad') {
      const vae = new VaribadVae(e, this.rng, {
        stateDim: ds, actionDim: da, latentDim: c.latentDim, hiddenSize: c.gruHidden, decodeState: c.decodeState,
        rewardDecoderUsesAction: c.rewardDecoderAction, rewardDecoderUsesPrevState: c.rewardDecoderPrevState,
      });
      const trials = new TrialBuffer(c.vaeBufferTrials, this.trialSteps, ds, da, c.vaeBatchTrials);
      const belief = new VaribadBelief(e, vae, N);
      this.varibad = {
        vae, trials, belief, evalBelief: new VaribadBelief(e, vae, 1, belief.stats),
        trainer: new VaeTrainer(e, vae, trials, { klWeight: c.klWeight, rewardLossCoeff: 1, stateLossCoeff: 1, klOverTrials: c.vaeKlOverTrials },
          { lr: c.vaeLr, subsampleElbos: c.vaeSubsampleElbos, subsampleDecodes: c.vaeSubsampleDecodes }),
        stagedObs: new Float32Array(N * (this.trialSteps + 1) * ds), stagedActions: new Float32Array(N * this.trialSteps * da),
        stagedRewards: new Float32Array(N * this.trialSteps), stagedLength: new Int32Array(N).fill(-1), peeked: new Float32Array(N * beliefDim),
      };
    } else {
      this.varibad = null;
    }
    this.net = new MetaActorCritic(e, this.rng, spec, this.stateDim, recurrent ? c.gruHidden : taskDim > 0 ? taskDim : beliefDim, c, recurrent);
    this.params = this.net.parameters();
    this.optimizer = new Adam(e, this.params, { lr: c.learningRate, eps: c.adamEps });

    this.inputs = new Float64Array(N * this.inputDim);
    this.previous = new Float64Array(N * (da + 2));
    this.evalPrevious = new Float64Array(da + 2);
    this.evalInputs = new Float64Array(this.inputDim);
  }

  /**
   * Rows of [obs | previous action, reward, flag] (rl2, rnn-hn) or [obs | 0] (varibad: the
   * belief columns are filled once the rollout has marked where trials start).
   */
  private writeInputs(obs: ArrayLike<number>, previous: Float64Array, out: Float64Array): void {
    const ds = this.spec.obsDim, pd = this.actionDim + 2, n = out.length / this.inputDim;
    if (obs.length !== n * ds) throw new RangeError(`${this.method}: ${obs.length} observation values, expected ${n} envs × ${ds}`);
    for (let i = 0; i < n; i++) {
      const o = i * this.inputDim;
      for (let k = 0; k < ds; k++) out[o + k] = obs[i * ds + k]!;
      for (let k = ds; k < this.inputDim; k++) out[o + k] = this.varibad === null ? previous[i * pd + k - ds]! : 0;
    }
  }

  /** previous's columns as [n, d_a], [n, 1], [n, 1] tensors of the current scope. */
  private previousTensors(previous: Float64Array, n: number): { action: Tensor; reward: Tensor; done: Tensor } {
    const e = this.engine, da = this.actionDim, pd = da + 2;
    const all = rowsTensor(e, previous, 0, [n, pd]);
    return { action: slice(all, 1, 0, da), reward: slice(all, 1, da, da + 1), done: slice(all, 1, da + 1, da + 2) };
  }

  /**
   * The conditioning of n rows x = [obs | inputs] (one step of n envs), in the current scope:
   * the recurrent encoder's next state (written back into `state` unless it is a bootstrap
   * peek), or VariBAD's normalised belief read from x's columns.
   */
  private conditioning(x: Tensor, state: Tensor | null, resets: Tensor | null, keep: boolean): Tensor {
    const ds = this.spec.obsDim, da = this.actionDim, enc = this.net.encoder;
    if (enc === null || state === null) return slice(x, 1, this.stateDim, this.inputDim);
    const col = (a: number, b: number): Tensor => slice(x, 1, a, b);
    const h = enc.step(col(0, ds), col(ds, ds + da), col(ds + da, ds + da + 1), col(ds + da + 1, ds + da + 2), state, resets);
    if (keep) this.engine.backend.axpby(h.size, 1, h.offset, 0, state.offset);
    return h;
  }

  /** A sampled action per row with log π(a|s) and V(s). */
  private sample(obs: Tensor, conditioning: Tensor): { action: Tensor; logProb: Tensor; value: Tensor } {
    const out = this.net.policy.forward(obs, conditioning);
    const logStd = reshape(out.logStd, [1, this.actionDim]);
    const action = add(out.mean, mul(exp(logStd), randomNormal(this.engine, out.mean.shape, this.rng)));
    return { action, logProb: gaussianLogProb(out.mean, logStd, action), value: out.value };
  }

  private envAction(stored: number, k: number): number {
    return Math.min(this.spec.actionHigh[k]!, Math.max(this.spec.actionLow[k]!, stored));
  }

  /**
   * VariBAD, once this step's rows are stored: each env's belief after its last transition
   * (the prior where a trial starts) into the rows' belief columns, and the trials being
   * recorded for the VAE extended by the observation (a trial complete at its autoreset row
   * goes to the trial buffer; trials cut short by a termination or a restart are dropped).
   * The VAE sees the env's own observations `rawObs`, as in the reference, where only the
   * policy's input is normalised.
   */
  private inferBeliefs(v: Varibad, rawObs: ArrayLike<number>): void {
    const { engine: e } = this, b = this.rollout.buffer;
    const n = b.numEnvs, row = b.row, ds = this.spec.obsDim, T = this.trialSteps, dim = v.belief.dim;
    const starts = b.episodeStarts;
    e.scope(() => {
      const prev = this.previousTensors(this.previous, n);
      v.belief.observe(prev.action, observationRows(e, rawObs, n, ds), prev.reward, starts, row);
    });
    for (let i = 0; i < n; i++) v.belief.stats.normalize(v.belief.raw, i * dim, b.obs, (row + i) * this.inputDim + ds);
    for (let i = 0; i < n; i++) {
      if (starts[row + i]) v.stagedLength[i] = 0;
      const t = v.stagedLength[i]!;
      if (t < 0) continue;
      for (let k = 0; k < ds; k++) v.stagedObs[(t * n + i) * ds + k] = rawObs[i * ds + k]!;
      if (b.valid[row + i]) continue;
      if (t === T) v.trials.addTrial(v.stagedObs, v.stagedActions, v.stagedRewards, i, n);
      v.stagedLength[i] = -1;
    }
  }

  /**
   * One rollout step: infer each env's task (VariBAD: from the env's own observations
   * `rawObs`), act on every env's observation, store the row (and, recurrent, the state at
   * each sequence start) and write clipped env actions.
   */
  collect(obs: ArrayLike<number>, envActions: Float64Array, rawObs: ArrayLike<number> = obs): void {
    const { engine: e, rollout } = this;
    const b = rollout.buffer, n = b.numEnvs, row = b.row, hidden = rollout.hidden;
    this.writeInputs(obs, this.previous, this.inputs);
    b.addObservations(this.inputs);
    if (this.varibad !== null) this.inferBeliefs(this.varibad, rawObs);
    rollout.keepSequenceStart();
    e.scope(() => e.noGrad(() => {
      const x = rowsTensor(e, b.obs, row * this.inputDim, [n, this.inputDim]);
      const cond = this.conditioning(x, hidden, hidden === null ? null : rowsTensor(e, b.episodeStarts, row, [n]), true);
      const { action, logProb, value } = this.sample(slice(x, 1, 0, this.stateDim), cond);
      rollout.storeStep(action, logProb, value, envActions, (a, k) => this.envAction(a, k));
    }));
  }

  /** Record an executed step: the clipped action, reward and trial-end flag the task inference sees next. */
  private remember(previous: Float64Array, i: number, actions: ArrayLike<number>, at: number, reward: number, done: boolean): void {
    const da = this.actionDim, o = i * (da + 2);
    for (let k = 0; k < da; k++) previous[o + k] = this.envAction(actions[at + k]!, k);
    previous[o + da] = reward;
    previous[o + da + 1] = done ? 1 : 0;
  }

  /**
   * The outcome of the step `collect` acted for. The recurrent encoder sees the rewards PPO
   * learns from (normalised or not), VariBAD's VAE the env's own, as in the reference code.
   */
  recordOutcome(rewards: ArrayLike<number>, terminations: ArrayLike<number>, truncations: ArrayLike<number>, rawRewards: ArrayLike<number>): void {
    const b = this.rollout.buffer, v = this.varibad, da = this.actionDim, T = this.trialSteps;
    const seen = v === null ? rewards : rawRewards;
    for (let i = 0; i < b.numEnvs; i++) {
      // Autoreset steps execute nothing.
      if (!b.valid[b.row + i]) continue;
      this.remember(this.previous, i, b.actions, (b.row + i) * da, seen[i]!, terminations[i] === 1 || truncations[i] === 1);
      if (v === null) continue;
      const t = v.stagedLength[i]!;
      if (t < 0) continue;
      if (t >= T) { v.stagedLength[i] = -1; continue; }
      for (let k = 0; k < da; k++) v.stagedActions[(t * b.numEnvs + i) * da + k] = this.previous[i * (da + 2) + k]!;
      v.stagedRewards[t * b.numEnvs + i] = seen[i]!;
      v.stagedLength[i] = t + 1;
    }
    b.addOutcome(rewards, terminations, truncations);
  }

  /** The envs were reset from outside the rollout: every env starts a trial, memories afresh. */
  episodesRestarted(): void {
    const { buffer, hidden } = this.rollout;
    buffer.restartEpisodes();
    this.previous.fill(0);
    if (hidden !== null) this.engine.backend.fill(hidden.size, hidden.offset, 0);
    this.varibad?.stagedLength.fill(-1);
  }

  /** Evaluation: each episode is a trial on a new task, so the task inference starts from nothing. */
  startEpisode(): void {
    this.evalPrevious.fill(0);
    this.evalTrialStart = true;
    const evalHidden = this.rollout.evalHidden;
    if (evalHidden !== null) this.engine.backend.fill(evalHidden.size, evalHidden.offset, 0);
  }

  /** Evaluation: the reward (scaled as in training; VariBAD: the env's own) and trial-end flag of the step just acted for. */
  observe(reward: number, done: boolean, rawReward: number): void {
    this.evalPrevious[this.actionDim] = this.varibad === null ? reward : rawReward;
    this.evalPrevious[this.actionDim + 1] = done ? 1 : 0;
  }

  /** Evaluation (one env): the mean action, clipped; with explore, a sample. VariBAD's encoder reads `rawObs`, the env's own observation. */
  act(obs: ArrayLike<number>, explore: boolean, out: Float64Array, rawObs: ArrayLike<number> = obs): void {
    const e = this.engine, v = this.varibad, ds = this.spec.obsDim;
    this.writeInputs(obs, this.evalPrevious, this.evalInputs);
    if (v !== null) {
      e.scope(() => {
        const prev = this.previousTensors(this.evalPrevious, 1);
        if (this.evalTrialStart) v.evalBelief.reset();
        else v.evalBelief.observe(prev.action, observationTensor(e, rawObs, ds), prev.reward, [0]);
      });
      v.evalBelief.normalize(v.evalBelief.raw, this.evalInputs, 1, 0, ds);
    }
    this.evalTrialStart = false;
    e.scope(() => e.noGrad(() => {
      const x = observationTensor(e, this.evalInputs, this.inputDim);
      const cond = this.conditioning(x, this.rollout.evalHidden, null, true);
      const obsPart = slice(x, 1, 0, this.stateDim);
      const a = explore ? this.sample(obsPart, cond).action : this.net.policy.forward(obsPart, cond).mean;
      const d = e.backend.arena.data;
      for (let k = 0; k < this.actionDim; k++) out[k] = this.envAction(d[a.offset + k]!, k);
    }));
    this.remember(this.evalPrevious, 0, out, 0, 0, false);
  }

  /** What the policy reads for a minibatch: the stored beliefs, or the encoder unrolled over its sequences. */
  private minibatchConditioning(mb: RolloutMinibatch | SequenceMinibatch): Tensor {
    const enc = this.net.encoder, ds = this.spec.obsDim, da = this.actionDim;
    if (enc === null || !('hidden' in mb)) return slice(mb.obs, 1, this.stateDim, this.inputDim);
    const seqs = mb.hidden.shape[0]!, len = mb.obs.shape[0]! / seqs;
    const col = (a: number, b: number): Tensor => slice(mb.obs, 1, a, b);
    return enc.sequence(col(0, ds), col(ds, ds + da), col(ds + da, ds + da + 1), col(ds + da + 1, ds + da + 2), mb.hidden, reshape(mb.episodeStarts, [len, seqs]));
  }

  /** PPO's update from the rollout (`ppoUpdate`), then VariBAD's VAE steps. */
  update(nextObs: ArrayLike<number>, iteration: number, numIterations: number, rawNextObs: ArrayLike<number> = nextObs): UpdateMetrics {
    const { engine: e, rollout, config: c } = this;
    const b = rollout.buffer;
    const n = b.numEnvs, ds = this.spec.obsDim, v = this.varibad;
    // Bootstrap values after the last step: one more step of task inference, without keeping it.
    this.writeInputs(nextObs, this.previous, this.inputs);
    e.scope(() => e.noGrad(() => {
      if (v !== null) {
        const prev = this.previousTensors(this.previous, n);
        v.belief.peek(prev.action, observationRows(e, rawNextObs, n, ds), prev.reward, v.peeked);
        for (let i = 0; i < n; i++) for (let k = 0; k < v.belief.dim; k++) this.inputs[i * this.inputDim + ds + k] = v.peeked[i * v.belief.dim + k]!;
      }
      const x = observationRows(e, this.inputs, n, this.inputDim);
      const value = this.net.policy.forward(slice(x, 1, 0, this.stateDim), this.conditioning(x, rollout.hidden, null, false)).value;
      const d = e.backend.arena.data;
      for (let i = 0; i < n; i++) rollout.nextValues[i] = d[value.offset + i]!;
    }));
    const metrics = ppoUpdate(this, (mb) => {
      const out = this.net.policy.forward(slice(mb.obs, 1, 0, this.stateDim), this.minibatchConditioning(mb));
      const logStd = reshape(out.logStd, [1, this.actionDim]);
      return { logProb: gaussianLogProb(out.mean, logStd, mb.actions), entropy: gaussianEntropy(logStd), value: out.value };
    }, iteration, numIterations);

    const steps = (iteration + 1) * n * c.numSteps;
    if (v !== null && steps >= c.vaePrecollectSteps && v.trials.size > 0) {
      for (let k = 0; k < c.vaeUpdates; k++) {
        const loss = v.trainer.update(this.rng);
        checkFinite(loss.total, 'VAE loss', iteration);
        metrics['losses/vae_loss'] = loss.total;
        metrics['losses/vae_reward_loss'] = loss.reward;
        metrics['losses/vae_kl'] = loss.kl;
        if (loss.state !== null) metrics['losses/vae_state_loss'] = loss.state;
      }
    }
    return metrics;
  }

  modules(): Record<string, Module> {
    return this.varibad === null ? { agent: this.net } : { agent: this.net, vae: this.varibad.vae };
  }

  optimizers(): Record<string, { module: Module; optimizer: Adam }> {
    const agent = { module: this.net, optimizer: this.optimizer };
    return this.varibad === null ? { agent } : { agent, vae: { module: this.varibad.vae, optimizer: this.varibad.trainer.optimizer } };
  }

  /** VariBAD: the trial buffer and the belief statistics (RL² and RNN+HN keep nothing else). */
  extraState(): AgentExtraState {
    const v = this.varibad;
    if (v === null) return { tensors: {}, metadata: {} };
    const s = v.trials.state(), T = this.trialSteps;
    const f32 = (data: Float32Array, width: number) => ({ dtype: 'F32' as const, shape: [s.size, width], data: data as Float32Array<ArrayBuffer> });
    return {
      tensors: s.size === 0 ? {} : { obs: f32(s.obs, (T + 1) * this.spec.obsDim), actions: f32(s.actions, T * this.actionDim), rewards: f32(s.rewards, T) },
      metadata: { trials: String(s.size), next: String(s.next), beliefStats: JSON.stringify(v.belief.stats.getState()) },
    };
  }

  loadExtraState(state: AgentExtraState): void {
    const v = this.varibad;
    if (v === null) return;
    const size = Number(state.metadata.trials);
    const data = (k: string): Float32Array => (size === 0 ? new Float32Array(0) : state.tensors[k]?.data as Float32Array);
    v.trials.loadState({ size, next: Number(state.metadata.next), obs: data('obs'), actions: data('actions'), rewards: data('rewards') });
    v.belief.stats.setState(JSON.parse(state.metadata.beliefStats ?? 'null'));
  }
}

/**
 * Run options of the meta algorithms: trials of k episodes, boundaries in the observation when
 * k > 1, test tasks for evaluation; Multi+HN: the trial's task vector in the observation.
 */
function trialOptions(c: MetaPpoConfig, method: MetaMethod) {
  const train = { episodes_per_trial: c.episodesPerTrial, episode_boundary_in_observation: c.episodesPerTrial > 1, ...(method === 'multi-hn' ? { task_in_observation: true } : {}) };
  return { train, evaluation: { ...train, task_split: 'test' } };
}

/** Multi+HN: the length of the task vector ending the observation (the env's task family's). */
function multiTaskDim(envId: string, obsDim: number): number {
  let taskDim: number;
  try {
    taskDim = taskFamily(envId).taskDim;
  } catch (error) {
    throw new ConfigError(`multi-hn: the policy reads the true task, so the env must be a meta-RL task family: ${(error as Error).message}`);
  }
  if (obsDim <= taskDim) throw new ConfigError(`multi-hn: ${envId}'s observation has ${obsDim} values, not a state followed by its ${taskDim}-d task vector (env option task_in_observation)`);
  return taskDim;
}

const hyper = (hyperInit: HyperInit, baseInit: BaseInit = 'normc') => ({ policy: 'hyper', hyperInit, baseInit });

/** Beck et al.'s policy × initialisation comparisons as the experiment grid's `critic` axis (results/beck/). */
export const META_GRID_VARIANTS: GridVariants = {
  baseline: 'standard',
  variants: {
    'standard': { policy: 'standard' },
    'hyper-naive-normc': hyper('naive', 'normc'),
    'hyper-naive-kaiming': hyper('naive', 'kaiming'),
    'hyper-naive-orthogonal': hyper('naive', 'orthogonal'),
    'hyper-hfi': hyper('hyperfan-in'),
    'hyper-weight-hyperinit': hyper('weight-hyperinit'),
    'hyper-bias-hyperinit': hyper('bias-hyperinit'),
    'hyper-weight-and-bias-hyperinit': hyper('weight-and-bias-hyperinit'),
    'film-naive-normc': { policy: 'film', hyperInit: 'naive', baseInit: 'normc' },
    'film-bias-hyperinit': { policy: 'film', hyperInit: 'bias-hyperinit', baseInit: 'normc' },
  },
};

const policyTitle = (c: MetaPpoConfig): string => (c.policy === 'standard' ? 'standard policy' : `${c.policy} policy, ${c.hyperInit}`);

/** A registry entry for one method; `policy` / `hyperInit` defaults as the method's paper. */
function metaAlgorithm(method: MetaMethod, summary: string, title: string, policy: MetaPolicyKind): OnPolicyAlgorithm<MetaPpoConfig> {
  const schema = { ...META_PPO_SCHEMA, policy: { ...META_PPO_SCHEMA.policy, default: policy } };
  return {
    name: method,
    summary,
    loop: 'on-policy',
    schema,
    presets: {
      // No CleanRL script exists for meta-RL: the default preset is the schema's defaults, Beck et al.'s HalfCheetah-Dir settings.
      cleanrl: { run: {}, agent: {} },
      // Beck et al.'s Ant-Dir / Ant-Goal settings (spec B.4): 16 × 200 steps, 2 epochs × 1 minibatch.
      'beck-ant': { run: {}, agent: { numSteps: 200, numMinibatches: 1, sequenceLength: 200 } },
      // Walker-Rand-Params: 2 episodes per trial, clip 0.05, 2 × 2, latent 10, state decoder, KL weight 1.
      'beck-walker': { run: {}, agent: { numSteps: 200, numMinibatches: 2, sequenceLength: 200, clipCoef: 0.05, episodesPerTrial: 2, latentDim: 10, decodeState: true, klWeight: 1 } },
    },
    label: (c) => ({ tag: `${method}-${c.policy}${c.policy === 'standard' ? '' : `-${c.hyperInit}`}`, title: `${title} (${policyTitle(c)}, ${c.numEnvs} envs)` }),
    create: (engine, env: EnvSpaces, config, seed) => new MetaPpo(engine, continuousSpec(env, title), config, seed, method, env.id),
    envOptions: (c) => trialOptions(c, method),
    gridVariants: META_GRID_VARIANTS,
  };
}

export const VARIBAD = metaAlgorithm('varibad', 'VariBAD (Zintgraf et al. 2020) on PPO with Beck et al.\'s hypernetwork policies (docs/meta-rl.md)', 'VariBAD', 'standard');
export const RL2 = metaAlgorithm('rl2', 'RL² (Duan et al. 2016) on PPO: a recurrent task encoder trained by the RL loss (docs/meta-rl.md)', 'RL²', 'standard');
export const RNN_HN = metaAlgorithm('rnn-hn', 'RNN+HN (Beck et al. 2023): RL²\'s encoder conditioning a Bias-HyperInit hypernetwork policy (docs/meta-rl.md)', 'RNN+HN', 'hyper');
export const MULTI_HN = metaAlgorithm('multi-hn', 'Multi+HN (Beck et al. 2022): a Bias-HyperInit hypernetwork policy conditioned on the true task, the upper bound (docs/meta-rl.md)', 'Multi+HN', 'hyper');

/** The registry's meta-RL entries. */
export const META_PPO_ALGORITHMS = [VARIBAD, RL2, RNN_HN, MULTI_HN] as const;
