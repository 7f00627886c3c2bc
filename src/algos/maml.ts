/**
 * TRPO-MAML (Finn, Abbeel & Levine 2017) as in pytorch-maml-rl and HypeRL's fork of it
 * (Sarafian et al. 2021, spec A.5), read top to bottom: config → policies (MLP,
 * Context-MAML, Hyper) → sampling → linear feature baseline and advantages → inner
 * step → outer TRPO step (conjugate gradient on the Fisher-vector product, line search)
 * → the training loop with evaluation on unseen tasks.
 *
 * Inner loop: one REINFORCE step θ' = θ − α ∇θ L_in(θ), L_in = −mean_episodes mean_t
 * log π_θ(a|s)·Â, with Â the GAE (τ = 1) of a linear feature baseline fitted to the
 * task's training episodes, weight-normalised. Outer loop: TRPO on the surrogate
 * −mean_tasks mean_episodes mean_t exp(log π_θ'(a|s) − log π_old(a|s))·Â on the
 * post-adaptation episodes, trust region mean_tasks KL(π_θ' ‖ π_old) ≤ max KL (averaged over
 * steps and action dimensions, as pytorch-maml-rl's weighted_mean).
 *
 * `order: 'second'` differentiates through the inner step (θ' = θ − α∇L_in built with
 * createGraph, evaluated by a functional call), in the surrogate and in the Fisher-vector
 * product alike. `order: 'first'` treats ∇L_in as a constant (dθ'/dθ = I): the gradient is
 * taken at the adapted point, which is what HypeRL's code effectively computed
 * (`load_state_dict` of the adapted values, restored before backward; spec A.5).
 */
import { diagGaussianKl, gaussianLogProb } from '../nn/distributions.js';
import { hypeRlPolicyNetwork } from '../nn/actors.js';
import type { HyperNetwork } from '../nn/hypernetwork.js';
import { HYPE_RL_HEAD_SIGMA, xavierUniform, zerosInit } from '../nn/init.js';
import { Linear, Sequential, type Layer } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { Xoshiro128Rng } from '../core/random.js';
import type { Env } from '../envs/core.js';
import { taskFamily, taskSplits, type TaskFamily, type TaskScale } from '../envs/meta/index.js';
import { makeSync, prepare } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import type { Engine } from '../tensor/engine.js';
import { add, broadcastTo, clamp, exp, mul, neg, scale, stopGradient, sub, sum } from '../tensor/ops/elementwise.js';
import { concat } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { positive, positiveInt, positiveInts, unitInterval, type Schema } from '../core/config.js';
import type { Adam } from '../nn/optim.js';
import { observationTensor, type AgentExtraState, type EnvSpaces, type MetaAgent, type MetaEvaluation, type UpdateMetrics } from './agent.js';
import type { MetaAlgorithm } from './algorithm.js';

// ---- config -------------------------------------------------------------------------

export type MamlPolicyKind = 'mlp' | 'context' | 'hyper';
export type MamlOrder = 'first' | 'second';
export type MamlOuterPass = 'batch' | 'per-task';

export interface MamlConfig {
  policy: MamlPolicyKind;
  order: MamlOrder;
  metaBatchSize: number;
  fastBatchSize: number;
  numTrainTasks: number;
  numTestTasks: number;
  fastLr: number;
  fastHyperLr: number;
  gamma: number;
  gaeLambda: number;
  maxKl: number;
  cgIters: number;
  cgDamping: number;
  lsMaxSteps: number;
  lsBacktrackRatio: number;
  hidden: number[];
  hyperPreset: 'paper' | 'compact';
  outerPass: MamlOuterPass;
}

/**
 * Defaults are HypeRL's MAML settings (spec A.5), themselves pytorch-maml-rl's. The env, the
 * seed, the number of meta-updates (num-batches, 400) and how often the test tasks are
 * evaluated are the run's: env, seed, totalSteps and evalEvery (see the registry entry).
 */
export const MAML_SCHEMA: Schema<MamlConfig> = {
  policy: { default: 'hyper', doc: "'mlp' (NormalMLPPolicy), 'context' (task vector concatenated, Context-MAML) or 'hyper' (Hyper-MAML)", choices: ['mlp', 'context', 'hyper'] },
  order: { default: 'first', doc: "'first': gradient at the adapted point (what HypeRL's code ran); 'second': through the inner step", choices: ['first', 'second'] },
  metaBatchSize: { default: 40, doc: 'tasks per meta-batch', check: positiveInt },
  fastBatchSize: { default: 20, doc: 'episodes per task, for the inner step and again after it', check: positiveInt },
  numTrainTasks: { default: 100, doc: 'training task pool, drawn once (--num-of-tasks)', check: positiveInt },
  numTestTasks: { default: 20, doc: 'unseen test tasks evaluated before and after adaptation', check: positiveInt },
  fastLr: { default: 0.1, doc: 'inner-step learning rate of the MLP and context policies', check: positive },
  fastHyperLr: { default: 5e-5, doc: 'inner-step learning rate of the hyper policy (--fast-hyper-lr)', check: positive },
  gamma: { default: 0.95, doc: 'discount', check: unitInterval },
  gaeLambda: { default: 1.0, doc: 'GAE τ', check: unitInterval },
  maxKl: { default: 1e-2, doc: 'TRPO trust region: KL(π_new ‖ π_old) averaged over tasks, steps and action dimensions', check: positive },
  cgIters: { default: 10, doc: 'conjugate-gradient iterations', check: positiveInt },
  cgDamping: { default: 1e-5, doc: 'damping added to the Fisher-vector product', check: (v) => (Number.isFinite(v) && v >= 0 ? null : 'must be a non-negative number') },
  lsMaxSteps: { default: 20, doc: 'line-search steps at most', check: positiveInt },
  lsBacktrackRatio: { default: 0.8, doc: 'line-search step shrink factor', check: (v) => (v > 0 && v < 1 ? null : 'must be in (0, 1)') },
  hidden: { default: [100, 100], doc: 'hidden widths of the MLP and context policies (ReLU)', check: positiveInts },
  hyperPreset: { default: 'paper', doc: "hyper policy primary network: 'paper' (ResNet 256/512/1024, z 1024, dynamic 256) or 'compact' (256, dynamic 64, calibrated)", choices: ['paper', 'compact'] },
  outerPass: {
    default: 'batch',
    doc: "TRPO step's memory: 'batch' keeps the meta-batch's graph through the conjugate gradient (fastest, memory grows with metaBatchSize); 'per-task' holds one task's graph at a time, rebuilt for each Fisher-vector product (first order: same results bit for bit)",
    choices: ['batch', 'per-task'],
  },
};

