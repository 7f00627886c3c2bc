/**
 * Running mean and variance of a stream of vectors (Chan et al.'s parallel update, by one
 * vector or by a batch of rows; initial count 1e-4, mean 0, variance 1, as Gymnasium's
 * RunningMeanStd) and the standardisation it implies, clip((x − mean) / √(var + ε), ±clip).
 * Shared by the observation and reward normalisation wrappers (single and vector envs) and
 * the off-policy run's observation normalisation.
 */

/** The statistics, saveable with checkpoints. */
export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

export class RunningMeanStd {
  private count = 1e-4;
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;

  constructor(readonly dim: number, readonly epsilon = 1e-8, readonly clip = Infinity) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`RunningMeanStd: dim must be a positive integer, got ${dim}`);
    if (!(clip > 0)) throw new RangeError(`RunningMeanStd: clip must be positive, got ${clip}`);
    this.mean = new Float64Array(dim);
    this.variance = new Float64Array(dim).fill(1);
  }

  /** One vector into the statistics (batch mean = x, batch variance = 0). */
  update(x: ArrayLike<number>): void {
    if (x.length !== this.dim) throw new RangeError(`RunningMeanStd.update: observation has ${x.length} values, expected ${this.dim}`);
    this.updateBatch(x, 1);
  }

  /**
   * `rows` vectors stored row by row in x (rows × dim) into the statistics at once: their
   * mean and population variance merged with the running ones (Gymnasium's
   * update_mean_var_count_from_moments). Allocates nothing.
   */
  updateBatch(x: ArrayLike<number>, rows: number): void {
    const dim = this.dim;
    if (!Number.isInteger(rows) || rows < 1 || x.length !== rows * dim) {
      throw new RangeError(`RunningMeanStd.updateBatch: ${x.length} values are not ${rows} rows of ${dim}`);
    }
    const total = this.count + rows;
    for (let i = 0; i < dim; i++) {
      let batchMean = 0;
      for (let r = 0; r < rows; r++) batchMean += x[r * dim + i]!;
      batchMean /= rows;
      let batchM2 = 0;
      for (let r = 0; r < rows; r++) { const d = x[r * dim + i]! - batchMean; batchM2 += d * d; }
      const delta = batchMean - this.mean[i]!;
      this.mean[i] = this.mean[i]! + (delta * rows) / total;
      this.variance[i] = (this.variance[i]! * this.count + batchM2 + (delta * delta * this.count * rows) / total) / total;
    }
    this.count = total;
  }

  /** dst[dstOffset + i] = clip((src[srcOffset + i] − mean[i]) / √(var[i] + ε)) for i < dim. */
  normalize(src: ArrayLike<number>, srcOffset: number, dst: { [i: number]: number }, dstOffset: number): void {
    const c = this.clip;
    for (let i = 0; i < this.dim; i++) {
      const z = (src[srcOffset + i]! - this.mean[i]!) / Math.sqrt(this.variance[i]! + this.epsilon);
      dst[dstOffset + i] = z > c ? c : z < -c ? -c : z;
    }
  }

  /** The running variance of component i. */
  varianceAt(i: number): number {
    return this.variance[i]!;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.variance), count: this.count };
  }

  setState(s: RunningMeanStdState): void {
    if (s.mean.length !== this.dim || s.var.length !== this.dim || !(s.count > 0)) {
      throw new RangeError(`RunningMeanStd.setState: saved statistics for ${s.mean.length}-d observations (count ${s.count}) do not fit ${this.dim}-d ones`);
    }
    this.count = s.count;
    this.mean.set(s.mean);
    this.variance.set(s.var);
  }
}
