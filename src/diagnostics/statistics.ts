/**
 * Mean and Student-t confidence interval over per-state values. The t interval
 * (rather than a bootstrap) because the authors' 15 states are few, the per-state
 * cosines are roughly symmetric, and the result is then exact to compute and repeat.
 */

export interface MeanInterval {
  mean: number;
  /** Lower and upper ends of the two-sided interval; NaN with fewer than two values. */
  lo: number;
  hi: number;
}

/** Mean and two-sided `level` Student-t interval (n − 1 degrees of freedom) of the finite values. */
export function meanWithTInterval(values: readonly number[], level = 0.95): MeanInterval {
  const xs = values.filter(Number.isFinite);
  const n = xs.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { mean, lo: NaN, hi: NaN };
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const half = studentTQuantile(level, n - 1) * Math.sqrt(variance / n);
  return { mean, lo: mean - half, hi: mean + half };
}

/**
 * t such that P(|T| < t) = level for T ~ Student-t with integer `df` degrees of
 * freedom, by bisection on the closed-form CDF for integer df (Abramowitz & Stegun 26.7.3–4).
 */
export function studentTQuantile(level: number, df: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`t quantile: level must be in (0, 1), got ${level}`);
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`t quantile: df must be a positive integer, got ${df}`);
  let lo = 0, hi = 1;
  while (twoSidedTProbability(hi, df) < level) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (twoSidedTProbability(mid, df) < level) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(|T| < t) for Student-t with integer df, t ≥ 0. */
export function twoSidedTProbability(t: number, df: number): number {
  const theta = Math.atan(t / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2, s = Math.sin(theta);
  if (df % 2 === 1) {
    // (2/π)(θ + sinθ cosθ (1 + 2/3 cos²θ + … + (2·4⋯(df−3))/(1·3⋯(df−2)) cos^(df−3)θ))
    let term = 1, sum = df > 1 ? 1 : 0;
    for (let k = 3; k <= df - 2; k += 2) sum += (term *= ((k - 1) / k) * c2);
    return (2 / Math.PI) * (theta + s * Math.cos(theta) * sum);
  }
  // sinθ (1 + 1/2 cos²θ + … + (1·3⋯(df−3))/(2·4⋯(df−2)) cos^(df−2)θ)
  let term = 1, sum = 1;
  for (let k = 2; k <= df - 2; k += 2) sum += (term *= ((k - 1) / k) * c2);
  return s * sum;
}
