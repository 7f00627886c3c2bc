/**
 * PPO (Schulman et al. 2017) with the semantics of CleanRL's ppo_continuous_action.py (diagonal
 * Gaussian with a state-independent log-std) and ppo.py (categorical), read top to bottom:
 * config → networks → acting during the rollout → GAE → epochs of minibatch updates (clipped
 * surrogate, clipped value loss, entropy bonus, per-minibatch advantage normalisation,
 * learning-rate annealing, global gradient-norm clipping).
 *
 * Time limits: a truncated episode bootstraps from V(final observation) (Beck et al.'s code);
 * `truncation: 'terminate'` instead treats truncation as termination, as CleanRL does
 * (docs/ppo.md). The training loop steps the vector envs, normalises observations and
 * rewards (envs/vector/wrappers.ts) and hands each step to `collect` and `recordOutcome`.
 *
 * Recurrent PPO (`recurrentHidden` > 0): a GRU between the inputs and both heads, its state
 * carried across steps and reset where episodes start; updates unroll it over whole
 * sequences of `sequenceLength` steps from the states stored during the rollout (truncated
 * BPTT). With `rl2Inputs` the policy also sees the previous action, reward and done flag
 * (RL², Duan et al. 2016).
 */
import { gaussianEntropy, gaussianLogProb, categoricalEntropy, categoricalLogProb } from '../nn/distributions.js';
import { orthogonal, zerosInit } from '../nn/init.js';
import { GRU } from '../nn/gru.js';
import { MLP } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import { Xoshiro128Rng } from '../core/random.js';
import { RolloutBuffer, type RolloutMinibatch, type SequenceMinibatch } from '../replay/rollout-buffer.js';
import type { Engine } from '../tensor/engine.js';
import { abs, add, clamp, exp, maximum, mul, neg, scale, square, squaredDifference, sub, sum } from '../tensor/ops/elementwise.js';
import { randomCategorical, randomNormal } from '../tensor/ops/random.js';
import { oneHot, reshape } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError, nonNegative, nonNegativeInt, positive, positiveInt, positiveInts, unitInterval, type Schema } from '../core/config.js';
import { Discrete } from '../envs/spaces.js';
import type { OnPolicyAlgorithm } from './algorithm.js';
import { checkFinite, continuousSpec, observationTensor, type AgentSpec, type EnvSpaces, type OnPolicyAgent, type UpdateMetrics } from './agent.js';

/** The value loss's per-row error: squared (CleanRL) or Huber / smooth L1 with δ = 1 (VariBAD's `ppo_use_huberloss`). */
export type ValueLossKind = 'mse' | 'huber';

export interface PpoConfig {
  numEnvs: number;
  vectorEnv: 'sync' | 'async';
  workers: number;
  numSteps: number;
  learningRate: number;
  annealLr: boolean;
  gamma: number;
  gaeLambda: number;
  numMinibatches: number;
  updateEpochs: number;
  normAdv: boolean;
  clipCoef: number;
  clipVloss: boolean;
  valueLoss: ValueLossKind;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  targetKl: number;
  adamEps: number;
  actorHidden: number[];
  criticHidden: number[];
  activation: 'tanh' | 'relu';
  normalizeObservation: boolean;
  normalizeReward: boolean;
  observationClip: number;
  rewardClip: number;
  truncation: 'bootstrap' | 'terminate';
  recurrentHidden: number;
  sequenceLength: number;
  rl2Inputs: boolean;
}

