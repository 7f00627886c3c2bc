/**
 * Warns once when a critic's Q estimates leave the range that the rewards seen so far allow.
 *
 * Any discounted return is bounded by max|r| / (1 − γ). A critic whose mean Q exceeds that
 * bound many times over has diverged (the hyper critics did at too high a learning rate:
 * results/hyperl/hyper-lr), and nothing else in the run says so: the losses stay finite for
 * a long time and the evaluation return just stays low. SAC's soft Q adds entropy bonuses on
 * top of the rewards, hence the generous factor.
 */
export class QDivergenceWatch {
  private maxAbsReward = 0;
  private warned = false;

  /** factor: how many times the reward bound |Q| may reach before the warning. */
  constructor(private readonly gamma: number, private readonly factor = 10) {
    if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`QDivergenceWatch: gamma must be in [0, 1], got ${gamma}`);
    if (!(factor > 0)) throw new RangeError(`QDivergenceWatch: factor must be positive, got ${factor}`);
  }

  observe(reward: number): void {
    const a = Math.abs(reward);
    if (a > this.maxAbsReward) this.maxAbsReward = a;
  }

  /** After a resume: the rewards already in the replay buffer. */
  observeAll(rewards: ArrayLike<number>): void {
    for (let i = 0; i < rewards.length; i++) this.observe(rewards[i]!);
  }

  /** The bound |Q| is compared against: factor · max|r| / (1 − γ) (none without discounting). */
  bound(): number {
    return this.gamma < 1 ? (this.factor * this.maxAbsReward) / (1 - this.gamma) : Infinity;
  }

  /** A one-time warning if |meanQ| is past the bound (or not finite), else null. */
  check(meanQ: number | undefined, step: number): string | null {
    if (this.warned || meanQ === undefined || this.maxAbsReward === 0) return null;
    if (Number.isFinite(meanQ) && Math.abs(meanQ) <= this.bound()) return null;
    this.warned = true;
    return `warning: at step ${step} the critic's mean Q is ${meanQ.toPrecision(3)}, beyond ${this.factor}× the largest ` +
      `discounted return the rewards allow (${this.factor} · ${this.maxAbsReward.toPrecision(3)} / (1 − ${this.gamma}) = ` +
      `${this.bound().toPrecision(3)}): the critic is diverging; a lower critic learning rate usually helps`;
  }
}