// ---- policies -----------------------------------------------------------------------

/** Smallest standard deviation of the Gaussian (pytorch-maml-rl's min_log_std). */
const LOG_MIN_STD = Math.log(1e-6);

/** The Gaussian π(· | s, c) of one task: its mean for a batch of observations and its log-std. */
export type TaskPolicy = (obs: Tensor) => { mean: Tensor; logStd: Tensor };

/** A Gaussian policy π(a | s, c); c is the task vector [1, d_c] (ignored by the plain MLP). */
export interface MamlPolicy extends Module {
  readonly obsDim: number;
  readonly actionDim: number;
  forward(obs: Tensor, task: Tensor): { mean: Tensor; logStd: Tensor };
  /**
   * The policy of one task, with what depends on the task alone computed once (the hyper
   * policy's generated weights), for rollouts that call it every step. Call it under the
   * same `withParameters` as `forTask`.
   */
  forTask(task: Tensor): TaskPolicy;
}

/** NormalMLPPolicy: ReLU MLP, Xavier weights, zero biases, free log-std (init 0); with taskDim > 0, Context-MAML. */
export class NormalMlpPolicy extends Module implements MamlPolicy {
  readonly net: Sequential;
  readonly logStd: Tensor;

  constructor(engine: Engine, rng: Xoshiro128Rng, readonly obsDim: number, readonly actionDim: number, hidden: readonly number[], readonly taskDim = 0) {
    super(engine);
    const sizes = [obsDim + taskDim, ...hidden, actionDim];
    const layers: Layer[] = sizes.slice(1).map((out, i) => new Linear(engine, sizes[i]!, out, rng, {
      act: i < hidden.length ? 'relu' : 'identity', weightInit: xavierUniform(), biasInit: zerosInit,
    }));
    this.net = this.child('net', new Sequential(engine, layers));
    this.logStd = this.param('logStd', [actionDim], new Float32Array(actionDim));
  }

  forward(obs: Tensor, task: Tensor): { mean: Tensor; logStd: Tensor } {
    return this.forTask(task)(obs);
  }

  forTask(task: Tensor): TaskPolicy {
    const logStd = clamp(this.resolve(this.logStd), LOG_MIN_STD, Infinity);
    return (obs) => ({ mean: this.net.forward(this.taskDim === 0 ? obs : concat([obs, broadcastTo(task, [obs.shape[0]!, this.taskDim])], 1)), logStd });
  }
}

/**
 * HypeRL's Hyper_Policy: the task vector → primary ResNet → one generated 2-layer policy
 * (ReLU hidden layer, linear mean, both with gains) per task, shared by all its states.
 * Generated weights use hyperrl's (out, in) layout; HypeRL views them (in, out), which with
 * i.i.d. uniform heads is the same distribution.
 */
export class HyperMamlPolicy extends Module implements MamlPolicy {
  readonly hyper: HyperNetwork;
  readonly logStd: Tensor;

  constructor(engine: Engine, rng: Xoshiro128Rng, readonly obsDim: number, readonly actionDim: number, taskDim: number, preset: 'paper' | 'compact') {
    super(engine);
    this.hyper = this.child('hyper', hypeRlPolicyNetwork(engine, rng, { metaDim: taskDim, stateDim: obsDim, outputSize: actionDim, preset, outputSigma: () => HYPE_RL_HEAD_SIGMA.outputLayer }));
    this.logStd = this.param('logStd', [actionDim], new Float32Array(actionDim));
  }

  forward(obs: Tensor, task: Tensor): { mean: Tensor; logStd: Tensor } {
    return this.forTask(task)(obs);
  }

  forTask(task: Tensor): TaskPolicy {
    const generated = this.hyper.generate(task), logStd = clamp(this.resolve(this.logStd), LOG_MIN_STD, Infinity);
    return (obs) => ({ mean: this.hyper.applyDynamicShared(obs, generated), logStd });
  }
}

export function makeMamlPolicy(engine: Engine, rng: Xoshiro128Rng, config: Pick<MamlConfig, 'policy' | 'hidden' | 'hyperPreset'>, obsDim: number, actionDim: number, taskDim: number): MamlPolicy {
  if (config.policy === 'hyper') return new HyperMamlPolicy(engine, rng, obsDim, actionDim, taskDim, config.hyperPreset);
  return new NormalMlpPolicy(engine, rng, obsDim, actionDim, config.hidden, config.policy === 'context' ? taskDim : 0);
}

// ---- sampling -----------------------------------------------------------------------