/** Defaults are CleanRL's ppo_continuous_action.py (ppo.py's differ: the `cleanrl-discrete` preset). */
export const PPO_SCHEMA: Schema<PpoConfig> = {
  numEnvs: { default: 1, doc: 'parallel environments stepped together', check: positiveInt },
  vectorEnv: { default: 'sync', doc: 'step the envs in the training thread (sync) or on worker threads (async); runs are bit-identical', choices: ['sync', 'async'] },
  workers: { default: 0, doc: 'worker threads of the async vector env (0: one per core)', check: nonNegativeInt },
  numSteps: { default: 2048, doc: 'steps per environment in each rollout', check: positiveInt },
  learningRate: { default: 3e-4, doc: 'Adam learning rate (at the start, when annealed)', check: positive },
  annealLr: { default: true, doc: 'anneal the learning rate linearly to 0 over the run' },
  gamma: { default: 0.99, doc: 'discount factor', check: unitInterval },
  gaeLambda: { default: 0.95, doc: 'GAE λ', check: unitInterval },
  numMinibatches: { default: 32, doc: 'minibatches per epoch (they split numEnvs × numSteps)', check: positiveInt },
  updateEpochs: { default: 10, doc: 'passes over each rollout', check: positiveInt },
  normAdv: { default: true, doc: 'standardise advantages in each minibatch' },
  clipCoef: { default: 0.2, doc: 'surrogate (and value) clipping range ε', check: positive },
  clipVloss: { default: true, doc: 'clip the value loss around the rollout\'s values, as in the paper\'s code' },
  valueLoss: { default: 'mse', doc: 'value loss per row: mse, ½(V − R)² (CleanRL), or huber, smooth L1 with δ = 1 (VariBAD\'s ppo_use_huberloss; see valueLoss)', choices: ['mse', 'huber'] },
  entCoef: { default: 0, doc: 'entropy bonus coefficient', check: nonNegative },
  vfCoef: { default: 0.5, doc: 'value loss coefficient', check: nonNegative },
  maxGradNorm: { default: 0.5, doc: 'global gradient-norm clip', check: positive },
  targetKl: { default: 0, doc: 'stop the epochs once the approximate KL exceeds this (0: never)', check: nonNegative },
  adamEps: { default: 1e-5, doc: 'Adam ε (CleanRL\'s 1e-5, not PyTorch\'s 1e-8)', check: positive },
  actorHidden: { default: [64, 64], doc: 'policy hidden widths', check: positiveInts },
  criticHidden: { default: [64, 64], doc: 'value network hidden widths', check: positiveInts },
  activation: { default: 'tanh', doc: 'hidden activation', choices: ['tanh', 'relu'] },
  normalizeObservation: { default: true, doc: 'normalise observations by running mean and std (kept in checkpoints)' },
  normalizeReward: { default: true, doc: 'scale rewards by the running std of the discounted return (kept in checkpoints)' },
  observationClip: { default: 10, doc: 'clip normalised observations to ±this', check: positive },
  rewardClip: { default: 10, doc: 'clip normalised rewards to ±this', check: positive },
  truncation: {
    default: 'bootstrap',
    doc: 'time-limit truncation: bootstrap from V(final observation), or terminate the return as CleanRL does',
    choices: ['bootstrap', 'terminate'],
  },
  recurrentHidden: { default: 0, doc: 'GRU state width between the inputs and the heads (0: feed-forward, no memory)', check: nonNegativeInt },
  sequenceLength: { default: 32, doc: 'recurrent: steps per training sequence (truncated BPTT; divides numSteps)', check: positiveInt },
  rl2Inputs: { default: false, doc: 'also feed the previous action, reward and done flag to the policy (RL²)' },
};

/** CleanRL's ppo.py for classic-control discrete tasks. */
export const PPO_DISCRETE_OVERRIDES: Partial<PpoConfig> = {
  numEnvs: 4, numSteps: 128, learningRate: 2.5e-4, numMinibatches: 4, updateEpochs: 4, entCoef: 0.01,
  normalizeObservation: false, normalizeReward: false,
};

/** The env as PPO sees it: continuous actions (Box bounds) or `actionCount` discrete ones. */
export type PpoSpec = AgentSpec | { obsDim: number; actionCount: number };

const isDiscrete = (spec: PpoSpec): spec is { obsDim: number; actionCount: number } => 'actionCount' in spec;

/**
 * CleanRL's Agent: separate actor and critic MLPs with orthogonal weights and zero biases
 * (layer_init: gain √2 hidden, 1 for the value output, 0.01 for the policy output, so the
 * initial policy is near-uniform), and for continuous actions a state-independent log-std
 * starting at 0. Recurrent: a GRU (orthogonal weights, zero biases, as CleanRL initialises
 * its LSTM) turns the inputs into the state both heads read.
 */
export class PpoActorCritic extends Module {
  readonly gru: GRU | null;
  readonly critic: MLP;
  readonly actor: MLP;
  readonly logStd: Tensor | null;

  constructor(engine: Engine, rng: Xoshiro128Rng, inputDim: number, actionDim: number, continuous: boolean, config: PpoConfig) {
    super(engine);
    const H = config.recurrentHidden;
    this.gru = H > 0 ? this.child('gru', new GRU(engine, inputDim, H, rng, { weightInit: orthogonal(1), biasInit: zerosInit })) : null;
    const features = H > 0 ? H : inputDim;
    const hidden = { hiddenAct: config.activation, weightInit: orthogonal(Math.SQRT2), biasInit: zerosInit };
    this.critic = this.child('critic', new MLP(engine, [features, ...config.criticHidden, 1], rng, { ...hidden, outputWeightInit: orthogonal(1) }));
    this.actor = this.child('actor', new MLP(engine, [features, ...config.actorHidden, actionDim], rng, { ...hidden, outputWeightInit: orthogonal(0.01) }));
    this.logStd = continuous ? this.param('logStd', [1, actionDim], new Float32Array(actionDim)) : null;
  }
}

