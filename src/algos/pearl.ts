/**
 * PEARL (Rakelly et al. 2019, rlkit/oyster) and Hyper-PEARL (Sarafian et al. 2021, HypeRL's
 * fork of oyster; spec A.6), read top to bottom: config → networks (MLP and hyper Q(s, a, z),
 * V(s, z), π(a | s, z), the context encoder) → acting and rollouts → one gradient step →
 * the meta-iteration (data collection per task, gradient steps on meta-batches) → meta-test
 * evaluation (exploration trajectories, then posterior sampling) → registry entry.
 *
 * The context encoder maps each transition (s, a, r) of a task's context to a Gaussian factor
 * over z; the posterior is their product (src/nn/context-encoder.ts). One gradient step on a
 * meta-batch of T tasks, B transitions and C context transitions each:
 *   z_t ~ N(μ_t, σ_t²) (reparameterised),  KL = Σ_t KL(N(μ_t, σ_t²) ‖ N(0, I))
 *   Q loss  Σ_i mean (Q_i(s, a, z) − (scale·r + γ(1 − done)·V̄(s′, z)))²; Q and the encoder
 *           step on Q loss + klLambda·KL (the encoder learns from these two only)
 *   V loss  mean (V(s, z̄) − (min_i Q_i(s, ã, z̄) − log π(ã | s, z̄)))², ã ~ π(· | s, z̄)
 *   π loss  mean (log π(ã | s, z̄) − min_i Q_i(s, ã, z̄)) + 1e-3·mean μ² + 1e-3·mean (log σ)²
 * where z̄ is z detached (the policy and V never train the encoder) and V̄ the Polyak target.
 * The temperature is 1: the reward scale (5) sets the entropy trade-off, as in PEARL.
 *
 * Networks (`critic`): 'mlp' is PEARL's FlattenMlp, 3 × netSize (300) ReLU layers with rlkit's
 * init; 'hyper' is Hyper-PEARL: Q with meta = s and base = [a, z], V with meta = s and base = z
 * (HyperCritic), and a policy with meta = z and base = s (one weight set per task). `context:
 * 'oracle'` replaces z by the normalised true task vector (HypeRL's use_pearl_context=False):
 * no encoder, no KL.
 */
import { ActionScaler, GaussianActor, hypeRlPolicyNetwork } from '../nn/actors.js';
import { ContextEncoder, klToStandardNormal } from '../nn/context-encoder.js';
import { HyperCritic, MlpCritic, type Critic } from '../nn/critics.js';
import { tanhGaussianSample } from '../nn/distributions.js';
import type { HyperNetwork } from '../nn/hypernetwork.js';
import { constantInit, HYPE_RL_HEAD_SIGMA, rlkitFaninWeight, uniformInit } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { Adam } from '../nn/optim.js';
import { ConfigError, nonNegativeInt, positive, positiveInt, positiveInts, unitInterval, type Schema } from '../core/config.js';
import { Xoshiro128Rng } from '../core/random.js';
import type { Env } from '../envs/core.js';
import { taskFamily, taskPool, taskSplits, type TaskFamily } from '../envs/meta/index.js';
import { makeSync } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import { ReplayBuffer, type ReplaySample, type ReplayState } from '../replay/replay-buffer.js';
import type { SafeTensor } from '../nn/safetensors.js';
import type { Engine } from '../tensor/engine.js';
import { add, clamp, mean, minimum, mul, repeatRows, scale, sqrt, square, stopGradient, sub, sum, tanh } from '../tensor/ops/elementwise.js';
import { randomNormal } from '../tensor/ops/random.js';
import { concat, slice } from '../tensor/ops/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFinite, mse, observationTensor, type AgentExtraState, type AgentSpec, type EnvSpaces, type MetaAgent, type MetaEvaluation, type UpdateMetrics } from './agent.js';
import type { MetaAlgorithm } from './algorithm.js';

// ---- config -------------------------------------------------------------------------

export interface PearlConfig {
  critic: 'mlp' | 'hyper';
  hyperPreset: 'compact' | 'paper';
  context: 'posterior' | 'oracle';
  latentDim: number;
  netSize: number;
  encoderHidden: number[];
  numTrainTasks: number;
  numTestTasks: number;
  inDistributionTestTasks: number;
  taskBufferSize: number;
  metaBatch: number;
  batchSize: number;
  embeddingBatchSize: number;
  numInitialSteps: number;
  numTasksSample: number;
  numStepsPrior: number;
  numStepsPosterior: number;
  numExtraRlStepsPosterior: number;
  trainStepsPerIteration: number;
  gamma: number;
  tau: number;
  rewardScale: number;
  klLambda: number;
  policyLr: number;
  qLr: number;
  contextLr: number;
  hyperQLr: number;
  hyperPolicyLr: number;
  policyMeanReg: number;
  policyStdReg: number;
  numExpTrajEval: number;
  numStepsPerEval: number;
}