/** Episodes of one task, packed episode after episode (only the steps that happened). */
export interface Episodes {
  obs: Float64Array;
  actions: Float64Array;
  rewards: Float64Array;
  lengths: number[];
}

/** One env's episode as it is sampled: growing arrays (doubled when full, so no allocation per step). */
class EpisodeRecord {
  obs: Float64Array;
  actions: Float64Array;
  rewards: Float64Array;
  length = 0;

  constructor(readonly obsDim: number, readonly actionDim: number, capacity = 256) {
    this.obs = new Float64Array(capacity * obsDim);
    this.actions = new Float64Array(capacity * actionDim);
    this.rewards = new Float64Array(capacity);
  }

  /** Append the step (obs[at, at + obsDim), action, reward). */
  push(obs: Float64Array, at: number, action: Float64Array, reward: number): void {
    if (this.length === this.rewards.length) {
      const grow = (a: Float64Array): Float64Array => { const b = new Float64Array(2 * a.length); b.set(a); return b; };
      this.obs = grow(this.obs); this.actions = grow(this.actions); this.rewards = grow(this.rewards);
    }
    this.obs.set(obs.subarray(at, at + this.obsDim), this.length * this.obsDim);
    this.actions.set(action, this.length * this.actionDim);
    this.rewards[this.length++] = reward;
  }
}

/**
 * Run `envs.length` episodes of `task` in lockstep with π(·|s, c) at `params` (the policy's
 * own when null): one policy forward per step for every env still running, the task's part
 * of the policy (the hyper policy's generated weights) computed once.
 */
function sampleEpisodes(policy: MamlPolicy, params: Tensor[] | null, envs: Env[], task: unknown, taskVector: Tensor, rng: Xoshiro128Rng): Episodes {
  const { engine, obsDim, actionDim } = policy;
  const records = envs.map(() => new EpisodeRecord(obsDim, actionDim));
  const current = new Float64Array(envs.length * obsDim);
  // Every episode's env seed comes from `rng`: the learner's generator holds all of a run's randomness (exact resumes).
  envs.forEach((env, i) => current.set(env.reset({ seed: rng.integer(2 ** 31), options: { task } }).obs, i * obsDim));
  const alive = Int32Array.from(envs.keys());
  const action = new Float64Array(actionDim), std = new Float64Array(actionDim);
  let aliveCount = envs.length;
  const run = (): void => engine.scope(() => engine.noGrad(() => {
    const act = policy.forTask(taskVector);
    while (aliveCount > 0) {
      engine.scope(() => {
        const obs = engine.empty([aliveCount, obsDim]);
        let data = engine.backend.arena.data;
        for (let row = 0; row < aliveCount; row++) data.set(current.subarray(alive[row]! * obsDim, (alive[row]! + 1) * obsDim), obs.offset + row * obsDim);
        const { mean, logStd } = act(obs);
        data = engine.backend.arena.data; // the forward may have grown the arena
        for (let d = 0; d < actionDim; d++) std[d] = Math.exp(data[logStd.offset + d]!);
        let kept = 0;
        for (let row = 0; row < aliveCount; row++) {
          const i = alive[row]!;
          for (let d = 0; d < actionDim; d++) action[d] = data[mean.offset + row * actionDim + d]! + std[d]! * rng.normal();
          const step = envs[i]!.step(action);
          records[i]!.push(current, i * obsDim, action, step.reward);
          current.set(step.obs, i * obsDim);
          if (!(step.terminated || step.truncated)) alive[kept++] = i;
        }
        aliveCount = kept;
      });
    }
  }));
  if (params === null) run();
  else policy.withParameters(params, run);
  const lengths = records.map((r) => r.length), steps = lengths.reduce((a, l) => a + l, 0);
  const episodes: Episodes = { obs: new Float64Array(steps * obsDim), actions: new Float64Array(steps * actionDim), rewards: new Float64Array(steps), lengths };
  let at = 0;
  for (const r of records) {
    episodes.obs.set(r.obs.subarray(0, r.length * obsDim), at * obsDim);
    episodes.actions.set(r.actions.subarray(0, r.length * actionDim), at * actionDim);
    episodes.rewards.set(r.rewards.subarray(0, r.length), at);
    at += r.length;
  }
  return episodes;
}

/** Mean over episodes of the undiscounted return. */
export function meanReturn(episodes: Episodes): number {
  return episodes.rewards.reduce((a, r) => a + r, 0) / episodes.lengths.length;
}

// ---- baseline and advantages --------------------------------------------------------

/** Solve (A + reg·I) x = b for symmetric positive definite A (d×d, row-major, lower triangle read) by Cholesky; null if not positive definite. */
function choleskySolve(a: Float64Array, b: Float64Array, d: number, reg: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]! + (i === j ? reg : 0);
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) { let s = b[i]!; for (let k = 0; k < i; k++) s -= l[i * d + k]! * y[k]!; y[i] = s / l[i * d + i]!; }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) { let s = y[i]!; for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * x[k]!; x[i] = s / l[i * d + i]!; }
  return x;
}

/** pytorch-maml-rl's LinearFeatureBaseline features of one step: obs, obs², t, t², t³, 1 with t = step/100. */
function baselineFeatures(obs: Float64Array, row: number, obsDim: number, step: number, out: Float64Array): void {
  for (let k = 0; k < obsDim; k++) { const o = obs[row * obsDim + k]!; out[k] = o; out[obsDim + k] = o * o; }
  const t = step / 100;
  out[2 * obsDim] = t; out[2 * obsDim + 1] = t * t; out[2 * obsDim + 2] = t * t * t; out[2 * obsDim + 3] = 1;
}