export class Ppo implements OnPolicyAgent {
  readonly rng: Xoshiro128Rng;
  readonly net: PpoActorCritic;
  readonly optimizer: Adam;
  /** The rollout buffer, the update's minibatch, and the GRU states of the rollout's envs and of evaluation (recurrent). */
  readonly rollout: PpoRollout;
  /** Policy input width: the observation, then with rl2Inputs the previous action (one-hot if discrete), reward and done flag. */
  readonly inputDim: number;
  readonly params: Tensor[];
  /** Policy output width: action dimensions (continuous) or classes (discrete). */
  private readonly actionDim: number;
  /** The current step's policy inputs, numEnvs × inputDim (rl2Inputs). */
  private readonly inputs: Float64Array;
  /** Per env, what the RL² inputs append: its last executed action, reward and done flag (rl2Inputs). */
  private readonly previous: Float64Array;
  /** Evaluation's RL² inputs (one env), reset by startEpisode. */
  private readonly evalPrevious: Float64Array;
  private readonly evalInputs: Float64Array;

  constructor(readonly engine: Engine, readonly spec: PpoSpec, readonly config: PpoConfig, seed: number) {
    const e = engine, c = config;
    this.actionDim = isDiscrete(spec) ? spec.actionCount : spec.actionLow.length;
    const previousDim = c.rl2Inputs ? this.actionDim + 2 : 0;
    this.inputDim = spec.obsDim + previousDim;
    // Discrete actions are stored as one class index per row.
    this.rollout = new PpoRollout(e, 'ppo', c, this.inputDim, isDiscrete(spec) ? 1 : this.actionDim, c.recurrentHidden);
    this.rng = new Xoshiro128Rng(seed);
    this.net = new PpoActorCritic(e, this.rng, this.inputDim, this.actionDim, !isDiscrete(spec), c);
    this.params = this.net.parameters();
    this.optimizer = new Adam(e, this.params, { lr: c.learningRate, eps: c.adamEps });
    this.inputs = new Float64Array(c.rl2Inputs ? c.numEnvs * this.inputDim : 0);
    this.previous = new Float64Array(c.numEnvs * previousDim);
    this.evalPrevious = new Float64Array(previousDim);
    this.evalInputs = new Float64Array(this.inputDim);
  }

  /** What the heads read: the inputs themselves, or the GRU state after them (x: [B, inputDim] for one step of B envs). */
  private stepFeatures(x: Tensor, state: Tensor | null, resets: Tensor | null): Tensor {
    const gru = this.net.gru;
    return gru === null || state === null ? x : gru.step(x, state, resets);
  }

  /** log π(a|s) and the policy entropy per row ([B, 1]; [1, 1] for the state-independent Gaussian) at stored actions. */
  private logProbAndEntropy(features: Tensor, actions: Tensor): { logProb: Tensor; entropy: Tensor } {
    const out = this.net.actor.forward(features);
    const logStd = this.net.logStd;
    if (logStd === null) return { logProb: categoricalLogProb(out, oneHot(actions, this.actionDim)), entropy: categoricalEntropy(out) };
    return { logProb: gaussianLogProb(out, logStd, actions), entropy: gaussianEntropy(logStd) };
  }

  /** A sampled action per row: a ~ N(μ(s), σ²) or a ~ Categorical(softmax(logits(s))), with log π(a|s). */
  private sample(features: Tensor): { action: Tensor; logProb: Tensor } {
    const out = this.net.actor.forward(features);
    const logStd = this.net.logStd;
    if (logStd === null) {
      const action = randomCategorical(out, this.rng);
      return { action, logProb: categoricalLogProb(out, oneHot(action, this.actionDim)) };
    }
    const action = add(out, mul(exp(logStd), randomNormal(this.engine, out.shape, this.rng)));
    return { action, logProb: gaussianLogProb(out, logStd, action) };
  }

  /** The action env `i` executes for a stored action: clipped to the bounds (CleanRL's ClipAction), or the class index. */
  private envAction(stored: number, k: number): number {
    return isDiscrete(this.spec) ? stored : Math.min(this.spec.actionHigh[k]!, Math.max(this.spec.actionLow[k]!, stored));
  }