/** Defaults are HypeRL's PEARL configs/default.py (spec A.6); the task counts are cheetah-vel's. */
export const PEARL_SCHEMA: Schema<PearlConfig> = {
  critic: { default: 'mlp', doc: "networks: 'mlp' (PEARL's 3×netSize MLPs) or 'hyper' (Hyper-PEARL: hyper Q, V and policy); named like TD3/SAC's critic so experiment grids select it", choices: ['mlp', 'hyper'] },
  hyperPreset: { default: 'compact', doc: "hyper networks' size: 'compact' (primary 256 + 1 ResBlock, dynamic 64, calibrated like the compact HyperCritic) or 'paper' (HypeRL's 9.9M/8.3M/15.1M-parameter Q/V/policy)", choices: ['compact', 'paper'] },
  context: { default: 'posterior', doc: "z: 'posterior' (the context encoder's product of Gaussians) or 'oracle' (the normalised true task vector)", choices: ['posterior', 'oracle'] },
  latentDim: { default: 5, doc: 'size of the latent z', check: positiveInt },
  netSize: { default: 300, doc: 'width of the 3 hidden layers of the MLP Q, V and policy', check: positiveInt },
  encoderHidden: { default: [200, 200, 200], doc: 'hidden widths of the context encoder', check: positiveInts },
  numTrainTasks: { default: 100, doc: 'training task pool, drawn once from the seed', check: positiveInt },
  numTestTasks: { default: 30, doc: 'held-out test tasks (HalfCheetahVelMedium: out of distribution)', check: positiveInt },
  inDistributionTestTasks: { default: 0, doc: 'extra unseen tasks from the training distribution, evaluated as eval/in_distribution_return (for out-of-distribution families)', check: nonNegativeInt },
  // rlkit keeps 1e6 per task; 400 iterations add about 22k to each of 100 tasks, so more is memory unused.
  taskBufferSize: { default: 20_000, doc: 'RL replay capacity per training task (transitions)', check: positiveInt },
  metaBatch: { default: 4, doc: 'tasks per gradient step', check: positiveInt },
  batchSize: { default: 256, doc: 'RL transitions per task per gradient step', check: positiveInt },
  embeddingBatchSize: { default: 64, doc: 'context transitions per task per gradient step (and for posteriors while collecting)', check: positiveInt },
  numInitialSteps: { default: 2000, doc: 'env steps collected with z from the prior on every training task before training', check: nonNegativeInt },
  numTasksSample: { default: 5, doc: 'training tasks whose data is collected per iteration', check: nonNegativeInt },
  numStepsPrior: { default: 400, doc: 'env steps per sampled task with z from the prior (into both buffers)', check: nonNegativeInt },
  numStepsPosterior: { default: 0, doc: 'env steps per sampled task with z from the posterior (into both buffers)', check: nonNegativeInt },
  numExtraRlStepsPosterior: { default: 400, doc: 'env steps per sampled task with z from the posterior, into the RL buffer only', check: nonNegativeInt },
  trainStepsPerIteration: { default: 2000, doc: 'gradient steps per iteration', check: positiveInt },
  gamma: { default: 0.99, doc: 'discount', check: unitInterval },
  tau: { default: 0.005, doc: 'target-V Polyak rate', check: unitInterval },
  rewardScale: { default: 5, doc: 'reward multiplier in the Q target (PEARL\'s entropy trade-off: the temperature is 1)', check: positive },
  klLambda: { default: 0.1, doc: 'weight of KL(posterior ‖ N(0, I)) in the encoder loss', check: (v) => (Number.isFinite(v) && v >= 0 ? null : 'must be a non-negative number') },
  policyLr: { default: 3e-4, doc: 'MLP policy Adam learning rate', check: positive },
  qLr: { default: 3e-4, doc: 'MLP Q and V Adam learning rate', check: positive },
  contextLr: { default: 3e-4, doc: 'context encoder Adam learning rate', check: positive },
  hyperQLr: { default: 5e-5, doc: 'hyper Q and V Adam learning rate (HypeRL\'s)', check: positive },
  hyperPolicyLr: { default: 1e-4, doc: 'hyper policy Adam learning rate (HypeRL\'s, hard-coded there)', check: positive },
  policyMeanReg: { default: 1e-3, doc: 'weight of mean μ² in the policy loss', check: (v) => (Number.isFinite(v) && v >= 0 ? null : 'must be a non-negative number') },
  policyStdReg: { default: 1e-3, doc: 'weight of mean (log σ)² in the policy loss', check: (v) => (Number.isFinite(v) && v >= 0 ? null : 'must be a non-negative number') },
  numExpTrajEval: { default: 2, doc: 'meta-test: trajectories with z from the prior before the posterior is used', check: positiveInt },
  numStepsPerEval: { default: 600, doc: 'meta-test env steps per task (the last trajectory\'s return is reported)', check: positiveInt },
};

// ---- networks -----------------------------------------------------------------------

/** π(· | s, z) for one z: the pre-squash mean and log-std for a batch of observations. */
export type LatentPolicy = (obs: Tensor) => { mean: Tensor; logStd: Tensor };

/** π(a | s, z): a tanh-squashed Gaussian; z is one row per task, shared by `rowsPerTask` consecutive states. */
export interface PearlPolicy extends Module {
  forward(obs: Tensor, z: Tensor, rowsPerTask: number): { mean: Tensor; logStd: Tensor };
  /** The policy for one z [1, zDim], what depends on z alone computed once (for a trajectory's steps). */
  forLatent(z: Tensor): LatentPolicy;
}

/** rlkit's log-std bounds. */
const LOG_STD_MIN = -20, LOG_STD_MAX = 2;

/** rlkit's FlattenMlp / TanhGaussianPolicy init: hidden weights fanin_init, biases 0.1, last layer U(±3e-3). */
const RLKIT_INIT = { weightInit: rlkitFaninWeight, init: { biasInit: constantInit(0.1), outputWeightInit: uniformInit(3e-3), outputBiasInit: uniformInit(3e-3) } };