/**
 * Per-step advantages: the linear feature baseline fitted by regularised least squares
 * (reg 1e-5, ×10 on failure, as pytorch-maml-rl) to the discounted returns, GAE(γ, τ)
 * with a zero value after each episode, then normalised by their mean and std over all steps.
 */
export function baselineAdvantages(episodes: Episodes, obsDim: number, gamma: number, lambda: number): Float64Array {
  const n = episodes.rewards.length, d = 2 * obsDim + 4;
  const features = new Float64Array(n * d), returns = new Float64Array(n), phi = new Float64Array(d);
  let start = 0;
  for (const len of episodes.lengths) {
    let g = 0;
    for (let t = len - 1; t >= 0; t--) { g = episodes.rewards[start + t]! + gamma * g; returns[start + t] = g; }
    for (let t = 0; t < len; t++) { baselineFeatures(episodes.obs, start + t, obsDim, t, phi); features.set(phi, (start + t) * d); }
    start += len;
  }
  // XᵀX's lower triangle only: the Cholesky solve reads no other entry.
  const xtx = new Float64Array(d * d), xty = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const row = r * d;
    for (let i = 0; i < d; i++) {
      const fi = features[row + i]!;
      xty[i] += fi * returns[r]!;
      for (let j = 0; j <= i; j++) xtx[i * d + j] += fi * features[row + j]!;
    }
  }
  let coef: Float64Array | null = null;
  for (let reg = 1e-5, tries = 0; coef === null && tries < 10; reg *= 10, tries++) coef = choleskySolve(xtx, xty, d, reg);
  if (coef === null) throw new Error('MAML: the linear feature baseline has no solution even with regularisation 1e4 (non-finite observations or rewards?)');
  const adv = new Float64Array(n);
  start = 0;
  for (const len of episodes.lengths) {
    let next = 0, nextValue = 0;
    for (let t = len - 1; t >= 0; t--) {
      let value = 0;
      for (let i = 0; i < d; i++) value += features[(start + t) * d + i]! * coef[i]!;
      const delta = episodes.rewards[start + t]! + gamma * nextValue - value;
      next = delta + gamma * lambda * next;
      adv[start + t] = next;
      nextValue = value;
    }
    start += len;
  }
  // weighted_normalize(advantages, weights=mask) with dim=None: mean and std pooled over every valid step.
  let m = 0; for (let r = 0; r < n; r++) m += adv[r]! / n;
  let v = 0; for (let r = 0; r < n; r++) v += (adv[r]! - m) ** 2 / n;
  const sd = Math.sqrt(v) + 1e-8;
  for (let r = 0; r < n; r++) adv[r] = (adv[r]! - m) / sd;
  return adv;
}

/** Weights 1/(episodes · length of the step's episode): Σ w·x is the mean over episodes of the per-episode mean. */
function stepWeights(lengths: readonly number[]): Float64Array {
  const w = new Float64Array(lengths.reduce((a, l) => a + l, 0));
  let start = 0;
  for (const len of lengths) { w.fill(1 / (lengths.length * len), start, start + len); start += len; }
  return w;
}

// ---- inner step and outer objective -------------------------------------------------

/** One batch of episodes as tensors: observations, actions, weight·advantage and weights ([N, 1]). */
export interface EpisodeTensors {
  obs: Tensor;
  actions: Tensor;
  weightedAdvantages: Tensor;
  weights: Tensor;
}

/** A task of the meta-batch: its vector [1, d_c], pre-adaptation (train) and post-adaptation (valid) episodes. */
export interface MamlTask {
  taskVector: Tensor;
  train: EpisodeTensors;
  valid: EpisodeTensors;
}

export function episodeTensors(engine: Engine, episodes: Episodes, advantages: Float64Array, obsDim: number, actionDim: number): EpisodeTensors {
  const n = episodes.rewards.length, w = stepWeights(episodes.lengths);
  return {
    obs: engine.tensor(episodes.obs, [n, obsDim]),
    actions: engine.tensor(episodes.actions, [n, actionDim]),
    weightedAdvantages: engine.tensor(w.map((wi, r) => wi * advantages[r]!), [n, 1]),
    weights: engine.tensor(w, [n, 1]),
  };
}

/** −mean_episodes mean_t log π(a|s)·Â: the REINFORCE loss of the inner step. */
function reinforceLoss(policy: MamlPolicy, task: Tensor, batch: EpisodeTensors): Tensor {
  const { mean, logStd } = policy.forward(batch.obs, task);
  return neg(sum(mul(gaussianLogProb(mean, logStd, batch.actions), batch.weightedAdvantages)));
}

/** θ' = θ − α∇θ L_in(θ); with createGraph the result stays differentiable in θ through ∇L_in (second order). */
export function adapt(policy: MamlPolicy, taskVector: Tensor, train: EpisodeTensors, fastLr: number, createGraph: boolean): Tensor[] {
  const { engine } = policy;
  const params = policy.parameters();
  const innerStep = (): Tensor[] => engine.grad(reinforceLoss(policy, taskVector, train), params, { createGraph, allowUnused: true }).map((g) => scale(g, fastLr));
  // First order: the step α∇L_in is a constant, so the loss's graph and the raw gradients die in an inner
  // scope; only α∇L_in and θ' stay for the outer step (one parameter-sized copy per task fewer).
  const steps = createGraph ? innerStep() : engine.scope(innerStep);
  return params.map((p, i) => sub(p, steps[i]!));
}