  /**
   * The policy inputs of every env (numEnvs × obsDim observations in): the observations
   * themselves, or with rl2Inputs each followed by the env's previous action, reward and done.
   */
  private policyInputs(obs: ArrayLike<number>, previous: Float64Array, out: { [i: number]: number; length: number }): ArrayLike<number> {
    if (!this.config.rl2Inputs) return obs;
    const od = this.spec.obsDim, pd = this.inputDim - od, n = out.length / this.inputDim;
    if (obs.length !== n * od) throw new RangeError(`ppo: ${obs.length} observation values, expected ${n} envs × ${od}`);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < od; k++) out[i * this.inputDim + k] = obs[i * od + k]!;
      for (let k = 0; k < pd; k++) out[i * this.inputDim + od + k] = previous[i * pd + k]!;
    }
    return out as ArrayLike<number>;
  }

  /** Record an executed step for the RL² inputs: the action (one-hot if discrete), the reward, the done flag. */
  private remember(previous: Float64Array, i: number, actions: ArrayLike<number>, at: number, reward: number, done: boolean): void {
    const pd = this.inputDim - this.spec.obsDim, o = i * pd;
    if (isDiscrete(this.spec)) {
      for (let k = 0; k < this.actionDim; k++) previous[o + k] = 0;
      previous[o + actions[at]!] = 1;
    } else {
      for (let k = 0; k < this.actionDim; k++) previous[o + k] = this.envAction(actions[at + k]!, k);
    }
    previous[o + this.actionDim] = reward;
    previous[o + this.actionDim + 1] = done ? 1 : 0;
  }

  /**
   * Evaluation (one observation): the mean action clipped to the bounds, or the most likely
   * class; with explore, a sample. Discrete agents write the class index into out[0].
   * Recurrent agents carry their evaluation state from startEpisode on.
   */
  act(obs: ArrayLike<number>, explore: boolean, out: Float64Array): void {
    const e = this.engine;
    e.scope(() => e.noGrad(() => {
      const x = observationTensor(e, this.policyInputs(obs, this.evalPrevious, this.evalInputs), this.inputDim);
      const evalHidden = this.rollout.evalHidden;
      const features = this.stepFeatures(x, evalHidden, null);
      if (evalHidden !== null) e.backend.axpby(features.size, 1, features.offset, 0, evalHidden.offset);
      const a = explore ? this.sample(features).action : this.net.actor.forward(features);
      const d = e.backend.arena.data;
      if (isDiscrete(this.spec)) {
        let best = 0;
        if (explore) best = d[a.offset]!;
        else for (let k = 1; k < this.actionDim; k++) if (d[a.offset + k]! > d[a.offset + best]!) best = k;
        out[0] = best;
      } else {
        for (let k = 0; k < this.actionDim; k++) out[k] = this.envAction(d[a.offset + k]!, k);
      }
      if (this.config.rl2Inputs) this.remember(this.evalPrevious, 0, out, 0, 0, false);
    }));
  }

  /**
   * Evaluation: episode `episode` starts. As in the rollouts, the recurrent state restarts
   * while the RL² inputs carry the last step of the episode before (none before episode 0).
   */
  startEpisode(episode: number): void {
    const evalHidden = this.rollout.evalHidden;
    if (evalHidden !== null) this.engine.backend.fill(evalHidden.size, evalHidden.offset, 0);
    if (episode === 0) this.evalPrevious.fill(0);
  }

  /** Evaluation: the reward (scaled as the agent learns from it) and end flag of the step just acted for (RL² inputs). */
  observe(reward: number, done: boolean): void {
    if (!this.config.rl2Inputs) return;
    this.evalPrevious[this.actionDim] = reward;
    this.evalPrevious[this.actionDim + 1] = done ? 1 : 0;
  }

  /**
   * One rollout step: act on every env's observation (numEnvs × obsDim), storing the
   * policy input, the sampled action, its log-probability and the value (and, recurrent, the
   * state at each sequence start), and write the env actions (clipped to the bounds, as
   * CleanRL's ClipAction; discrete: class indices) into `envActions`.
   */
  collect(obs: ArrayLike<number>, envActions: Float64Array): void {
    const { engine: e, rollout } = this;
    const b = rollout.buffer, n = b.numEnvs, row = b.row, hidden = rollout.hidden;
    b.addObservations(this.policyInputs(obs, this.previous, this.inputs));
    rollout.keepSequenceStart();
    e.scope(() => e.noGrad(() => {
      const x = rowsTensor(e, b.obs, row * b.obsDim, [n, b.obsDim]);
      // The state is reset where an episode starts (after an autoreset step or a restart of the envs).
      const features = this.stepFeatures(x, hidden, hidden === null ? null : rowsTensor(e, b.episodeStarts, row, [n]));
      if (hidden !== null) e.backend.axpby(features.size, 1, features.offset, 0, hidden.offset);
      const { action, logProb } = this.sample(features);
      rollout.storeStep(action, logProb, this.net.critic.forward(features), envActions, (a, k) => this.envAction(a, k));
    }));
  }

  /** The outcome of the step `collect` acted for (rewards as the agent learns from them, normalised or not). */
  recordOutcome(rewards: ArrayLike<number>, terminations: ArrayLike<number>, truncations: ArrayLike<number>): void {
    const b = this.rollout.buffer;
    // RL² inputs remember executed steps only: not autoreset steps, whose actions the envs ignore.
    if (this.config.rl2Inputs) {
      for (let i = 0; i < b.numEnvs; i++) {
        if (b.valid[b.row + i]) this.remember(this.previous, i, b.actions, (b.row + i) * b.actionDim, rewards[i]!, terminations[i] === 1 || truncations[i] === 1);
      }
    }
    b.addOutcome(rewards, terminations, truncations);
  }

  /** The envs were reset from outside the rollout: no autoreset step follows their last one, and memories start afresh. */
  episodesRestarted(): void {
    this.rollout.buffer.restartEpisodes();
    this.previous.fill(0);
  }

  /** What the heads read for a minibatch: its inputs, or the GRU unrolled over its sequences from their stored states. */
  private minibatchFeatures(mb: RolloutMinibatch | SequenceMinibatch): Tensor {
    const gru = this.net.gru;
    if (gru === null || !('hidden' in mb)) return mb.obs;
    const seqs = mb.hidden.shape[0]!, len = mb.obs.shape[0]! / seqs;
    const { outputs } = gru.forward(reshape(mb.obs, [len, seqs, this.inputDim]), mb.hidden, reshape(mb.episodeStarts, [len, seqs]));
    return reshape(outputs, [len * seqs, gru.hiddenSize]);
  }

  /**
   * After numSteps collected steps: bootstrap from V(nextObs), then GAE and updateEpochs
   * passes of minibatch updates (`ppoUpdate`). `iteration` counts from 0 of `numIterations`.
   */
  update(nextObs: ArrayLike<number>, iteration: number, numIterations: number): UpdateMetrics {
    const { engine: e, rollout } = this;
    const b = rollout.buffer;
    // Bootstrap value of the observations after the last step (recurrent: one step on from the
    // rollout's state, without keeping it).
    e.scope(() => e.noGrad(() => {
      const x = observationRows(e, this.policyInputs(nextObs, this.previous, this.inputs), b.numEnvs, b.obsDim);
      const v = this.net.critic.forward(this.stepFeatures(x, rollout.hidden, null));
      const d = e.backend.arena.data;
      for (let i = 0; i < b.numEnvs; i++) rollout.nextValues[i] = d[v.offset + i]!;
    }));
    return ppoUpdate(this, (mb) => {
      const features = this.minibatchFeatures(mb);
      return { ...this.logProbAndEntropy(features, mb.actions), value: this.net.critic.forward(features) };
    }, iteration, numIterations);
  }

  modules(): Record<string, Module> {
    return { agent: this.net };
  }

  optimizers(): Record<string, { module: Module; optimizer: Adam }> {
    return { agent: { module: this.net, optimizer: this.optimizer } };
  }
}

