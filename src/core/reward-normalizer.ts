/**
 * Gymnasium's reward normalisation (wrappers.NormalizeReward, wrappers.vector.NormalizeReward):
 * each env keeps a discounted running return G ← γ·(1 − terminated)·G + r; the running variance
 * of G over every step of every env scales the rewards, r / √(Var[G] + ε), without centring
 * them (OpenAI baselines issue 538: shifting rewards changes the task), then clips them to
 * ±clip (CleanRL's TransformReward; Infinity: none). G is cut by terminations only, as in
 * Gymnasium 1.x, so it runs on through time-limit truncations and autoreset steps.
 */
import { RunningMeanStd, type RunningMeanStdState } from './running-mean-std.js';

/** The statistics and every env's running return, saveable with checkpoints. */
export interface RewardNormalizerState {
  returns: number[];
  returnStats: RunningMeanStdState;
}

export class RewardNormalizer {
  /** Set false to freeze the statistics (evaluation); rewards are still scaled. */
  updateStatistics = true;
  private readonly returns: Float64Array;
  private readonly returnStats: RunningMeanStd;

  constructor(readonly numEnvs: number, readonly gamma = 0.99, readonly epsilon = 1e-8, readonly clip = Infinity) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`RewardNormalizer: numEnvs must be a positive integer, got ${numEnvs}`);
    if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`RewardNormalizer: gamma must be in [0, 1], got ${gamma}`);
    if (!(clip > 0)) throw new RangeError(`RewardNormalizer: clip must be positive, got ${clip}`);
    this.returns = new Float64Array(numEnvs);
    this.returnStats = new RunningMeanStd(1, epsilon);
  }

  /** out[i] = clip(rewards[i] / √(Var[G] + ε)) after folding this step into every env's G and the statistics. */
  normalize(rewards: ArrayLike<number>, terminated: ArrayLike<number | boolean>, out: { [i: number]: number }): void {
    const n = this.numEnvs;
    if (rewards.length !== n || terminated.length !== n) throw new RangeError(`RewardNormalizer: ${rewards.length} rewards and ${terminated.length} flags for ${n} envs`);
    for (let i = 0; i < n; i++) this.returns[i] = this.returns[i]! * this.gamma * (terminated[i] ? 0 : 1) + rewards[i]!;
    if (this.updateStatistics) this.returnStats.updateBatch(this.returns, n);
    const std = Math.sqrt(this.returnStats.varianceAt(0) + this.epsilon);
    const c = this.clip;
    for (let i = 0; i < n; i++) {
      const r = rewards[i]! / std;
      out[i] = r > c ? c : r < -c ? -c : r;
    }
  }

  /** One reward scaled and clipped with the current statistics, which it leaves alone (evaluation). */
  scale(reward: number): number {
    const r = reward / Math.sqrt(this.returnStats.varianceAt(0) + this.epsilon);
    return Math.min(this.clip, Math.max(-this.clip, r));
  }

  getState(): RewardNormalizerState {
    return { returns: Array.from(this.returns), returnStats: this.returnStats.getState() };
  }

  setState(s: RewardNormalizerState): void {
    if (s.returns.length !== this.numEnvs) throw new RangeError(`RewardNormalizer.setState: saved returns of ${s.returns.length} envs do not fit ${this.numEnvs}`);
    this.returnStats.setState(s.returnStats);
    this.returns.set(s.returns);
  }
}