/** The old policy on the post-adaptation episodes: fixed tensors the surrogate and KL compare against. */
export interface OldPolicy {
  logProb: Tensor;
  mean: Tensor;
  logStd: Tensor;
}

/**
 * One task's terms of the outer objective: surrogate −Σ w·exp(log π_θ' − log π_old)·Â and
 * Σ w·KL(π_θ' ‖ π_old)/d_a, θ' adapted from the current θ. With `old` null, the old policy is
 * the current adapted one (values detached, so the ratio is 1 and KL 0 but their derivatives
 * are TRPO's); the old policy used is returned for the line search.
 */
function taskObjective(policy: MamlPolicy, task: MamlTask, fastLr: number, order: MamlOrder, old: OldPolicy | null): { loss: Tensor; kl: Tensor; old: OldPolicy } {
  const fast = adapt(policy, task.taskVector, task.train, fastLr, order === 'second');
  const { mean, logStd } = policy.withParameters(fast, () => policy.forward(task.valid.obs, task.taskVector));
  const logProb = gaussianLogProb(mean, logStd, task.valid.actions);
  const o = old ?? { logProb: stopGradient(logProb), mean: stopGradient(mean), logStd: stopGradient(logStd) };
  return {
    loss: neg(sum(mul(exp(sub(logProb, o.logProb)), task.valid.weightedAdvantages))),
    // pytorch-maml-rl's weighted_mean(kl_divergence(pi, old_pi), dim=0, weights=mask): KL(π_θ' ‖ π_old) per action dimension, averaged.
    kl: scale(sum(mul(diagGaussianKl(mean, logStd, o.mean, o.logStd), task.valid.weights)), 1 / policy.actionDim),
    old: o,
  };
}

/** The mean of per-task terms, summed in task order. */
const meanOverTasks = (xs: readonly Tensor[]): Tensor => scale(xs.reduce((a, b) => add(a, b)), 1 / xs.length);

/**
 * The outer objective over the meta-batch: surrogate −mean_tasks Σ w·exp(log π_θ' − log π_old)·Â
 * and mean_tasks Σ w·KL(π_θ' ‖ π_old)/d_a (see taskObjective); the old policies used are
 * returned for the line search.
 */
export function outerObjective(policy: MamlPolicy, tasks: readonly MamlTask[], fastLr: number, order: MamlOrder, old: readonly OldPolicy[] | null): { loss: Tensor; kl: Tensor; old: OldPolicy[] } {
  const terms = tasks.map((task, i) => taskObjective(policy, task, fastLr, order, old?.[i] ?? null));
  return { loss: meanOverTasks(terms.map((t) => t.loss)), kl: meanOverTasks(terms.map((t) => t.kl)), old: terms.map((t) => t.old) };
}

// ---- TRPO pieces --------------------------------------------------------------------

/** Conjugate gradient for A x = b with A given as a product (pytorch-maml-rl's, residual tolerance 1e-10). */
export function conjugateGradient(product: (v: Float64Array) => Float64Array, b: Float64Array, iterations: number, residualTol = 1e-10): Float64Array {
  const x = new Float64Array(b.length), r = Float64Array.from(b), p = Float64Array.from(b);
  let rr = dot(r, r);
  for (let k = 0; k < iterations && rr >= residualTol; k++) {
    const ap = product(p);
    const alpha = rr / dot(p, ap);
    for (let i = 0; i < x.length; i++) { x[i] += alpha * p[i]!; r[i] -= alpha * ap[i]!; }
    const rrNext = dot(r, r);
    const beta = rrNext / rr;
    for (let i = 0; i < p.length; i++) p[i] = r[i]! + beta * p[i]!;
    rr = rrNext;
  }
  return x;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Concatenated values of tensors into one flat vector (`out`, when given, is reused); with
 * `accumulate`, added to what `out` holds as the engine adds a later contribution to a
 * gradient: out + values, rounded to the arena's precision (float32 sums of float32 values are
 * exact when done in float64 and rounded once).
 */
function flatten(ts: readonly Tensor[], out?: Float64Array, accumulate = false): Float64Array {
  const flat = out ?? new Float64Array(ts.reduce((a, t) => a + t.size, 0));
  let at = 0;
  for (const t of ts) {
    const values = t.engine.backend.arena.view(t.offset, t.size);
    if (!accumulate) flat.set(values, at);
    else if (values instanceof Float32Array) for (let i = 0; i < t.size; i++) flat[at + i] = Math.fround(flat[at + i]! + values[i]!);
    else for (let i = 0; i < t.size; i++) flat[at + i] += values[i]!;
    at += t.size;
  }
  return flat;
}

/** ∇θ (∇θ KL · v) from the KL's gradient built with createGraph, written into `out` (or added to it: `accumulate`). */
function curvatureProduct(engine: Engine, params: readonly Tensor[], klGrads: readonly Tensor[], v: Float64Array, out: Float64Array, accumulate: boolean): void {
  engine.scope(() => {
    let at = 0;
    const terms = klGrads.map((g) => { const vi = engine.tensor(v.subarray(at, at + g.size), g.shape); at += g.size; return sum(mul(g, vi)); });
    flatten(engine.grad(terms.reduce((a, b) => add(a, b)), params, { allowUnused: true }), out, accumulate);
  });
}

const addDamping = (hv: Float64Array, v: Float64Array, damping: number): Float64Array => {
  for (let i = 0; i < hv.length; i++) hv[i] += damping * v[i]!;
  return hv;
};

/**
 * F v + damping·v, F the Hessian of the mean KL at the old policy (the Fisher), from the
 * KL's gradient built with createGraph: ∇θ (∇θ KL · v). Written into `out` when given.
 */