/** PEARL's TanhGaussianPolicy on concat(s, z). */
export class MlpPearlPolicy extends Module implements PearlPolicy {
  readonly actor: GaussianActor;

  constructor(engine: Engine, rng: Xoshiro128Rng, obsDim: number, latentDim: number, actionDim: number, netSize: number) {
    super(engine);
    this.actor = this.child('actor', new GaussianActor(engine, rng, { obsDim: obsDim + latentDim, actionDim, hidden: [netSize, netSize, netSize], ...RLKIT_INIT }, LOG_STD_MIN, LOG_STD_MAX));
  }

  forward(obs: Tensor, z: Tensor, rowsPerTask: number): { mean: Tensor; logStd: Tensor } {
    return this.actor.forward(concat([obs, repeatRows(z, rowsPerTask)], 1));
  }

  forLatent(z: Tensor): LatentPolicy {
    return (obs) => this.forward(obs, z, obs.shape[0]!);
  }
}

/** Hyper-PEARL's policy: z → primary network → a generated network of s emitting [μ | log σ] (heads σ 0.008 and 0.001). */
export class HyperPearlPolicy extends Module implements PearlPolicy {
  readonly hyper: HyperNetwork;

  constructor(engine: Engine, rng: Xoshiro128Rng, obsDim: number, latentDim: number, readonly actionDim: number, preset: 'compact' | 'paper') {
    super(engine);
    this.hyper = this.child('hyper', hypeRlPolicyNetwork(engine, rng, {
      metaDim: latentDim, stateDim: obsDim, outputSize: 2 * actionDim, preset,
      outputSigma: (o) => (o < actionDim ? HYPE_RL_HEAD_SIGMA.outputLayer : HYPE_RL_HEAD_SIGMA.pearlLogStd),
    }));
  }

  /** One generated weight set per task, applied to its rows as matrix products (not copied to every row). */
  forward(obs: Tensor, z: Tensor, rowsPerTask: number): { mean: Tensor; logStd: Tensor } {
    if (obs.shape[0] !== z.shape[0]! * rowsPerTask) throw new RangeError(`HyperPearlPolicy: ${obs.shape[0]} observations for ${z.shape[0]} latents × ${rowsPerTask} rows`);
    return this.split(this.hyper.applyDynamicShared(obs, this.hyper.generate(z)));
  }

  /** The generated weights once, for every call (the values `forward` computes). */
  forLatent(z: Tensor): LatentPolicy {
    const generated = this.hyper.generate(z);
    return (obs) => this.split(this.hyper.applyDynamicShared(obs, generated));
  }

  /** The generated network's output [μ | log σ] as the mean and the clamped log-std. */
  private split(out: Tensor): { mean: Tensor; logStd: Tensor } {
    const d = this.actionDim;
    return { mean: slice(out, 1, 0, d), logStd: clamp(slice(out, 1, d, 2 * d), LOG_STD_MIN, LOG_STD_MAX) };
  }
}

/** Q(s, a, z) (twin) and V(s, z), as critics of s and a "base" input: [a, z] for Q, z for V. */
function pearlCritic(engine: Engine, rng: Xoshiro128Rng, config: PearlConfig, obsDim: number, baseDim: number, twin: boolean): Critic {
  return config.critic === 'hyper'
    ? new HyperCritic(engine, rng, { stateDim: obsDim, actionDim: baseDim, preset: config.hyperPreset, initRule: 'td3', twin })
    : new MlpCritic(engine, rng, { stateDim: obsDim, actionDim: baseDim, hidden: [config.netSize, config.netSize, config.netSize], twin, ...RLKIT_INIT });
}

// ---- the learner --------------------------------------------------------------------

/** Rows [start, start + count) of a persistent tensor, as a tensor over the same memory. */
const rowsOf = (t: Tensor, start: number, count: number): Tensor =>
  new Tensor(t.engine, [count, ...t.shape.slice(1)], t.offset + start * (t.size / t.shape[0]!), true);

/** Persistent replay samples of `tasks` × `rows` transitions, and each task's rows as its own sample. */
function stackedSample(engine: Engine, tasks: number, rows: number, spec: AgentSpec): { all: ReplaySample; perTask: ReplaySample[] } {
  const a = spec.actionLow.length, n = tasks * rows;
  const all: ReplaySample = {
    obs: engine.persistent([n, spec.obsDim]), actions: engine.persistent([n, a]), rewards: engine.persistent([n, 1]),
    nextObs: engine.persistent([n, spec.obsDim]), notDone: engine.persistent([n, 1]),
  };
  const perTask = Array.from({ length: tasks }, (_, t): ReplaySample => ({
    obs: rowsOf(all.obs, t * rows, rows), actions: rowsOf(all.actions, t * rows, rows), rewards: rowsOf(all.rewards, t * rows, rows),
    nextObs: rowsOf(all.nextObs, t * rows, rows), notDone: rowsOf(all.notDone, t * rows, rows),
  }));
  return { all, perTask };
}

/** Where a rollout's transitions go: the task's RL and context buffers, and the online context of an evaluation. */
interface RolloutSink {
  rl: ReplayBuffer | null;
  enc: ReplayBuffer | null;
  online: boolean;
}

