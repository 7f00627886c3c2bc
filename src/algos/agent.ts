/**
 * What the training loops need from an algorithm: acting, the parameters and optimisers
 * for checkpoints, and (off-policy: TD3, SAC) one gradient update from the replay buffer.
 */
import { HYPER_CRITIC_PRESETS, HyperCritic, MlpCritic, type Critic, type HyperCriticPreset } from '../nn/critics.js';
import type { HypeRlPrimaryRule } from '../nn/init.js';
import type { Module } from '../nn/module.js';
import type { SafeTensor } from '../nn/safetensors.js';
import type { Adam } from '../nn/optim.js';
import { NonFiniteError } from '../core/non-finite.js';
import type { Xoshiro128Rng } from '../core/random.js';
import type { Env } from '../envs/core.js';
import { Box } from '../envs/spaces.js';
import type { ReplayBuffer, ReplaySample } from '../replay/replay-buffer.js';
import type { Engine } from '../tensor/engine.js';
import { mean, squaredDifference } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { positiveInt, positiveInts, unitInterval, type Schema } from '../core/config.js';

/** State an agent keeps besides its modules and optimisers: arrays, and strings (JSON) for the rest. */
export interface AgentExtraState {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Losses and statistics of one update, under CleanRL's metric names. */
export type UpdateMetrics = Record<string, number>;

/** What every agent gives the shared training pieces: evaluation, checkpoints and snapshots. */
export interface Agent {
  readonly engine: Engine;
  /** The algorithm's own generator (exploration noise, sampling); checkpointed. */
  readonly rng: Xoshiro128Rng;
  /**
   * Write an env-scale action for one observation into `out` (a discrete agent: the class index
   * in out[0]); explore adds the algorithm's noise. `rawObs`: the env's own observation when
   * `obs` is normalised (VariBAD's VAE reads it; absent: obs is the env's own).
   */
  act(obs: ArrayLike<number>, explore: boolean, out: Float64Array, rawObs?: ArrayLike<number>): void;
  /**
   * Agents with memory: episode `episode` (0, 1, … within one evaluation) starts. Episodes
   * follow one another as they do in training: a recurrent state restarts, RL² inputs carry
   * the previous episode's last step (from nothing at episode 0).
   */
  startEpisode?(episode: number): void;
  /**
   * Agents that see rewards (RL² inputs, VariBAD's VAE): the reward (scaled as the agent
   * learns from it), the end flag and the env's own reward of the step just acted for, in evaluation.
   */
  observe?(reward: number, done: boolean, rawReward: number): void;
  /** Everything with parameters, by name, for checkpoints. */
  modules(): Record<string, Module>;
  /** Agents with state besides parameters and optimisers (VariBAD's trial buffer and belief statistics), for checkpoints. */
  extraState?(): AgentExtraState;
  loadExtraState?(state: AgentExtraState): void;
  optimizers(): Record<string, { module: Module; optimizer: Adam }>;
}

export interface OffPolicyAgent extends Agent {
  /** One gradient step; `updateIndex` counts from 0 (delayed updates depend on it). */
  update(replay: ReplayBuffer, updateIndex: number): UpdateMetrics;
}

/** A meta-test evaluation: the headline return per held-out task, and further named results. */
export interface MetaEvaluation {
  /** Per test task: MAML's post-adaptation return, PEARL's return with the posterior (eval/return_mean is their mean). */
  returns: number[];
  /** Further results under their metric names (`eval/pre_adaptation_return`, `eval/prior_return`, …). */
  metrics: Record<string, number>;
}

/**
 * A meta-RL learner (MAML, PEARL): it owns its task pools, envs and buffers; the meta loop
 * (src/train/loops/meta.ts) calls `iterate` once per meta-iteration.
 */
export interface MetaAgent extends Agent {
  /** One meta-iteration (MAML: a meta-update; PEARL: data collection, then gradient steps); counts from 0. */
  iterate(iteration: number): UpdateMetrics;
  /** Meta-test evaluation on the held-out tasks, with generators of its own (training is not disturbed). */
  evaluate(): MetaEvaluation;
  /** Env steps sampled since the agent was made. */
  readonly envSteps: number;
  /** Close the agent's envs. */
  close(): void;
}

/** How an on-policy agent wants its vector env: how many envs, and the normalisation wrappers around them. */
export interface OnPolicyEnvConfig {
  numEnvs: number;
  /** 'sync': the envs step in the training thread; 'async': on worker threads (runs are bit-identical either way). */
  vectorEnv: 'sync' | 'async';
  /** Worker threads of an async vector env (0: one per core, at most one per env). */
  workers: number;
  numSteps: number;
  gamma: number;
  normalizeObservation: boolean;
  normalizeReward: boolean;
  observationClip: number;
  rewardClip: number;
}

/**
 * What the on-policy loop needs from an algorithm (PPO): acting on every env's observation
 * into its rollout, the outcome of each step, and an update once numSteps steps are in.
 */
export interface OnPolicyAgent extends Agent {
  readonly config: OnPolicyEnvConfig;
  /**
   * Act on numEnvs × obsDim observations (normalised or not), writing env actions (discrete:
   * class indices) into envActions; rawObs: the env's own observations (VariBAD's VAE reads them).
   */
  collect(obs: ArrayLike<number>, envActions: Float64Array, rawObs: ArrayLike<number>): void;
  /** The step's rewards as the agent learns from them (normalised or not), flags, and the env's own rewards. */
  recordOutcome(rewards: ArrayLike<number>, terminations: ArrayLike<number>, truncations: ArrayLike<number>, rawRewards: ArrayLike<number>): void;
  /** The envs were reset from outside the rollout. */
  episodesRestarted(): void;
  /** Learn from the full rollout; nextObs: the observations after its last step (rawNextObs: the env's own); iteration counts from 0. */
  update(nextObs: ArrayLike<number>, iteration: number, numIterations: number, rawNextObs: ArrayLike<number>): UpdateMetrics;
}

/** An actor-critic agent with a twin critic and its target, as HypeRL's gradient-quality diagnostic needs it. */
export interface TwinCriticAgent extends Agent {
  readonly spec: AgentSpec;
  readonly config: OffPolicyConfig;
  readonly critic: Critic;
  readonly criticTarget: Critic;
  /** The deterministic env-scale action for a batch of observations (TD3's actor, SAC's tanh(mean)), in the current scope. */
  policy(obs: Tensor): Tensor;
}

export const isTwinCriticAgent = (agent: Agent): agent is TwinCriticAgent =>
  'critic' in agent && 'criticTarget' in agent && typeof (agent as Partial<TwinCriticAgent>).policy === 'function';

/** Mean squared error. */
export const mse = (a: Tensor, b: Tensor): Tensor => mean(squaredDifference(a, b));

/** Stop a run on a non-finite loss instead of training on NaN. */
export function checkFinite(value: number, what: string, updateIndex: number): number {
  if (!Number.isFinite(value)) throw new NonFiniteError(`${what} is ${value} at update ${updateIndex}: training diverged (lower the learning rate, check observations and rewards)`);
  return value;
}

/** Copy one observation into a [1, dim] tensor of the current scope. */
export function observationTensor(engine: Engine, obs: ArrayLike<number>, dim: number): Tensor {
  if (obs.length !== dim) throw new RangeError(`observation has ${obs.length} values, the agent expects ${dim}`);
  const t = engine.empty([1, dim]);
  const d = engine.backend.arena.data;
  for (let i = 0; i < dim; i++) {
    const v = obs[i]!;
    if (!Number.isFinite(v)) throw new NonFiniteError(`observation[${i}] is ${v}`);
    d[t.offset + i] = v;
  }
  return t;
}

/** The env's dimensions and action bounds, as an agent needs them. */
export interface AgentSpec {
  obsDim: number;
  actionLow: readonly number[];
  actionHigh: readonly number[];
}

/** What an algorithm's factory sees of the environment: its id (for error messages) and spaces. */
export type EnvSpaces = Pick<Env, 'id' | 'observationSpace' | 'actionSpace'>;

/** The spec of an env with continuous actions; `algo` names the algorithm in the error for any other. */
export function continuousSpec(env: EnvSpaces, algo: string): AgentSpec {
  if (!(env.actionSpace instanceof Box)) throw new Error(`${env.id}: ${algo} needs a continuous (Box) action space`);
  return { obsDim: env.observationSpace.size, actionLow: [...env.actionSpace.low], actionHigh: [...env.actionSpace.high] };
}

/** Fields TD3 and SAC share: the critic choice, network sizes, batch, discount and target rate. */
export interface OffPolicyConfig {
  critic: 'mlp' | 'hyper';
  hyperPreset: HyperCriticPreset;
  hyperPrimaryInit: 'algo' | HypeRlPrimaryRule;
  actorHidden: number[];
  criticHidden: number[];
  batchSize: number;
  gamma: number;
  tau: number;
}

export const OFF_POLICY_SCHEMA: Schema<OffPolicyConfig> = {
  critic: { default: 'mlp', doc: 'critic architecture: concatenation MLP or hypernetwork', choices: ['mlp', 'hyper'] },
  hyperPreset: { default: 'compact', doc: 'HyperCritic preset (paper = HypeRL\'s 8.5M-parameter critic)', choices: HYPER_CRITIC_PRESETS },
  hyperPrimaryInit: {
    default: 'algo',
    doc: 'HyperCritic primary-weight init: HypeRL\'s rule for this algorithm (algo), TD3\'s U(±1/(2√fan_in)) or SAC\'s U(±1/√(2·fan_in))',
    choices: ['algo', 'td3', 'sac'],
  },
  actorHidden: { default: [256, 256], doc: 'actor hidden widths', check: positiveInts },
  criticHidden: { default: [256, 256], doc: 'MLP critic hidden widths', check: positiveInts },
  batchSize: { default: 256, doc: 'replay batch size', check: positiveInt },
  gamma: { default: 0.99, doc: 'discount factor', check: unitInterval },
  tau: { default: 0.005, doc: 'target-network Polyak rate', check: unitInterval },
};

/** A twin critic of the configured kind (HypeRL's primary-weight init rule differs between TD3 and SAC). */
export function makeCritic(engine: Engine, rng: Xoshiro128Rng, spec: AgentSpec, config: OffPolicyConfig, algoRule: HypeRlPrimaryRule): Critic {
  const dims = { stateDim: spec.obsDim, actionDim: spec.actionLow.length };
  // Runs configured before the option existed have no hyperPrimaryInit: the algorithm's rule.
  const initRule = config.hyperPrimaryInit === 'td3' || config.hyperPrimaryInit === 'sac' ? config.hyperPrimaryInit : algoRule;
  return config.critic === 'hyper'
    ? new HyperCritic(engine, rng, { ...dims, preset: config.hyperPreset, initRule })
    : new MlpCritic(engine, rng, { ...dims, hidden: config.criticHidden });
}

/** Persistent batch tensors the replay buffer samples into. */
export function replayBatch(engine: Engine, batch: number, spec: AgentSpec): ReplaySample {
  const a = spec.actionLow.length;
  return {
    obs: engine.persistent([batch, spec.obsDim]), actions: engine.persistent([batch, a]), rewards: engine.persistent([batch, 1]),
    nextObs: engine.persistent([batch, spec.obsDim]), notDone: engine.persistent([batch, 1]),
  };
}