export function fisherVectorProduct(engine: Engine, params: readonly Tensor[], klGrads: readonly Tensor[], v: Float64Array, damping: number, out?: Float64Array): Float64Array {
  const hv = out ?? new Float64Array(v.length);
  curvatureProduct(engine, params, klGrads, v, hv, false);
  return addDamping(hv, v, damping);
}

function writeFlat(engine: Engine, params: readonly Tensor[], flat: Float64Array): void {
  let at = 0;
  for (const p of params) { engine.write(p, flat.subarray(at, at + p.size)); at += p.size; }
}

export interface TrpoStepResult {
  /** Surrogate before and after the step (equal when the line search found no step). */
  lossBefore: number;
  lossAfter: number;
  kl: number;
  /** Line-search steps taken (lsMaxSteps when none was accepted and θ was restored). */
  backtracks: number;
}

/**
 * What a TRPO step needs of the outer objective at the current θ, the old policy fixed at
 * the θ it was made at: the surrogate and its negated gradient, Fisher-vector products, and
 * the surrogate and KL at trial parameters (the line search).
 */
interface OuterPass {
  lossBefore: number;
  negGrad: Float64Array;
  fvp(v: Float64Array): Float64Array;
  evaluate(): { loss: number; kl: number };
}

/**
 * `outerPass: 'batch'`: the meta-batch's graph, built once, with the KL's gradient graph kept
 * through the conjugate gradient: each Fisher-vector product is one backward pass, but memory
 * holds every task's graph (≈0.5 GB per task for the paper-size hyper policy).
 */
function batchPass(policy: MamlPolicy, tasks: readonly MamlTask[], config: MamlConfig, fastLr: number): OuterPass {
  const { engine } = policy;
  const params = policy.parameters();
  const first = outerObjective(policy, tasks, fastLr, config.order, null);
  const lossBefore = first.loss.item();
  // Parameter-sized float64 vectors are reused (the Hyper-MAML paper policy's are 108 MB each).
  const negGrad = flatten(engine.grad(first.loss, params, { allowUnused: true }));
  for (let i = 0; i < negGrad.length; i++) negGrad[i] = -negGrad[i]!;
  const klGrads = engine.grad(first.kl, params, { createGraph: true, allowUnused: true });
  const product = new Float64Array(negGrad.length);
  return {
    lossBefore, negGrad,
    fvp: (v) => fisherVectorProduct(engine, params, klGrads, v, config.cgDamping, product),
    evaluate: () => engine.scope(() => {
      const t = outerObjective(policy, tasks, fastLr, config.order, first.old);
      return { loss: t.loss.item(), kl: t.kl.item() };
    }),
  };
}

/**
 * `outerPass: 'per-task'`: one task's graph at a time, freed before the next; each Fisher-vector
 * product rebuilds every task's graph and KL gradient (a forward and a backward pass more per
 * task and conjugate-gradient iteration), so memory holds one task's graph whatever the
 * meta-batch. Gradients are summed over the tasks last to first, the order in which one backward
 * pass over the meta-batch meets them; in first order each parameter gets one contribution per
 * task (through θ' = θ − α∇L_in), so every sum, and the run, is bit-identical to 'batch'. Second
 * order adds several contributions per task, which a single pass interleaves across tasks
 * otherwise: the same step up to rounding.
 */
function perTaskPass(policy: MamlPolicy, tasks: readonly MamlTask[], config: MamlConfig, fastLr: number): OuterPass {
  const { engine } = policy;
  const params = policy.parameters(), n = tasks.length;
  /** The mean of per-task values as `meanOverTasks` computes it on the meta-batch's graph. */
  const mean = (xs: readonly number[]): number => engine.scope(() => meanOverTasks(xs.map((x) => engine.tensor([x]))).item());
  const losses: number[] = new Array<number>(n);
  const olds: OldPolicy[] = new Array<OldPolicy>(n);
  const negGrad = new Float64Array(params.reduce((a, p) => a + p.size, 0));
  // Each task's terms are weighted 1/n, the mean's weight, so their gradients are the mean's terms'.
  for (let i = n - 1; i >= 0; i--) {
    olds[i] = engine.scope(() => {
      const t = taskObjective(policy, tasks[i]!, fastLr, config.order, null);
      losses[i] = t.loss.item();
      flatten(engine.grad(scale(t.loss, 1 / n), params, { allowUnused: true }), negGrad, i < n - 1);
      // Copies: the old policy's tensors may be windows into blocks of this scope.
      const copy = (x: Tensor): Tensor => engine.tensor(x.toArray(), x.shape);
      return { logProb: copy(t.old.logProb), mean: copy(t.old.mean), logStd: copy(t.old.logStd) };
    });
  }
  for (let i = 0; i < negGrad.length; i++) negGrad[i] = -negGrad[i]!;
  const product = new Float64Array(negGrad.length);
  return {
    lossBefore: mean(losses), negGrad,
    fvp: (v) => {
      for (let i = n - 1; i >= 0; i--) {
        engine.scope(() => {
          const { kl } = taskObjective(policy, tasks[i]!, fastLr, config.order, null);
          curvatureProduct(engine, params, engine.grad(scale(kl, 1 / n), params, { createGraph: true, allowUnused: true }), v, product, i < n - 1);
        });
      }
      return addDamping(product, v, config.cgDamping);
    },
    evaluate: () => {
      const terms = tasks.map((task, i) => engine.scope(() => { const t = taskObjective(policy, task, fastLr, config.order, olds[i]!); return [t.loss.item(), t.kl.item()] as const; }));
      return { loss: mean(terms.map((t) => t[0])), kl: mean(terms.map((t) => t[1])) };
    },
  };
}