const average = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export class Pearl implements MetaAgent {
  readonly rng: Xoshiro128Rng;
  readonly family: TaskFamily<unknown>;
  readonly trainTasks: unknown[];
  readonly testTasks: unknown[];
  /** Unseen tasks of the training distribution (`inDistributionTestTasks`). */
  readonly inDistributionTasks: unknown[];
  readonly spec: AgentSpec;
  readonly policy: PearlPolicy;
  readonly q: Critic;
  readonly v: Critic;
  readonly vTarget: Critic;
  /** null for the oracle. */
  readonly encoder: ContextEncoder | null;
  readonly policyOpt: Adam;
  readonly qOpt: Adam;
  readonly vOpt: Adam;
  readonly contextOpt: Adam | null;
  /** Width of z: latentDim, or the task vector's for the oracle. */
  readonly zDim: number;
  envSteps = 0;
  private readonly env: Env;
  private readonly evalEnv: Env;
  private readonly scaler: ActionScaler;
  private readonly rlBuffers: ReplayBuffer[];
  private readonly encBuffers: ReplayBuffer[];
  private readonly rlBatch: { all: ReplaySample; perTask: ReplaySample[] };
  private readonly contextBatch: { all: ReplaySample; perTask: ReplaySample[] };
  /** The oracle's z per training task, and the meta-batch's z [T, zDim]. */
  private readonly taskVectors: Float64Array[];
  private readonly batchZ: Tensor;
  /** The z the policy acts with now [1, zDim]. */
  private readonly currentZ: Tensor;
  private readonly taskIndices: Int32Array;
  /** An evaluation's transitions (s, a, r), one row each. */
  private readonly onlineContext: Float32Array;
  private onlineRows = 0;
  private readonly obs: Float64Array;
  private readonly action: Float64Array;
  /** The parameters each loss updates, listed once (not per step). */
  private readonly qEncoderParams: Tensor[];
  private readonly vParams: Tensor[];
  private readonly policyParams: Tensor[];
  /** False until the initial data of every training task is collected. */
  private initialised = false;

  constructor(readonly engine: Engine, readonly envId: string, readonly config: PearlConfig, readonly seed: number) {
    const c = config, e = engine;
    this.family = taskFamily(envId);
    const splits = taskSplits(this.family, { train: c.numTrainTasks, test: c.numTestTasks }, seed);
    this.trainTasks = splits.train;
    this.testTasks = splits.test;
    // The training pool's stream continued: unseen draws from the same distribution.
    this.inDistributionTasks = taskPool(this.family, 'train', c.numTrainTasks + c.inDistributionTestTasks, seed).slice(c.numTrainTasks);
    this.env = makeSync(envId);
    this.evalEnv = makeSync(envId);
    if (!(this.env.actionSpace instanceof Box)) throw new Error(`${envId}: PEARL needs a continuous (Box) action space`);
    this.spec = { obsDim: this.env.observationSpace.size, actionLow: [...this.env.actionSpace.low], actionHigh: [...this.env.actionSpace.high] };
    const obsDim = this.spec.obsDim, actionDim = this.spec.actionLow.length;
    const oracle = c.context === 'oracle';
    this.zDim = oracle ? this.family.taskDim : c.latentDim;
    this.taskVectors = this.trainTasks.map((t) => this.family.taskVector(t, splits.scale));
    this.testVectors = this.testTasks.map((t) => this.family.taskVector(t, splits.scale));
    this.inDistributionVectors = this.inDistributionTasks.map((t) => this.family.taskVector(t, splits.scale));

    this.rng = new Xoshiro128Rng(seed);
    this.policy = c.critic === 'hyper'
      ? new HyperPearlPolicy(e, this.rng, obsDim, this.zDim, actionDim, c.hyperPreset)
      : new MlpPearlPolicy(e, this.rng, obsDim, this.zDim, actionDim, c.netSize);
    this.q = pearlCritic(e, this.rng, c, obsDim, actionDim + this.zDim, true);
    this.v = pearlCritic(e, this.rng, c, obsDim, this.zDim, false);
    this.vTarget = pearlCritic(e, this.rng, c, obsDim, this.zDim, false);
    this.vTarget.copyFrom(this.v);
    this.encoder = oracle ? null : new ContextEncoder(e, this.rng, { inputDim: obsDim + actionDim + 1, latentDim: c.latentDim, hidden: c.encoderHidden });
    const hyper = c.critic === 'hyper';
    this.policyOpt = new Adam(e, this.policy.parameters(), { lr: hyper ? c.hyperPolicyLr : c.policyLr });
    this.qOpt = new Adam(e, this.q.parameters(), { lr: hyper ? c.hyperQLr : c.qLr });
    this.vOpt = new Adam(e, this.v.parameters(), { lr: hyper ? c.hyperQLr : c.qLr });
    this.contextOpt = this.encoder === null ? null : new Adam(e, this.encoder.parameters(), { lr: c.contextLr });

    // Context buffers hold what one collection round adds (they are emptied before each).
    const perTask = Math.max(c.numInitialSteps, c.numStepsPrior + c.numStepsPosterior, 1);
    const maxBatch = Math.max(c.batchSize, c.embeddingBatchSize);
    this.rlBuffers = this.trainTasks.map(() => new ReplayBuffer(c.taskBufferSize, obsDim, actionDim, maxBatch));
    this.encBuffers = this.trainTasks.map(() => new ReplayBuffer(perTask, obsDim, actionDim, maxBatch));
    this.rlBatch = stackedSample(e, c.metaBatch, c.batchSize, this.spec);
    this.contextBatch = stackedSample(e, c.metaBatch, c.embeddingBatchSize, this.spec);
    this.batchZ = e.persistent([c.metaBatch, this.zDim]);
    this.currentZ = e.persistent([1, this.zDim]);
    this.taskIndices = new Int32Array(c.metaBatch);
    this.onlineContext = new Float32Array(c.numStepsPerEval * (obsDim + actionDim + 1));
    this.scaler = new ActionScaler(e, this.spec.actionLow, this.spec.actionHigh);
    this.obs = new Float64Array(obsDim);
    this.action = new Float64Array(actionDim);
    this.qEncoderParams = [...this.q.parameters(), ...(this.encoder?.parameters() ?? [])];
    this.vParams = this.v.parameters();
    this.policyParams = this.policy.parameters();
  }

  private readonly testVectors: Float64Array[];
  private readonly inDistributionVectors: Float64Array[];

  // ---- acting ---------------------------------------------------------------------

  /** An env-scale action for one observation with `policy` (the current z's): tanh of a Gaussian sample (explore) or of its mean. */
  private actWith(policy: LatentPolicy, obs: ArrayLike<number>, explore: boolean, out: Float64Array, rng: Xoshiro128Rng): void {
    const e = this.engine;
    e.scope(() => {
      const { mean: mu, logStd } = policy(observationTensor(e, obs, this.spec.obsDim));
      const u = explore ? tanhGaussianSample(mu, logStd, randomNormal(e, mu.shape, rng)).action : tanh(mu);
      const a = this.scaler.toEnv(u), d = e.backend.arena.data;
      for (let i = 0; i < out.length; i++) out[i] = Math.min(this.spec.actionHigh[i]!, Math.max(this.spec.actionLow[i]!, d[a.offset + i]!));
    });
  }

  act(obs: ArrayLike<number>, explore: boolean, out: Float64Array): void {
    const e = this.engine;
    e.scope(() => e.noGrad(() => this.actWith(this.policy.forLatent(this.currentZ), obs, explore, out, this.rng)));
  }

  /** z ~ N(0, I) into currentZ (the oracle's z is its task vector instead). */
  private samplePrior(rng: Xoshiro128Rng): void {
    const d = this.engine.backend.arena.data;
    for (let i = 0; i < this.zDim; i++) d[this.currentZ.offset + i] = rng.normal();
  }

  private setZ(values: ArrayLike<number>): void {
    this.engine.backend.arena.data.set(values, this.currentZ.offset);
  }

  /** z ~ the posterior given `context` [N, |s| + |a| + 1], into currentZ. */
  private samplePosterior(context: () => Tensor, rng: Xoshiro128Rng): void {
    const e = this.engine;
    e.scope(() => e.noGrad(() => {
      const post = this.encoder!.posterior(context());
      const d = e.backend.arena.data;
      for (let i = 0; i < this.zDim; i++) d[this.currentZ.offset + i] = d[post.mean.offset + i]! + Math.sqrt(d[post.variance.offset + i]!) * rng.normal();
    }));
  }

  /** The posterior from embeddingBatchSize transitions of a training task's context buffer (PEARL's sample_context). */
  private samplePosteriorFromBuffer(taskIndex: number): void {
    const buffer = this.encBuffers[taskIndex]!;
    if (buffer.size === 0) return this.samplePrior(this.rng);
    const sample = this.contextBatch.perTask[0]!;
    buffer.sampleInto(this.config.embeddingBatchSize, this.rng, sample);
    this.samplePosterior(() => concat([sample.obs, sample.actions, sample.rewards], 1), this.rng);
  }

  /** One trajectory of `task` with the current z, cut at maxSteps; returns its return (steps into lastSteps). */
  private rollout(env: Env, task: unknown, maxSteps: number, explore: boolean, rng: Xoshiro128Rng, sink: RolloutSink): { ret: number; steps: number } {
    const { obs, action } = this;
    const width = this.spec.obsDim + action.length + 1;
    obs.set(env.reset({ seed: rng.integer(2 ** 31), options: { task } }).obs);
    let ret = 0, steps = 0;
    const e = this.engine;
    // z is fixed for the trajectory: the policy's part that depends on it alone is computed once.
    e.scope(() => e.noGrad(() => {
      const policy = this.policy.forLatent(this.currentZ);
      while (steps < maxSteps) {
        this.actWith(policy, obs, explore, action, rng);
        const r = env.step(action);
        sink.rl?.add(obs, action, r.reward, r.obs, r.terminated);
        sink.enc?.add(obs, action, r.reward, r.obs, r.terminated);
        if (sink.online && this.onlineRows < this.config.numStepsPerEval) {
          const at = this.onlineRows++ * width;
          this.onlineContext.set(obs, at);
          this.onlineContext.set(action, at + obs.length);
          this.onlineContext[at + width - 1] = r.reward;
        }
        ret += r.reward;
        steps++;
        obs.set(r.obs);
        if (r.terminated || r.truncated) break;
      }
    }));
    if (sink.rl !== null) this.envSteps += steps;
    return { ret, steps };
  }

  /**
   * PEARL's collect_data on training task `taskIndex`: numSamples env steps, z from the prior
   * resampled every trajectory, or (posterior) re-inferred from the task's context buffer after
   * every trajectory; the first trajectory always starts from the prior.
   */
  private collect(taskIndex: number, numSamples: number, posterior: boolean, addToContext: boolean): void {
    const task = this.trainTasks[taskIndex];
    const oracle = this.encoder === null;
    const sink: RolloutSink = { rl: this.rlBuffers[taskIndex]!, enc: addToContext ? this.encBuffers[taskIndex]! : null, online: false };
    if (oracle) this.setZ(this.taskVectors[taskIndex]!);
    else this.samplePrior(this.rng);
    for (let n = 0; n < numSamples;) {
      n += this.rollout(this.env, task, numSamples - n, true, this.rng, sink).steps;
      if (oracle) continue;
      if (posterior) this.samplePosteriorFromBuffer(taskIndex);
      else this.samplePrior(this.rng);
    }
  }

  // ---- one gradient step ----------------------------------------------------------

  /** Sample each meta-batch task's RL rows and context rows (the oracle: its task vector as z) into the persistent batches. */
  sampleMetaBatch(taskIndices: ArrayLike<number>): void {
    const { engine: e, config: c } = this;
    for (let t = 0; t < c.metaBatch; t++) {
      const k = taskIndices[t]!;
      this.rlBuffers[k]!.sampleInto(c.batchSize, this.rng, this.rlBatch.perTask[t]!);
      if (this.encoder !== null) this.encBuffers[k]!.sampleInto(c.embeddingBatchSize, this.rng, this.contextBatch.perTask[t]!);
      else e.backend.arena.data.set(this.taskVectors[k]!, this.batchZ.offset + t * this.zDim);
    }
  }

  /**
   * The loss Q and the encoder step on, for the sampled meta-batch: Σ_i mse(Q_i(s, a, z), y) +
   * klLambda·KL, with z = μ + σ·noise per task (noise [T, zDim], the reparameterised
   * posterior sample through which the encoder learns) or the oracle's task vectors (noise
   * null). Returns z [T, zDim] and its rows for every transition [T·B, zDim] too, for V and π
   * (detached there).
   */
  qEncoderLoss(noise: Tensor | null): { loss: Tensor; qLoss: Tensor; q1: Tensor; z: Tensor; zRows: Tensor; kl: Tensor | null; zVariance: Tensor | null } {
    const { engine: e, config: c } = this;
    const b = this.rlBatch.all, B = c.batchSize;
    let z = this.batchZ, kl: Tensor | null = null, zVariance: Tensor | null = null;
    if (this.encoder !== null) {
      if (noise === null) throw new Error('PEARL.qEncoderLoss: the posterior context needs the reparameterisation noise');
      const ctx = this.contextBatch.all;
      const post = this.encoder.posteriors(concat([ctx.obs, ctx.actions, ctx.rewards], 1), c.metaBatch);
      z = add(post.mean, mul(sqrt(post.variance), noise));
      kl = sum(klToStandardNormal(post));
      zVariance = post.variance;
    }
    const zRows = repeatRows(z, B);
    // y = scale·r + γ(1 − done)·V̄(s′, z)
    const y = e.noGrad(() => add(scale(b.rewards, c.rewardScale), scale(mul(b.notDone, this.vTarget.forward(b.nextObs, zRows)[0]!), c.gamma)));
    const [q1, q2] = this.q.forward(b.obs, concat([b.actions, zRows], 1));
    const qLoss = add(mse(q1!, y), mse(q2!, y));
    return { loss: kl === null ? qLoss : add(qLoss, scale(kl, c.klLambda)), qLoss, q1: q1!, z, zRows, kl, zVariance };
  }

  /** One gradient step on the meta-batch `taskIndices`; with `record`, its losses. */
  trainStep(record: boolean): UpdateMetrics {
    const { engine: e, config: c } = this;
    const T = c.metaBatch, B = c.batchSize;
    this.sampleMetaBatch(this.taskIndices);
    const b = this.rlBatch.all;
    const metrics: UpdateMetrics = {};
    e.scope(() => {
      // Q and the encoder (which learns from these two terms only).
      const noise = this.encoder === null ? null : randomNormal(e, [T, this.zDim], this.rng);
      const { loss, qLoss, q1, z, zRows, kl, zVariance } = this.qEncoderLoss(noise);
      if (record && kl !== null && zVariance !== null) {
        metrics['losses/kl_divergence'] = kl.item() / T;
        metrics['charts/z_variance'] = mean(zVariance).item();
      }
      e.backward(loss, this.qEncoderParams, false);
      this.qOpt.step();
      this.contextOpt?.step();
      const zFixed = stopGradient(zRows);

      // V and π at ã ~ π(· | s, z̄), with the updated Q.
      const { mean: mu, logStd } = this.policy.forward(b.obs, stopGradient(z), B);
      const { action, logProb } = tanhGaussianSample(mu, logStd, randomNormal(e, mu.shape, this.rng));
      const [q1New, q2New] = this.q.qsForActor(b.obs, concat([this.scaler.toEnv(action), zFixed], 1));
      const minQ = minimum(q1New!, q2New!);
      const vLoss = mse(this.v.forward(b.obs, zFixed)[0]!, stopGradient(sub(minQ, logProb)));
      e.backward(vLoss, this.vParams, false);
      this.vOpt.step();
      this.vTarget.softUpdateFrom(this.v, c.tau);
      const policyLoss = add(mean(sub(logProb, minQ)), add(scale(mean(square(mu)), c.policyMeanReg), scale(mean(square(logStd)), c.policyStdReg)));
      e.backward(policyLoss, this.policyParams, false);
      this.policyOpt.step();
      if (record) {
        metrics['losses/qf_loss'] = checkFinite(qLoss.item() / 2, 'PEARL Q loss', this.policyOpt.stepCount);
        metrics['losses/qf1_values'] = mean(q1).item();
        metrics['losses/vf_loss'] = vLoss.item();
        metrics['losses/policy_loss'] = checkFinite(policyLoss.item(), 'PEARL policy loss', this.policyOpt.stepCount);
        metrics['charts/log_pi'] = mean(logProb).item();
      }
    });
    return metrics;
  }

  // ---- the meta-iteration ---------------------------------------------------------

  iterate(): UpdateMetrics {
    const c = this.config;
    const t0 = performance.now();
    if (!this.initialised) {
      for (let k = 0; k < this.trainTasks.length; k++) this.collect(k, c.numInitialSteps, false, true);
      this.initialised = true;
    }
    for (let i = 0; i < c.numTasksSample; i++) {
      const k = this.rng.integer(this.trainTasks.length);
      this.encBuffers[k]!.clear();
      if (c.numStepsPrior > 0) this.collect(k, c.numStepsPrior, false, true);
      if (c.numStepsPosterior > 0) this.collect(k, c.numStepsPosterior, true, true);
      if (c.numExtraRlStepsPosterior > 0) this.collect(k, c.numExtraRlStepsPosterior, true, false);
    }
    const t1 = performance.now();
    if (this.rlBuffers.some((r) => r.size === 0)) throw new ConfigError(`PEARL on ${this.envId}: a training task has no data to train on; raise numInitialSteps`);
    let metrics: UpdateMetrics = {};
    for (let s = 0; s < c.trainStepsPerIteration; s++) {
      for (let t = 0; t < c.metaBatch; t++) this.taskIndices[t] = this.rng.integer(this.trainTasks.length);
      const record = s === c.trainStepsPerIteration - 1;
      const m = this.trainStep(record);
      if (record) metrics = m;
    }
    const t2 = performance.now();
    metrics['perf/collect_seconds'] = (t1 - t0) / 1000;
    metrics['perf/update_seconds'] = (t2 - t1) / 1000;
    return metrics;
  }

  // ---- meta-test --------------------------------------------------------------------

  /**
   * PEARL's meta-test on one task: trajectories until numStepsPerEval steps, deterministic
   * actions, z from the prior for the first numExpTrajEval trajectories, then from the
   * posterior given every transition so far (re-inferred after each trajectory). Returns the
   * first (prior) and last trajectory's returns.
   */
  private evaluateTask(task: unknown, vector: Float64Array, rng: Xoshiro128Rng): { first: number; last: number } {
    const c = this.config;
    const sink: RolloutSink = { rl: null, enc: null, online: true };
    const width = this.spec.obsDim + this.spec.actionLow.length + 1;
    this.onlineRows = 0;
    if (this.encoder === null) this.setZ(vector);
    else this.samplePrior(rng);
    const returns: number[] = [];
    for (let n = 0; n < c.numStepsPerEval;) {
      const { ret, steps } = this.rollout(this.evalEnv, task, c.numStepsPerEval - n, false, rng, sink);
      n += steps;
      returns.push(ret);
      if (this.encoder !== null && returns.length >= c.numExpTrajEval) {
        this.samplePosterior(() => this.engine.tensor(this.onlineContext.subarray(0, this.onlineRows * width), [this.onlineRows, width]), rng);
      }
    }
    return { first: returns[0]!, last: returns[returns.length - 1]! };
  }

  evaluate(): MetaEvaluation {
    // The same generator every evaluation: curves compare policies, not noise.
    const rng = new Xoshiro128Rng(this.seed + 100_000);
    const test = this.testTasks.map((t, i) => this.evaluateTask(t, this.testVectors[i]!, rng));
    const metrics: Record<string, number> = { 'eval/prior_return': average(test.map((r) => r.first)) };
    if (this.inDistributionTasks.length > 0) {
      metrics['eval/in_distribution_return'] = average(this.inDistributionTasks.map((t, i) => this.evaluateTask(t, this.inDistributionVectors[i]!, rng).last));
    }
    return { returns: test.map((r) => r.last), metrics };
  }

  /**
   * What a resume needs besides the networks, optimisers and generator: every training task's
   * RL and context buffers (`rl<k>.*`, `enc<k>.*`, empty ones left out), whether the initial
   * data is collected, and the env-step count. With it a resumed run continues bit-identically.
   */
  extraState(): AgentExtraState {
    const tensors: Record<string, SafeTensor> = {};
    const extents = (kind: 'rl' | 'enc', buffers: readonly ReplayBuffer[]): number[][] => buffers.map((buffer, k) => {
      const st = buffer.state();
      if (st.size > 0) {
        const rows = (data: Float32Array, width: number): SafeTensor => ({ dtype: 'F32', shape: [st.size, width], data: data as Float32Array<ArrayBuffer> });
        Object.assign(tensors, {
          [`${kind}${k}.obs`]: rows(st.obs, buffer.obsDim), [`${kind}${k}.nextObs`]: rows(st.nextObs, buffer.obsDim), [`${kind}${k}.actions`]: rows(st.actions, buffer.actionDim),
          [`${kind}${k}.rewards`]: rows(st.rewards, 1), [`${kind}${k}.terminated`]: { dtype: 'U8', shape: [st.size], data: st.terminated as Uint8Array<ArrayBuffer> },
        });
      }
      return [st.size, st.next];
    });
    const buffers = { rl: extents('rl', this.rlBuffers), enc: extents('enc', this.encBuffers) };
    return { tensors, metadata: { buffers: JSON.stringify(buffers), initialised: String(this.initialised), envSteps: String(this.envSteps) } };
  }

  loadExtraState(state: AgentExtraState): void {
    const buffers = JSON.parse(state.metadata.buffers ?? 'null') as { rl: number[][]; enc: number[][] } | null;
    if (buffers === null || buffers.rl.length !== this.rlBuffers.length || buffers.enc.length !== this.encBuffers.length) {
      throw new Error(`PEARL: the saved state holds ${buffers?.rl.length ?? 'no'} task buffers, this run has ${this.rlBuffers.length} training tasks`);
    }
    const load = (kind: 'rl' | 'enc', targets: readonly ReplayBuffer[]): void => targets.forEach((buffer, k) => {
      const [size, next] = buffers[kind][k]!;
      const data = <T extends Float32Array | Uint8Array>(name: string, empty: T): T => {
        if (size === 0) return empty;
        const t = state.tensors[`${kind}${k}.${name}`];
        if (t === undefined) throw new Error(`PEARL: the saved state lacks '${kind}${k}.${name}' (${size} transitions of training task ${k})`);
        return t.data as T;
      };
      const st: ReplayState = {
        size: size!, next: next!, obs: data('obs', new Float32Array(0)), nextObs: data('nextObs', new Float32Array(0)), actions: data('actions', new Float32Array(0)),
        rewards: data('rewards', new Float32Array(0)), terminated: data('terminated', new Uint8Array(0)),
      };
      buffer.loadState(st);
    });
    load('rl', this.rlBuffers);
    load('enc', this.encBuffers);
    this.initialised = state.metadata.initialised === 'true';
    this.envSteps = Number(state.metadata.envSteps);
  }

  modules(): Record<string, Module> {
    return { policy: this.policy, q: this.q, v: this.v, vTarget: this.vTarget, ...(this.encoder !== null ? { encoder: this.encoder } : {}) };
  }

  optimizers(): Record<string, { module: Module; optimizer: Adam }> {
    return {
      policy: { module: this.policy, optimizer: this.policyOpt }, q: { module: this.q, optimizer: this.qOpt }, v: { module: this.v, optimizer: this.vOpt },
      ...(this.encoder !== null && this.contextOpt !== null ? { encoder: { module: this.encoder, optimizer: this.contextOpt } } : {}),
    };
  }

  close(): void {
    this.env.close();
    this.evalEnv.close();
  }
}

