/**
 * The "true" action-gradient estimate of HypeRL's gradient-quality test: the
 * least-squares slope g of returns y against actions a, fitted over all pairwise
 * differences, g = (X̃ᵀX̃)⁻¹X̃ᵀΔ with rows X̃ = aᵢ − aⱼ and Δ = yᵢ − yⱼ. Pairwise
 * differences remove the intercept, so g is the slope of a linear model y ≈ g·a + c.
 */

export class RankDeficientError extends Error {
  constructor(readonly rank: number, readonly dim: number, samples: number) {
    super(`slope fit: the ${samples} actions span only ${rank} of ${dim} action dimensions, so the slope is not determined` +
      (samples <= dim ? ` (use more than ${dim} actions per state)` : ' (actions clipped onto a bound?)') +
      '; pass pseudoinverse: true for the minimum-norm slope instead');
    this.name = 'RankDeficientError';
  }
}

export interface SlopeFitOptions {
  /** On rank deficiency return the minimum-norm least-squares slope (pseudo-inverse) instead of throwing. */
  pseudoinverse?: boolean;
  /** Eigenvalues of X̃ᵀX̃ below tolerance × the largest count as zero (default 1e-10). */
  tolerance?: number;
}

export interface SlopeFit {
  slope: Float64Array;
  /** Rank of X̃ᵀX̃: the number of action directions the samples determine. */
  rank: number;
}

/** Fit the slope from `actions` (samples × dim, row-major) and `returns` (samples). */
export function fitSlope(actions: ArrayLike<number>, returns: ArrayLike<number>, dim: number, options: SlopeFitOptions = {}): SlopeFit {
  const n = returns.length;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`slope fit: dim must be a positive integer, got ${dim}`);
  if (actions.length !== n * dim) throw new RangeError(`slope fit: ${actions.length} action values for ${n} returns of dimension ${dim}`);
  for (let i = 0; i < actions.length; i++) if (!Number.isFinite(actions[i]!)) throw new RangeError(`slope fit: action value ${i} is ${actions[i]}`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(returns[i]!)) throw new RangeError(`slope fit: return ${i} is ${returns[i]}`);

  // Normal equations over all n² ordered pairs, as the authors summed them (n ≤ a few dozen).
  const xtx = new Float64Array(dim * dim), xty = new Float64Array(dim), diff = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < dim; p++) diff[p] = actions[i * dim + p]! - actions[j * dim + p]!;
      const dy = returns[i]! - returns[j]!;
      for (let p = 0; p < dim; p++) {
        xty[p] += diff[p]! * dy;
        for (let q = 0; q < dim; q++) xtx[p * dim + q] += diff[p]! * diff[q]!;
      }
    }
  }

  const { values, vectors } = symmetricEigen(xtx, dim);
  const largest = Math.max(0, ...values);
  const cutoff = (options.tolerance ?? 1e-10) * largest;
  let rank = 0;
  for (const v of values) if (largest > 0 && v > cutoff) rank++;
  if (rank < dim && !options.pseudoinverse) throw new RankDeficientError(rank, dim, n);

  // g = V Λ⁺ Vᵀ X̃ᵀΔ: the exact solution at full rank, the minimum-norm one otherwise.
  const slope = new Float64Array(dim);
  for (let k = 0; k < dim; k++) {
    if (!(largest > 0 && values[k]! > cutoff)) continue;
    let proj = 0;
    for (let p = 0; p < dim; p++) proj += vectors[p * dim + k]! * xty[p]!;
    const c = proj / values[k]!;
    for (let p = 0; p < dim; p++) slope[p] += c * vectors[p * dim + k]!;
  }
  return { slope, rank };
}

/**
 * Eigen-decomposition of a symmetric dim × dim matrix by cyclic Jacobi rotations:
 * short, unconditionally stable, and exact enough for the ≤ 20-dimensional action spaces here.
 * Returns eigenvalues and eigenvectors as the columns of `vectors` (row-major).
 */
export function symmetricEigen(matrix: ArrayLike<number>, dim: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) v[i * dim + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, total = 0;
    for (let p = 0; p < dim; p++) for (let q = 0; q < dim; q++) {
      const x = a[p * dim + q]! ** 2;
      total += x;
      if (p !== q) off += x;
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < dim - 1; p++) {
      for (let q = p + 1; q < dim; q++) {
        const apq = a[p * dim + q]!;
        if (apq === 0) continue;
        const theta = (a[q * dim + q]! - a[p * dim + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < dim; k++) { // columns p, q of A·J
          const akp = a[k * dim + p]!, akq = a[k * dim + q]!;
          a[k * dim + p] = c * akp - s * akq;
          a[k * dim + q] = s * akp + c * akq;
        }
        for (let k = 0; k < dim; k++) { // rows p, q of Jᵀ·A
          const apk = a[p * dim + k]!, aqk = a[q * dim + k]!;
          a[p * dim + k] = c * apk - s * aqk;
          a[q * dim + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < dim; k++) {
          const vkp = v[k * dim + p]!, vkq = v[k * dim + q]!;
          v[k * dim + p] = c * vkp - s * vkq;
          v[k * dim + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(dim);
  for (let i = 0; i < dim; i++) values[i] = a[i * dim + i]!;
  return { values, vectors: v };
}

/** ⟨x, y⟩ / (‖x‖‖y‖); NaN when either vector is zero (the direction is undefined). */
export function cosineSimilarity(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`cosine similarity: vectors of length ${x.length} and ${y.length}`);
  let dot = 0, xx = 0, yy = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  if (xx === 0 || yy === 0) return NaN;
  return Math.max(-1, Math.min(1, dot / Math.sqrt(xx * yy)));
}