/** One TRPO meta-update of the policy's parameters on a meta-batch. */
export function trpoStep(policy: MamlPolicy, tasks: readonly MamlTask[], config: MamlConfig, fastLr: number): TrpoStepResult {
  const { engine } = policy;
  const params = policy.parameters();
  return engine.scope(() => {
    const { lossBefore, negGrad, fvp, evaluate } = (config.outerPass === 'per-task' ? perTaskPass : batchPass)(policy, tasks, config, fastLr);
    // Solve F x = −∇L for the descent direction; scale it so the quadratic KL model sits at max KL.
    const step = conjugateGradient(fvp, negGrad, config.cgIters);
    const shs = 0.5 * dot(step, fvp(step));
    const stepScale = Math.sqrt(config.maxKl / Math.max(shs, 1e-30));
    for (let i = 0; i < step.length; i++) step[i] = step[i]! * stepScale;
    const start = flatten(params), trial = negGrad; // −∇L is not needed any more
    let stepSize = 1;
    for (let k = 0; k < config.lsMaxSteps; k++) {
      for (let i = 0; i < trial.length; i++) trial[i] = start[i]! + stepSize * step[i]!;
      writeFlat(engine, params, trial);
      const { loss, kl } = evaluate();
      if (loss < lossBefore && kl < config.maxKl) return { lossBefore, lossAfter: loss, kl, backtracks: k };
      stepSize *= config.lsBacktrackRatio;
    }
    writeFlat(engine, params, start);
    return { lossBefore, lossAfter: lossBefore, kl: 0, backtracks: config.lsMaxSteps };
  });
}

// ---- the learner ----------------------------------------------------------------------

export interface MamlBatchMetrics {
  batch: number;
  /** Mean return on the meta-batch's tasks before and after the inner step. */
  trainPreReturn: number;
  trainPostReturn: number;
  trpo: TrpoStepResult;
}

/** Sampled pre- and post-adaptation episodes of one task. */
interface SampledTask {
  vector: Float64Array;
  train: Episodes;
  /** The train episodes' advantages (the inner step's, reused by the outer step). */
  trainAdvantages: Float64Array;
  valid: Episodes;
}

/** What a MAML run works with: its policy, envs, task pools and noise; the meta loop's agent. */
export class MamlLearner implements MetaAgent {
  readonly rng: Xoshiro128Rng;
  readonly family: TaskFamily<unknown>;
  readonly trainTasks: unknown[];
  readonly testTasks: unknown[];
  readonly scale: TaskScale;
  readonly policy: MamlPolicy;
  readonly fastLr: number;
  envSteps = 0;
  private readonly envs: Env[];
  /** The family's default task as a vector, for `act`. */
  private readonly defaultVector: Float64Array;

  constructor(readonly engine: Engine, readonly envId: string, readonly config: MamlConfig, readonly seed: number) {
    this.family = taskFamily(envId);
    const splits = taskSplits(this.family, { train: config.numTrainTasks, test: config.numTestTasks }, seed);
    this.trainTasks = splits.train; this.testTasks = splits.test; this.scale = splits.scale;
    this.envs = Array.from({ length: config.fastBatchSize }, () => makeSync(envId));
    const { observationSpace, actionSpace } = this.envs[0]!;
    if (!(actionSpace instanceof Box)) throw new Error(`${envId}: MAML needs a continuous (Box) action space`);
    const obsDim = observationSpace.size, actionDim = actionSpace.size;
    this.rng = new Xoshiro128Rng(seed);
    this.policy = makeMamlPolicy(engine, this.rng, config, obsDim, actionDim, this.family.taskDim);
    this.fastLr = config.policy === 'hyper' ? config.fastHyperLr : config.fastLr;
    this.defaultVector = this.family.taskVector(this.family.defaultTask, this.scale);
  }

  /** Episodes at θ, the inner step on them, and episodes at θ'. */
  sampleTask(task: unknown, rng = this.rng): SampledTask {
    const { engine, policy, config, envs } = this;
    const vector = this.family.taskVector(task, this.scale);
    return engine.scope(() => {
      const taskVector = engine.tensor(vector, [1, vector.length]);
      const train = sampleEpisodes(policy, null, envs, task, taskVector, rng);
      const trainAdvantages = baselineAdvantages(train, policy.obsDim, config.gamma, config.gaeLambda);
      const fast = adapt(policy, taskVector, episodeTensors(engine, train, trainAdvantages, policy.obsDim, policy.actionDim), this.fastLr, false);
      return { vector, train, trainAdvantages, valid: sampleEpisodes(policy, fast, envs, task, taskVector, rng) };
    });
  }

  /** Per task, the mean return before and after one inner step, with `rng`'s noise (env seeds included). */
  adaptationReturns(tasks: readonly unknown[], rng: Xoshiro128Rng): { pre: number[]; post: number[] } {
    const sampled = tasks.map((t) => this.sampleTask(t, rng));
    return { pre: sampled.map((s) => meanReturn(s.train)), post: sampled.map((s) => meanReturn(s.valid)) };
  }

  /** The test tasks' post-adaptation returns (eval/return_mean) and pre-adaptation mean, with the same noise every time. */
  evaluate(): MetaEvaluation {
    const { pre, post } = this.adaptationReturns(this.testTasks, new Xoshiro128Rng(this.seed + 100_000));
    return { returns: post, metrics: { 'eval/pre_adaptation_return': mean(pre) } };
  }

