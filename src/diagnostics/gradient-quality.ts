/**
 * HypeRL's gradient-quality diagnostic (Sarafian et al. 2021, `TD3/bias_test.py`):
 * how well the critic's action-gradient ∇ₐQ1(s, π(s)) points along the "true"
 * gradient of the return, estimated from Monte-Carlo rollouts of perturbed actions.
 *
 *  1. States from the policy's own distribution: from reset, follow π for
 *     n ~ U{0..T−1} steps (T = the episode limit) and save the MuJoCo state.
 *  2. Per state, actions π(s) and π(s) + N(0, σ²) clipped to the bounds (σ in units of
 *     the action half-range, so the authors' σ = 0.3 on their [−1, 1] tasks).
 *  3. Per action, restore the state, hold the action for `holdSteps` steps, then follow π
 *     until termination or T − n steps in all; discounted return, bootstrapped at the
 *     truncation with γ^j·min(Q1′, Q2′)(s_T, π(s_T)) from the target critic.
 *  4. Slope of the returns against the actions by least squares over all pairs, and its
 *     cosine with the online critic's ∇ₐQ1(s, π(s)); mean and 95% t-interval over states.
 *
 * All rollouts of a batch run side by side on separate env instances in this thread, so
 * π is evaluated once per step for the whole batch. Seeded and deterministic.
 */
import type { Critic } from '../nn/critics.js';
import { Xoshiro128Rng } from '../core/random.js';
import type { TwinCriticAgent } from '../algos/agent.js';
import { checkEnvOutput } from '../envs/core.js';
import { MujocoEnv } from '../envs/mujoco/mujoco-env.js';
import { makeSync, prepare } from '../envs/registry.js';
import { TimeLimit } from '../envs/wrappers.js';
import type { RowNormalizer } from '../replay/replay-buffer.js';
import type { Engine } from '../tensor/engine.js';
import { minimum } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { cosineSimilarity, fitSlope, RankDeficientError, type SlopeFit } from './slope-fit.js';
import { meanWithTInterval, type MeanInterval } from './statistics.js';

export interface GradientQualityOptions {
  /** States sampled from the policy's state distribution. */
  states: number;
  /** Actions per state: π(s) and actionsPerState − 1 perturbations. */
  actionsPerState: number;
  /** Perturbation std, in units of the action half-range (high − low)/2. */
  noiseStd: number;
  /** Steps each perturbed action is held before following π. */
  holdSteps: number;
  /** Episode limit T: states come from steps 0..T−1, rollouts end at step T. Default: the env's registered limit. */
  maxEpisodeSteps?: number;
  gamma: number;
  seed: number;
  /** Env instances stepped side by side (rollouts per batch). */
  envs: number;
  /** Where the actions do not span the action space, use the minimum-norm slope instead of leaving the state out. */
  pseudoinverse: boolean;
}

/** The authors' settings (TD3/bias_test.py), all rollouts of a checkpoint in one batch. */
export const GRADIENT_QUALITY_DEFAULTS: GradientQualityOptions = {
  states: 15, actionsPerState: 15, noiseStd: 0.3, holdSteps: 3, gamma: 0.99, seed: 0, envs: 225, pseudoinverse: false,
};

export interface StateDiagnostic {
  /** Reset seed and policy steps from reset that reproduce the state. */
  resetSeed: number;
  stepsFromReset: number;
  cosine: number;
  criticGradient: number[];
  returnSlope: number[];
  /** Action directions the perturbations determined; below the action dimension the slope and cosine are NaN (unless pseudoinverse). */
  rank: number;
  /** Q1(s, π(s)) of the online critic and the Monte-Carlo return of π(s) from the same state. */
  q: number;
  policyReturn: number;
}

export interface GradientQualityResult {
  /** The settings used, with the episode limit resolved. */
  settings: GradientQualityOptions;
  /** Mean over states and 95% Student-t interval, clipped to [−1, 1]. */
  cosine: MeanInterval;
  /** Cosine per state (NaN where the slope is undetermined or a gradient is zero; left out of the mean). */
  perState: number[];
  states: StateDiagnostic[];
  envSteps: number;
  seconds: number;
}