/**
 * The rollout side of a PPO agent, one piece for Ppo and MetaPpo: the rollout buffer, the
 * minibatch tensors the update gathers into, the bootstrap values, and for a recurrent agent
 * (hiddenSize > 0) the state of the rollout's envs, kept at each sequence start for the
 * update to unroll from (truncated BPTT), and evaluation's own. All preallocated here; errors
 * name the algorithm (`name`).
 */
export class PpoRollout {
  readonly buffer: RolloutBuffer;
  readonly minibatch: RolloutMinibatch | SequenceMinibatch;
  /** V after the rollout's last step, per env: the agent fills it before `ppoUpdate`. */
  readonly nextValues: Float64Array;
  /** The rollout's envs' recurrent state [numEnvs, H] (recurrent). */
  readonly hidden: Tensor | null;
  /** Evaluation's recurrent state [1, H] (recurrent). */
  readonly evalHidden: Tensor | null;

  constructor(engine: Engine, name: string, c: Pick<PpoConfig, 'numEnvs' | 'numSteps' | 'numMinibatches' | 'sequenceLength'>, inputDim: number, storedActionDim: number, hiddenSize: number) {
    const e = engine, recurrent = hiddenSize > 0;
    // Feed-forward minibatches split rows; recurrent ones split whole sequences.
    const units = c.numEnvs * c.numSteps / (recurrent ? c.sequenceLength : 1);
    if (recurrent && c.numSteps % c.sequenceLength !== 0) throw new ConfigError(`${name}: sequenceLength ${c.sequenceLength} does not divide numSteps ${c.numSteps}`);
    if (units % c.numMinibatches !== 0) {
      throw new ConfigError(`${name}: the ${units} ${recurrent ? 'sequences' : 'steps'} of a rollout (numEnvs × numSteps${recurrent ? ' / sequenceLength' : ''}) do not split into numMinibatches = ${c.numMinibatches} equal minibatches`);
    }
    this.buffer = new RolloutBuffer(c.numSteps, c.numEnvs, inputDim, storedActionDim, recurrent ? { sequenceLength: c.sequenceLength, hiddenSize } : undefined);
    const rows = (c.numEnvs * c.numSteps) / c.numMinibatches;
    const column = (): Tensor => e.persistent([rows, 1]);
    const mb: RolloutMinibatch = {
      obs: e.persistent([rows, inputDim]), actions: e.persistent([rows, storedActionDim]), logProbs: column(),
      values: column(), advantages: column(), returns: column(), weights: column(),
    };
    this.minibatch = recurrent ? { ...mb, episodeStarts: column(), hidden: e.persistent([units / c.numMinibatches, hiddenSize]) } : mb;
    this.nextValues = new Float64Array(c.numEnvs);
    this.hidden = recurrent ? e.persistent([c.numEnvs, hiddenSize]) : null;
    this.evalHidden = recurrent ? e.persistent([1, hiddenSize]) : null;
  }