  /** One meta-update on metaBatchSize tasks drawn uniformly (with replacement) from the training pool. */
  metaUpdate(batch: number): MamlBatchMetrics {
    const { engine, policy, config } = this;
    const sampled = Array.from({ length: config.metaBatchSize }, () => this.sampleTask(this.trainTasks[Math.floor(this.rng.uniform() * this.trainTasks.length)]));
    for (const s of sampled) this.envSteps += s.train.rewards.length + s.valid.rewards.length;
    const trpo = engine.scope(() => {
      const tasks = sampled.map((s): MamlTask => ({
        taskVector: engine.tensor(s.vector, [1, s.vector.length]),
        train: episodeTensors(engine, s.train, s.trainAdvantages, policy.obsDim, policy.actionDim),
        valid: episodeTensors(engine, s.valid, baselineAdvantages(s.valid, policy.obsDim, config.gamma, config.gaeLambda), policy.obsDim, policy.actionDim),
      }));
      return trpoStep(policy, tasks, config, this.fastLr);
    });
    return { batch, trpo, trainPreReturn: mean(sampled.map((s) => meanReturn(s.train))), trainPostReturn: mean(sampled.map((s) => meanReturn(s.valid))) };
  }

  iterate(iteration: number): UpdateMetrics {
    const m = this.metaUpdate(iteration);
    return {
      'charts/train_pre_adaptation_return': m.trainPreReturn, 'charts/train_post_adaptation_return': m.trainPostReturn,
      'losses/surrogate_before': m.trpo.lossBefore, 'losses/surrogate_after': m.trpo.lossAfter, 'losses/kl': m.trpo.kl, 'charts/backtracks': m.trpo.backtracks,
    };
  }

  /** The mean action of π_θ (before adaptation) for the family's default task, or a sample around it (explore). */
  act(obs: ArrayLike<number>, explore: boolean, out: Float64Array): void {
    const { engine: e, policy } = this;
    e.scope(() => e.noGrad(() => {
      const { mean: mu, logStd } = policy.forward(observationTensor(e, obs, policy.obsDim), e.tensor(this.defaultVector, [1, this.defaultVector.length]));
      const m = mu.toArray(), ls = logStd.toArray();
      for (let i = 0; i < out.length; i++) out[i] = m[i]! + (explore ? Math.exp(ls[i]!) * this.rng.normal() : 0);
    }));
  }

  modules(): Record<string, Module> {
    return { policy: this.policy };
  }

  /** The env-step count: the rest of a run's state is the policy and the generator. */
  extraState(): AgentExtraState {
    return { tensors: {}, metadata: { envSteps: String(this.envSteps) } };
  }

  loadExtraState(state: AgentExtraState): void {
    this.envSteps = Number(state.metadata.envSteps ?? 0);
  }

  /** None: TRPO steps without an optimiser state. */
  optimizers(): Record<string, { module: Module; optimizer: Adam }> {
    return {};
  }

  close(): void {
    for (const env of this.envs) env.close();
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** How long `trainMaml` trains and how often it evaluates. */
export interface MamlRun {
  env: string;
  seed: number;
  /** Meta-updates (HypeRL's num-batches: 400). */
  numBatches: number;
  /** Meta-updates between evaluations on the test tasks (HypeRL: 1). */
  evalEvery: number;
}

/**
 * Train MAML for `run.numBatches` meta-updates (the library entry point; `hyperrl train
 * --algo maml` runs the same learner in the meta loop). `onBatch` receives each batch's
 * metrics, with the test tasks' evaluation every evalEvery batches.
 */
export async function trainMaml(engine: Engine, config: MamlConfig, run: MamlRun, onBatch: (m: MamlBatchMetrics, test: MetaEvaluation | null) => void = () => {}): Promise<MamlLearner> {
  await prepare(run.env);
  const learner = new MamlLearner(engine, run.env, config, run.seed);
  try {
    for (let b = 0; b < run.numBatches; b++) {
      const m = learner.metaUpdate(b);
      onBatch(m, (b + 1) % run.evalEvery === 0 ? learner.evaluate() : null);
    }
  } finally {
    learner.close();
  }
  return learner;
}

/** `maml-hyper`, `Hyper-MAML (first order)`. */
function label(config: MamlConfig): { tag: string; title: string } {
  const name = config.policy === 'hyper' ? 'Hyper-MAML' : config.policy === 'context' ? 'Context-MAML' : 'MAML';
  return { tag: `maml-${config.policy}`, title: `${name} (${config.order} order)` };
}

/** The registry entry (src/algos/registry.ts): run steps are meta-updates. */
export const MAML: MetaAlgorithm<MamlConfig> = {
  name: 'maml',
  summary: 'TRPO-MAML (Finn et al. 2017), Context-MAML and Hyper-MAML (Sarafian et al. 2021) on meta-RL task envs; steps are meta-updates',
  loop: 'meta',
  schema: MAML_SCHEMA,
  // The grid's critic axis of an experiment spec (mlp, context, hyper) is the policy here.
  gridKey: 'policy',
  presets: {
    // No CleanRL script exists for MAML: `cleanrl`, the default, is HypeRL's (pytorch-maml-rl's) settings: 400
    // meta-updates, the test tasks evaluated after every one.
    cleanrl: { run: { env: 'HalfCheetahVel-v0', totalSteps: 400, learningStarts: 0, randomSteps: 0, evalEvery: 1, checkpointEvery: 10, logEvery: 1 }, agent: {} },
  },
  label,
  create: (engine: Engine, env: EnvSpaces, config: MamlConfig, seed: number) => new MamlLearner(engine, env.id, config, seed),
};