/** What the diagnostic needs of an agent: a deterministic policy and the online and target critics. */
interface DiagnosedAgent {
  engine: Engine;
  actionLow: readonly number[];
  actionHigh: readonly number[];
  obsDim: number;
  critic: Critic;
  criticTarget: Critic;
  /** Deterministic env-scale action: TD3's actor, SAC's tanh(mean). */
  policy(obs: Tensor): Tensor;
  /** Observations (rows × obsDim, raw as the env returns them) as the networks' input tensor. */
  stateTensor(obs: Float64Array, rows: number): Tensor;
}

function diagnosed(agent: TwinCriticAgent, normalizer: RowNormalizer | undefined): DiagnosedAgent {
  const { engine, spec, critic, criticTarget } = agent;
  // A run trained with normalised observations saw its states through the run's statistics.
  const stateTensor = (obs: Float64Array, rows: number): Tensor => {
    if (normalizer === undefined) return engine.tensor(obs.subarray(0, rows * spec.obsDim), [rows, spec.obsDim]);
    const z = new Float64Array(rows * spec.obsDim);
    for (let r = 0; r < rows; r++) normalizer.normalize(obs, r * spec.obsDim, z, r * spec.obsDim);
    return engine.tensor(z, [rows, spec.obsDim]);
  };
  const policy = (obs: Tensor): Tensor => agent.policy(obs);
  return { engine, actionLow: spec.actionLow, actionHigh: spec.actionHigh, obsDim: spec.obsDim, critic, criticTarget, policy, stateTensor };
}

/** A saved state of the sampling phase. */
interface SampledState {
  resetSeed: number;
  stepsFromReset: number;
  physics: Float64Array;
  obs: Float64Array;
}

export interface GradientQualityRun extends Partial<GradientQualityOptions> {
  agent: TwinCriticAgent;
  /** The run's observation statistics at this snapshot, if it trained with normalised observations. */
  normalizer?: RowNormalizer;
  envId: string;
  /** Progress messages (one per rollout batch). */
  onProgress?: (message: string) => void;
}