  /** Recurrent, once a step's observations are in: at a sequence's first step, keep the envs' state for the update. */
  keepSequenceStart(): void {
    const { hidden, buffer: b } = this;
    if (hidden === null || b.step % b.sequenceLength !== 0) return;
    const d = hidden.engine.backend.arena.data, H = hidden.shape[1]!;
    for (let i = 0; i < b.numEnvs; i++) for (let k = 0; k < H; k++) b.hiddens![b.hiddenOffset(i) + k] = d[hidden.offset + i * H + k]!;
  }

  /**
   * The current row's sampled actions [numEnvs, stored action dim], their log-probabilities and
   * the values into the buffer, and each action as its env executes it (`envAction`: clipped,
   * or the class index) into envActions.
   */
  storeStep(action: Tensor, logProb: Tensor, value: Tensor, envActions: Float64Array, envAction: (stored: number, k: number) => number): void {
    const b = this.buffer, n = b.numEnvs, ad = b.actionDim, row = b.row, d = action.engine.backend.arena.data;
    for (let i = 0; i < n; i++) {
      b.values[row + i] = d[value.offset + i]!;
      b.logProbs[row + i] = d[logProb.offset + i]!;
      for (let k = 0; k < ad; k++) {
        const a = d[action.offset + i * ad + k]!;
        b.actions[(row + i) * ad + k] = a;
        envActions[i * ad + k] = envAction(a, k);
      }
    }
  }
}

/** What `ppoUpdate` uses of an agent: its rollout (with the bootstrap values filled in), optimiser over `params`, generator and loss settings. */
export interface PpoLearner {
  readonly engine: Engine;
  readonly config: Pick<PpoConfig, 'learningRate' | 'annealLr' | 'gamma' | 'gaeLambda' | 'updateEpochs' | 'numMinibatches' | 'normAdv' | 'clipCoef' | 'clipVloss' | 'valueLoss' | 'entCoef' | 'vfCoef' | 'maxGradNorm' | 'targetKl' | 'truncation'>;
  readonly rollout: PpoRollout;
  readonly optimizer: Adam;
  readonly params: readonly Tensor[];
  readonly rng: Xoshiro128Rng;
}

/** A policy's view of a minibatch: log π(a|s) and entropy at the stored actions, and V(s), each [rows, 1]. */
export type MinibatchEvaluation = (mb: RolloutMinibatch | SequenceMinibatch) => { logProb: Tensor; entropy: Tensor; value: Tensor };

/**
 * PPO's update from a full rollout: GAE from the rollout's `nextValues` (V after the last step),
 * then updateEpochs passes of numMinibatches minibatches gathered into its `minibatch`
 * (sequences when it has `hidden`): clipped surrogate, clipped value loss, entropy bonus, per-minibatch advantage
 * normalisation, learning-rate annealing, global gradient-norm clipping. Clears the rollout.
 */
