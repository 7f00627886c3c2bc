/**
 * Gymnasium's vector wrappers (gymnasium.wrappers.vector) for observation and reward
 * normalisation: one set of statistics shared by all envs, updated with each step's whole
 * batch, kept in the calling thread. So the statistics are the same whether the envs step in
 * this thread (SyncVectorEnv) or on workers (AsyncVectorEnv), and they can be saved with a
 * checkpoint. Results go into buffers owned by the wrapper; nothing is allocated per step.
 */
import { RewardNormalizer, type RewardNormalizerState } from '../../core/reward-normalizer.js';
import { RunningMeanStd, type RunningMeanStdState } from '../../core/running-mean-std.js';
import type { Box, Discrete } from '../spaces.js';
import type { VectorEnv, VectorResetArgs, VectorResetResult, VectorStepResult } from './vector-env.js';

/** Forwards everything to the wrapped vector env; subclasses override what they change. */
export class VectorWrapper implements VectorEnv {
  constructor(readonly env: VectorEnv) {}

  get numEnvs(): number {
    return this.env.numEnvs;
  }
  get singleObservationSpace(): Box {
    return this.env.singleObservationSpace;
  }
  get singleActionSpace(): Box | Discrete {
    return this.env.singleActionSpace;
  }
  reset(args?: VectorResetArgs): VectorResetResult {
    return this.env.reset(args);
  }
  step(actions: ArrayLike<number>): VectorStepResult {
    return this.env.step(actions);
  }
  close(): Promise<void> {
    return this.env.close();
  }
}

/**
 * (obs − mean) / √(var + ε) with the running statistics of every observation returned by
 * reset and step (autoreset observations included, as in Gymnasium), optionally clipped to
 * ±clip (CleanRL clips to ±10). Observations come out as float64.
 */
export class VectorNormalizeObservation extends VectorWrapper {
  /** Set false to freeze the statistics. */
  updateStatistics = true;
  readonly stats: RunningMeanStd;
  /** The wrapped env's observations of the last reset or step, before normalisation (VariBAD's VAE reads them). */
  rawObs: ArrayLike<number>;
  private readonly obs: Float64Array;
  private readonly stepResult: VectorStepResult;

  constructor(env: VectorEnv, epsilon = 1e-8, clip = Infinity) {
    super(env);
    const dim = env.singleObservationSpace.size;
    this.stats = new RunningMeanStd(dim, epsilon, clip);
    this.obs = new Float64Array(env.numEnvs * dim);
    this.rawObs = new Float64Array(env.numEnvs * dim);
    this.stepResult = { obs: this.obs, rewards: new Float64Array(0), terminations: new Uint8Array(0), truncations: new Uint8Array(0) };
  }

  getState(): RunningMeanStdState {
    return this.stats.getState();
  }

  setState(state: RunningMeanStdState): void {
    this.stats.setState(state);
  }

  override reset(args?: VectorResetArgs): VectorResetResult {
    this.normalize(this.env.reset(args).obs);
    return { obs: this.obs };
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    const r = this.env.step(actions);
    this.normalize(r.obs);
    this.stepResult.rewards = r.rewards;
    this.stepResult.terminations = r.terminations;
    this.stepResult.truncations = r.truncations;
    return this.stepResult;
  }

  private normalize(raw: ArrayLike<number>): void {
    const dim = this.stats.dim;
    this.rawObs = raw;
    if (this.updateStatistics) this.stats.updateBatch(raw, this.numEnvs);
    for (let i = 0; i < this.numEnvs; i++) this.stats.normalize(raw, i * dim, this.obs, i * dim);
  }
}

/**
 * Rewards scaled by the running standard deviation of each env's discounted return
 * (see core/reward-normalizer.ts), optionally clipped to ±clip (CleanRL: ±10).
 * `rawRewards` keeps the env's own rewards of the last step (episode returns are
 * reported in those).
 */
export class VectorNormalizeReward extends VectorWrapper {
  readonly normalizer: RewardNormalizer;
  private readonly rewards: Float64Array;
  private readonly stepResult: VectorStepResult;
  /** The wrapped env's rewards of the last step. */
  rawRewards: Float64Array;

  constructor(env: VectorEnv, gamma = 0.99, epsilon = 1e-8, clip = Infinity) {
    super(env);
    this.normalizer = new RewardNormalizer(env.numEnvs, gamma, epsilon, clip);
    this.rewards = new Float64Array(env.numEnvs);
    this.rawRewards = new Float64Array(env.numEnvs);
    this.stepResult = { obs: new Float64Array(0), rewards: this.rewards, terminations: new Uint8Array(0), truncations: new Uint8Array(0) };
  }

  getState(): RewardNormalizerState {
    return this.normalizer.getState();
  }

  setState(state: RewardNormalizerState): void {
    this.normalizer.setState(state);
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    const r = this.env.step(actions);
    this.rawRewards = r.rewards;
    this.normalizer.normalize(r.rewards, r.terminations, this.rewards);
    this.stepResult.obs = r.obs;
    this.stepResult.terminations = r.terminations;
    this.stepResult.truncations = r.truncations;
    return this.stepResult;
  }
}