export async function gradientQuality(run: GradientQualityRun): Promise<GradientQualityResult> {
  const o: GradientQualityOptions = { ...GRADIENT_QUALITY_DEFAULTS, ...definedOnly(run) };
  checkOptions(o);
  const t0 = performance.now();
  const dim = run.agent.spec.actionLow.length;
  if (o.actionsPerState <= dim && !o.pseudoinverse) {
    throw new RangeError(`gradient quality: ${o.actionsPerState} actions per state cannot determine a slope in ${dim} action dimensions; use more than ${dim} (or pseudoinverse)`);
  }
  const agent = diagnosed(run.agent, run.normalizer);
  let pool: EnvPool | undefined;
  try {
    pool = await EnvPool.create(run.envId, Math.min(o.envs, o.states * o.actionsPerState), agent, o.maxEpisodeSteps);
    const rng = new Xoshiro128Rng(o.seed);
    const states = pool.sampleStates(o.states, rng);

    // π(s), its perturbations, and the critic's ∇ₐQ1(s, π(s)) for every state.
    const { policyActions, gradients, qs } = criticAtPolicy(agent, states);
    const actions = new Float64Array(o.states * o.actionsPerState * dim);
    for (let k = 0; k < o.states; k++) {
      for (let j = 0; j < o.actionsPerState; j++) {
        for (let p = 0; p < dim; p++) {
          const lo = agent.actionLow[p]!, hi = agent.actionHigh[p]!;
          const a0 = policyActions[k * dim + p]!;
          const noise = j === 0 ? 0 : o.noiseStd * ((hi - lo) / 2) * rng.normal();
          actions[(k * o.actionsPerState + j) * dim + p] = Math.min(hi, Math.max(lo, a0 + noise));
        }
      }
    }

    const jobs: RolloutJob[] = [];
    for (let k = 0; k < o.states; k++) for (let j = 0; j < o.actionsPerState; j++) {
      jobs.push({ state: states[k]!, action: actions.subarray((k * o.actionsPerState + j) * dim, (k * o.actionsPerState + j + 1) * dim) });
    }
    const returns = new Float64Array(jobs.length);
    for (let start = 0; start < jobs.length; start += pool.size) {
      const batch = jobs.slice(start, start + pool.size);
      returns.set(pool.rollouts(batch, o.holdSteps, o.gamma), start);
      run.onProgress?.(`rollouts ${start + batch.length}/${jobs.length} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }

    const perState: number[] = [];
    const diagnostics: StateDiagnostic[] = states.map((s, k) => {
      const n = o.actionsPerState;
      const fit = stateSlope(actions.subarray(k * n * dim, (k + 1) * n * dim), returns.subarray(k * n, (k + 1) * n), dim, o.pseudoinverse);
      const g = gradients.subarray(k * dim, (k + 1) * dim);
      const cosine = cosineSimilarity(g, fit.slope);
      perState.push(cosine);
      return {
        resetSeed: s.resetSeed, stepsFromReset: s.stepsFromReset, cosine, criticGradient: [...g], returnSlope: [...fit.slope],
        rank: fit.rank, q: qs[k]!, policyReturn: returns[k * n]!,
      };
    });
    // A t-interval can reach past ±1 with few states; a cosine cannot.
    const { mean, lo, hi } = meanWithTInterval(perState);
    const cosine = { mean, lo: Math.max(-1, lo), hi: Math.min(1, hi) };
    return { settings: { ...o, maxEpisodeSteps: pool.maxEpisodeSteps }, cosine, perState, states: diagnostics, envSteps: pool.envSteps, seconds: (performance.now() - t0) / 1000 };
  } finally {
    pool?.close();
  }
}

/**
 * The state's slope. When clipping leaves the actions spanning fewer directions than the
 * action space (π(s) on a bound and every perturbation of that coordinate clipped back onto
 * it: rare with the authors' 15 actions, common with few), the slope is undetermined: NaN,
 * so the state's cosine is NaN and left out of the mean, unless the minimum-norm slope is asked for.
 */
function stateSlope(actions: Float64Array, returns: Float64Array, dim: number, pseudoinverse: boolean): SlopeFit {
  try {
    return fitSlope(actions, returns, dim, { pseudoinverse });
  } catch (e) {
    if (!(e instanceof RankDeficientError)) throw e;
    return { slope: new Float64Array(dim).fill(NaN), rank: e.rank };
  }
}

function definedOnly(run: GradientQualityRun): Partial<GradientQualityOptions> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(GRADIENT_QUALITY_DEFAULTS).concat('maxEpisodeSteps')) {
    const v = (run as unknown as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<GradientQualityOptions>;
}

function checkOptions(o: GradientQualityOptions): void {
  const positiveInts = ['states', 'actionsPerState', 'envs'] as const;
  for (const k of positiveInts) if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`gradient quality: ${k} must be a positive integer, got ${o[k]}`);
  if (o.actionsPerState < 2) throw new RangeError('gradient quality: actionsPerState must be at least 2');
  if (!Number.isInteger(o.holdSteps) || o.holdSteps < 1) throw new RangeError(`gradient quality: holdSteps must be a positive integer, got ${o.holdSteps}`);
  if (!(o.noiseStd > 0) || !Number.isFinite(o.noiseStd)) throw new RangeError(`gradient quality: noiseStd must be a positive number, got ${o.noiseStd}`);
  if (!(o.gamma >= 0 && o.gamma <= 1)) throw new RangeError(`gradient quality: gamma must be in [0, 1], got ${o.gamma}`);
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`gradient quality: seed must be an integer, got ${o.seed}`);
  if (o.maxEpisodeSteps !== undefined && (!Number.isInteger(o.maxEpisodeSteps) || o.maxEpisodeSteps < 1)) {
    throw new RangeError(`gradient quality: maxEpisodeSteps must be a positive integer, got ${o.maxEpisodeSteps}`);
  }
}

/** π(s) for each state, and ∇ₐQ1(s, a) and Q1(s, a) of the online critic at a = π(s). */
function criticAtPolicy(agent: DiagnosedAgent, states: readonly SampledState[]): { policyActions: Float64Array; gradients: Float64Array; qs: Float64Array } {
  const e = agent.engine, k = states.length, dim = agent.actionLow.length;
  const obs = new Float64Array(k * agent.obsDim);
  states.forEach((s, i) => obs.set(s.obs, i * agent.obsDim));
  const policyActions = new Float64Array(k * dim), gradients = new Float64Array(k * dim), qs = new Float64Array(k);
  e.scope(() => {
    const s = agent.stateTensor(obs, k);
    const a0 = e.noGrad(() => agent.policy(s));
    readRows(e, a0, policyActions);
    const a = e.tensor(policyActions, [k, dim]);
    a.requiresGrad = true;
    const q1 = agent.critic.forward(s, a)[0]!;
    readRows(e, q1, qs);
    // Rows are independent, so the gradient of ΣQ1 w.r.t. the batch of actions is every row's ∇ₐQ1.
    const seed = e.tensor(new Float64Array(k).fill(1), q1.shape);
    const [g] = e.grad(q1, [a], { gradOutput: seed });
    readRows(e, g!, gradients);
  });
  return { policyActions, gradients, qs };
}

function readRows(e: Engine, t: Tensor, out: Float64Array): void {
  const d = e.backend.arena.data;
  for (let i = 0; i < out.length; i++) out[i] = d[t.offset + i]!;
}

interface RolloutJob {
  state: SampledState;
  action: Float64Array;
}

/** MuJoCo env instances (unwrapped: the episode limit is counted here) and the batched policy. */
class EnvPool {
  envSteps = 0;
  private readonly obs: Float64Array;
  private readonly actions: Float64Array;
  private readonly dim: number;

  static async create(envId: string, size: number, agent: DiagnosedAgent, maxEpisodeSteps: number | undefined): Promise<EnvPool> {
    await prepare(envId);
    const envs: MujocoEnv[] = [];
    let limit = maxEpisodeSteps;
    for (let i = 0; i < size; i++) {
      const made = makeSync(envId);
      const env = made instanceof TimeLimit ? made.unwrapped : made;
      if (!(env instanceof MujocoEnv)) {
        made.close();
        for (const m of envs) m.close();
        throw new Error(`gradient quality: ${envId} is not a MuJoCo env; the diagnostic saves and restores the physics state`);
      }
      limit ??= made instanceof TimeLimit ? made.maxEpisodeSteps : undefined;
      env.reset({ seed: 0 }); // step() needs one reset; setState then puts the physics anywhere
      envs.push(env);
    }
    if (limit === undefined) throw new Error(`gradient quality: ${envId} has no episode limit; pass maxEpisodeSteps`);
    if (envs[0]!.observationSpace.size !== agent.obsDim || envs[0]!.actionSpace.size !== agent.actionLow.length) {
      throw new Error(`gradient quality: ${envId} has observation/action sizes ${envs[0]!.observationSpace.size}/${envs[0]!.actionSpace.size}, the agent ${agent.obsDim}/${agent.actionLow.length}`);
    }
    return new EnvPool(envs, agent, limit);
  }

  private constructor(private readonly envs: MujocoEnv[], private readonly agent: DiagnosedAgent, readonly maxEpisodeSteps: number) {
    this.dim = agent.actionLow.length;
    this.obs = new Float64Array(envs.length * agent.obsDim);
    this.actions = new Float64Array(envs.length * this.dim);
  }

  get size(): number {
    return this.envs.length;
  }

  /**
   * States after n ~ U{0..T−1} policy steps from a seeded reset. An episode that terminates
   * before step n cannot reach it: n is redrawn below the episode's length and the same reset replayed.
   */
  sampleStates(count: number, rng: Xoshiro128Rng): SampledState[] {
    const T = this.maxEpisodeSteps;
    const targets = Array.from({ length: count }, () => ({ resetSeed: Math.floor(rng.uniform() * 2 ** 31), steps: Math.floor(rng.uniform() * T) }));
    const out: SampledState[] = [];
    for (let start = 0; start < count; start += this.size) {
      const batch = targets.slice(start, start + this.size);
      const done = new Array<boolean>(batch.length).fill(false), elapsed = new Array<number>(batch.length).fill(0);
      const saved: SampledState[] = new Array(batch.length);
      const save = (i: number): void => {
        const env = this.envs[i]!;
        saved[i] = { resetSeed: batch[i]!.resetSeed, stepsFromReset: batch[i]!.steps, physics: env.getState(), obs: Float64Array.from(env.obs) };
        done[i] = true;
      };
      batch.forEach((t, i) => {
        this.envs[i]!.reset({ seed: t.resetSeed });
        if (t.steps === 0) save(i);
      });
      while (done.some((d) => !d)) {
        this.policyFor(batch.length);
        for (let i = 0; i < batch.length; i++) {
          if (done[i]) continue;
          const env = this.envs[i]!;
          const r = env.step(this.actions.subarray(i * this.dim, (i + 1) * this.dim));
          this.envSteps++;
          elapsed[i]++;
          checkEnvOutput(env.id, 'diagnostic state sampling', start + i, elapsed[i]!, r.obs, r.reward);
          if (r.terminated) {
            batch[i]!.steps = Math.floor(rng.uniform() * elapsed[i]!);
            elapsed[i] = 0;
            env.reset({ seed: batch[i]!.resetSeed });
            if (batch[i]!.steps === 0) save(i);
          } else if (elapsed[i] === batch[i]!.steps) {
            save(i);
          }
        }
      }
      out.push(...saved);
    }
    return out;
  }

  /** Discounted returns of the jobs (at most `size`), each from its restored state. */
  rollouts(jobs: readonly RolloutJob[], holdSteps: number, gamma: number): Float64Array {
    const n = jobs.length;
    const returns = new Float64Array(n), discount = new Float64Array(n).fill(1);
    const elapsed = new Array<number>(n).fill(0), done = new Array<boolean>(n).fill(false);
    const truncated: number[] = [];
    jobs.forEach((job, i) => this.envs[i]!.setState(job.state.physics));
    for (let t = 0; done.some((d) => !d); t++) {
      if (t >= holdSteps) this.policyFor(n);
      for (let i = 0; i < n; i++) {
        if (done[i]) continue;
        const job = jobs[i]!;
        const r = this.envs[i]!.step(t < holdSteps ? job.action : this.actions.subarray(i * this.dim, (i + 1) * this.dim));
        this.envSteps++;
        checkEnvOutput(this.envs[i]!.id, 'diagnostic rollout', i, t + 1, r.obs, r.reward);
        returns[i] += discount[i]! * r.reward;
        discount[i] *= gamma;
        elapsed[i]++;
        if (r.terminated) done[i] = true;
        else if (job.state.stepsFromReset + elapsed[i]! >= this.maxEpisodeSteps) {
          done[i] = true;
          truncated.push(i);
        }
      }
    }
    // Truncated rollouts: + γ^j·min(Q1′, Q2′)(s_T, π(s_T)) from the target critic, all in one batch.
    if (truncated.length > 0) {
      const values = this.targetValues(truncated);
      truncated.forEach((i, k) => { returns[i] += discount[i]! * values[k]!; });
    }
    return returns;
  }

  close(): void {
    for (const env of this.envs) env.close();
  }

  /** π of the first `count` envs' current observations, into `actions` (one batched forward; finished envs' rows are ignored). */
  private policyFor(count: number): void {
    const { agent } = this;
    const e = agent.engine;
    for (let i = 0; i < count; i++) this.obs.set(this.envs[i]!.obs, i * agent.obsDim);
    e.scope(() => e.noGrad(() => {
      const a = agent.policy(agent.stateTensor(this.obs, count));
      readRows(e, a, this.actions.subarray(0, count * this.dim));
    }));
    for (let i = 0; i < count * this.dim; i++) {
      const p = i % this.dim;
      this.actions[i] = Math.min(agent.actionHigh[p]!, Math.max(agent.actionLow[p]!, this.actions[i]!));
    }
  }

  /** min(Q1′, Q2′)(s, π(s)) of the target critic at the current observations of the given envs. */
  private targetValues(envIndices: readonly number[]): Float64Array {
    const { agent } = this;
    const e = agent.engine;
    const obs = new Float64Array(envIndices.length * agent.obsDim);
    envIndices.forEach((i, k) => obs.set(this.envs[i]!.obs, k * agent.obsDim));
    const values = new Float64Array(envIndices.length);
    e.scope(() => e.noGrad(() => {
      const s = agent.stateTensor(obs, envIndices.length);
      const qs = agent.criticTarget.forward(s, agent.policy(s));
      readRows(e, qs.length > 1 ? minimum(qs[0]!, qs[1]!) : qs[0]!, values);
    }));
    return values;
  }
}