export function ppoUpdate(learner: PpoLearner, evaluate: MinibatchEvaluation, iteration: number, numIterations: number): UpdateMetrics {
  const { engine: e, config: c, params } = learner;
  const { buffer: b, minibatch: mb, nextValues } = learner.rollout;
  // Annealing the rate: CleanRL's frac = 1 − (iteration − 1) / num_iterations with 1-based iterations.
  const lr = c.annealLr ? (1 - iteration / numIterations) * c.learningRate : c.learningRate;
  learner.optimizer.config.lr = lr;
  b.computeAdvantages(nextValues, { gamma: c.gamma, lambda: c.gaeLambda, bootstrapTruncated: c.truncation === 'bootstrap' });

  const metrics: UpdateMetrics = {};
  let clipFractions = 0, minibatches = 0, approxKl = 0;
  for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
    b.shuffle(learner.rng);
    for (let k = 0; k < c.numMinibatches; k++) {
      const valid = 'hidden' in mb ? b.sequenceMinibatchInto(k, mb) : b.minibatchInto(k, mb);
      if (valid === 0) continue; // only autoreset rows: nothing to learn from
      if (c.normAdv) normalizeAdvantages(mb);
      e.scope(() => {
        const { logProb, entropy, value: newValue } = evaluate(mb);
        const logRatio = sub(logProb, mb.logProbs);
        const ratio = exp(logRatio);
        const stats = ratioStatistics(logRatio, ratio, mb.weights, c.clipCoef);
        approxKl = stats.approxKl;
        clipFractions += stats.clipFraction;
        minibatches++;

        const pgLoss = clippedPolicyLoss(ratio, mb.advantages, mb.weights, c.clipCoef);
        const vLoss = valueLoss(newValue, mb.values, mb.returns, mb.weights, c.clipVloss ? c.clipCoef : null, c.valueLoss);
        const entropyLoss = weightedMean(entropy, mb.weights);
        const loss = add(sub(pgLoss, scale(entropyLoss, c.entCoef)), scale(vLoss, c.vfCoef));
        checkFinite(loss.item(), 'PPO loss', iteration);
        e.backward(loss, params as Tensor[], false);
        clipGradNorm(e, params as Tensor[], c.maxGradNorm);
        learner.optimizer.step();

        metrics['losses/policy_loss'] = pgLoss.item();
        metrics['losses/value_loss'] = vLoss.item();
        metrics['losses/entropy'] = entropyLoss.item();
        metrics['losses/old_approx_kl'] = stats.oldApproxKl;
        metrics['losses/approx_kl'] = stats.approxKl;
      });
    }
    if (c.targetKl > 0 && approxKl > c.targetKl) break;
  }
  metrics['losses/clipfrac'] = minibatches === 0 ? 0 : clipFractions / minibatches;
  metrics['losses/explained_variance'] = b.explainedVariance();
  metrics['charts/learning_rate'] = lr;
  b.clear();
  return metrics;
}

/** The clipped surrogate objective as a loss: the pessimistic (larger) of −A·r and −A·clip(r, 1 ± ε), averaged. */
export function clippedPolicyLoss(ratio: Tensor, advantages: Tensor, weights: Tensor, clipCoef: number): Tensor {
  return weightedMean(maximum(neg(mul(advantages, ratio)), neg(mul(advantages, clamp(ratio, 1 - clipCoef, 1 + clipCoef)))), weights);
}

/**
 * The value loss over the valid rows, with e the per-row error (V − R)² (mse) or 2·huber(V − R) (huber):
 * - mse: ½·mean (V − R)², or with a clip ε the pessimistic ½·mean max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²),
 *   which stops rewarding a value that moved more than ε from the rollout's estimate (CleanRL);
 * - huber: as VariBAD's ppo.py, ½·mean max(huber(V − R), huber(V_clipped − R)) with a clip, and
 *   mean huber(V − R) without one (F.smooth_l1_loss, no ½: the reference's own asymmetry).
 */
export function valueLoss(value: Tensor, oldValue: Tensor, returns: Tensor, weights: Tensor, clipCoef: number | null, kind: ValueLossKind = 'mse'): Tensor {
  const error = kind === 'mse' ? squaredDifference : (a: Tensor, b: Tensor): Tensor => huber(sub(a, b));
  if (clipCoef === null) return weightedMean(error(value, returns), weights, kind === 'mse' ? 0.5 : 1);
  const clipped = add(oldValue, clamp(sub(value, oldValue), -clipCoef, clipCoef));
  return weightedMean(maximum(error(value, returns), error(clipped, returns)), weights, 0.5);
}

/** PyTorch's smooth L1 (Huber with δ = 1): ½x² where |x| < 1, |x| − ½ elsewhere, as ½q² + (|x| − q) with q = min(|x|, 1). */
export function huber(x: Tensor): Tensor {
  const a = abs(x), q = clamp(a, 0, 1);
  return add(scale(square(q), 0.5), sub(a, q));
}