/** `pearl-hyper-oracle`, `PEARL (hyper networks, oracle z)`. */
function label(config: PearlConfig): { tag: string; title: string } {
  const oracle = config.context === 'oracle';
  return { tag: `pearl-${config.critic}${oracle ? '-oracle' : ''}`, title: `${config.critic === 'hyper' ? 'Hyper-PEARL' : 'PEARL'}${oracle ? ' (oracle task vector)' : ''}` };
}

/** The registry entry (src/algos/registry.ts): PEARL's presets and factory. Run steps are PEARL iterations. */
export const PEARL: MetaAlgorithm<PearlConfig> = {
  name: 'pearl',
  summary: 'PEARL (Rakelly et al. 2019) and Hyper-PEARL (Sarafian et al. 2021) on meta-RL task envs; steps are meta-iterations',
  loop: 'meta',
  schema: PEARL_SCHEMA,
  presets: {
    // No CleanRL script exists for PEARL: `cleanrl`, the default, is HypeRL's configs/default.py (400 iterations,
    // meta-batch 4), evaluated and checkpointed every 10 iterations.
    cleanrl: { run: { env: 'HalfCheetahVel-v0', totalSteps: 400, learningStarts: 0, randomSteps: 0, evalEvery: 10, checkpointEvery: 10, logEvery: 1 }, agent: {} },
    // configs/cheetah-vel.json (also used for HalfCheetah-Vel-Medium): meta-batch 16, 100 + 30 tasks,
    // 600 extra posterior steps, embedding batch 100.
    'pearl-velocity': {
      run: { env: 'HalfCheetahVel-v0', totalSteps: 400, learningStarts: 0, randomSteps: 0, evalEvery: 10, checkpointEvery: 10, logEvery: 1 },
      agent: { metaBatch: 16, numTrainTasks: 100, numTestTasks: 30, numExtraRlStepsPosterior: 600, embeddingBatchSize: 100 },
    },
    // configs/cheetah-dir.json: the two directions, 1000 prior and posterior steps, embedding batch 256.
    'pearl-direction': {
      run: { env: 'HalfCheetahDir-v0', totalSteps: 400, learningStarts: 0, randomSteps: 0, evalEvery: 10, checkpointEvery: 10, logEvery: 1 },
      agent: { metaBatch: 4, numTrainTasks: 2, numTestTasks: 2, numStepsPrior: 1000, numExtraRlStepsPosterior: 1000, embeddingBatchSize: 256 },
    },
  },
  label,
  create: (engine: Engine, env: EnvSpaces, config: PearlConfig, seed: number) => new Pearl(engine, env.id, config, seed),
};