/** Σ w·x (times `factor`): a mean over the valid rows when w holds 1/count on them and 0 elsewhere. */
function weightedMean(x: Tensor, weights: Tensor, factor = 1): Tensor {
  const s = sum(mul(x, weights));
  return factor === 1 ? s : scale(s, factor);
}

/** Standardise a minibatch's advantages over its valid rows: (A − mean) / (std + 1e-8), std unbiased as torch's. */
function normalizeAdvantages(mb: RolloutMinibatch): void {
  const d = mb.advantages.engine.backend.arena.data;
  const n = mb.advantages.size, a = mb.advantages.offset, w = mb.weights.offset;
  let count = 0, total = 0;
  for (let i = 0; i < n; i++) if (d[w + i]! > 0) { count++; total += d[a + i]!; }
  const mean = total / count;
  let squares = 0;
  for (let i = 0; i < n; i++) if (d[w + i]! > 0) squares += (d[a + i]! - mean) ** 2;
  const std = count > 1 ? Math.sqrt(squares / (count - 1)) : 0;
  for (let i = 0; i < n; i++) d[a + i] = d[w + i]! > 0 ? (d[a + i]! - mean) / (std + 1e-8) : 0;
}

/** CleanRL's diagnostics over the valid rows: −log r, (r − 1) − log r (http://joschu.net/blog/kl-approx.html), and |r − 1| > ε. */
function ratioStatistics(logRatio: Tensor, ratio: Tensor, weights: Tensor, clipCoef: number): { oldApproxKl: number; approxKl: number; clipFraction: number } {
  const d = logRatio.engine.backend.arena.data;
  let oldApproxKl = 0, approxKl = 0, clipFraction = 0;
  for (let i = 0; i < ratio.size; i++) {
    const w = d[weights.offset + i]!, lr = d[logRatio.offset + i]!, r = d[ratio.offset + i]!;
    oldApproxKl -= w * lr;
    approxKl += w * (r - 1 - lr);
    if (Math.abs(r - 1) > clipCoef) clipFraction += w;
  }
  return { oldApproxKl, approxKl, clipFraction };
}

/** Values at `offset` of a typed array, copied into a new tensor of the given shape in the current scope. */
export function rowsTensor(e: Engine, src: ArrayLike<number>, offset: number, shape: readonly number[]): Tensor {
  const t = e.empty(shape);
  const d = e.backend.arena.data;
  for (let k = 0; k < t.size; k++) d[t.offset + k] = src[offset + k]!;
  return t;
}

/** Observations of every env (rows × dim), checked finite, as a new tensor. */
export function observationRows(e: Engine, obs: ArrayLike<number>, rows: number, dim: number): Tensor {
  if (obs.length !== rows * dim) throw new RangeError(`ppo: ${obs.length} observation values, expected ${rows} envs × ${dim}`);
  for (let k = 0; k < obs.length; k++) if (!Number.isFinite(obs[k]!)) throw new RangeError(`ppo: env ${Math.floor(k / dim)} observation[${k % dim}] is ${obs[k]}`);
  return rowsTensor(e, obs, 0, [rows, dim]);
}

/** The spec of the env's spaces: a Gaussian policy for a Box, a categorical one for a Discrete action space. */
export function ppoSpec(env: EnvSpaces): PpoSpec {
  return env.actionSpace instanceof Discrete ? { obsDim: env.observationSpace.size, actionCount: env.actionSpace.n } : continuousSpec(env, 'PPO');
}

/** The registry entry (src/algos/registry.ts). */
export const PPO: OnPolicyAlgorithm<PpoConfig> = {
  name: 'ppo',
  summary: 'PPO (Schulman et al. 2017), continuous or discrete actions, optionally recurrent (docs/ppo.md)',
  loop: 'on-policy',
  schema: PPO_SCHEMA,
  presets: {
    cleanrl: { run: {}, agent: {} },
    // ppo.py: CartPole-v1, 500k steps.
    'cleanrl-discrete': { run: { totalSteps: 500_000 }, agent: PPO_DISCRETE_OVERRIDES },
  },
  label: (c) => (c.recurrentHidden > 0 ? { tag: 'ppo-gru', title: `PPO (GRU ${c.recurrentHidden}, ${c.numEnvs} envs)` } : { tag: 'ppo', title: `PPO (${c.numEnvs} envs)` }),
  create: (engine, env, config, seed) => new Ppo(engine, ppoSpec(env), config, seed),
};
