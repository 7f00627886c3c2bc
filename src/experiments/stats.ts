/**
 * Statistics of learning curves over seeds: final return, normalised area under the
 * curve, seeded percentile-bootstrap confidence intervals, the mean curve with a CI
 * band, steps to reach a score, and the relative gain of one critic over another.
 * Pure functions of numbers, so every figure in a results table can be recomputed.
 */
import { Xoshiro128Rng } from '../core/random.js';

/** An evaluation curve: returns at increasing env steps. */
export interface Curve {
  steps: number[];
  values: number[];
}

/** A mean with its confidence interval over `n` samples (seeds). */
export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface BootstrapOptions {
  /** Resamples drawn (default 10,000). */
  resamples?: number;
  /** Coverage of the percentile interval (default 0.95). */
  level?: number;
  /** Seed of the resampling generator, so a table is reproducible (default 0). */
  seed?: number;
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean of the last `k` evaluations (all of them if the curve is shorter). */
export function finalReturn(curve: Curve, k = 1): number {
  if (curve.values.length === 0) throw new RangeError('finalReturn: empty curve');
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`finalReturn: k must be a positive integer, got ${k}`);
  return mean(curve.values.slice(-k));
}

/**
 * Area under the curve by the trapezoid rule over steps, divided by the step span: the
 * curve's average return over training, in return units (a constant c gives exactly c).
 */
export function normalisedAuc(curve: Curve): number {
  const { steps, values } = curve;
  if (values.length === 0) throw new RangeError('normalisedAuc: empty curve');
  if (values.length === 1) return values[0]!;
  let area = 0;
  for (let i = 1; i < steps.length; i++) area += ((values[i]! + values[i - 1]!) / 2) * (steps[i]! - steps[i - 1]!);
  return area / (steps[steps.length - 1]! - steps[0]!);
}

/** Linear-interpolation quantile (type 7) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q, i = Math.floor(pos), frac = pos - i;
  return i + 1 < sorted.length ? sorted[i]! + frac * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}

/**
 * Percentile-bootstrap CI of `statistic` over independent groups (e.g. the seeds of
 * two critics): each resample redraws every group with replacement at its own size.
 * With one sample per group the interval collapses to the point estimate.
 */
export function bootstrap(groups: readonly (readonly number[])[], statistic: (groups: number[][]) => number, opts: BootstrapOptions = {}): Interval {
  const { resamples = 10_000, level = 0.95, seed = 0 } = opts;
  if (groups.some((g) => g.length === 0)) throw new RangeError('bootstrap: every group needs at least one value');
  const rng = new Xoshiro128Rng(seed);
  const drawn = groups.map((g) => new Array<number>(g.length));
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    groups.forEach((g, j) => { for (let i = 0; i < g.length; i++) drawn[j]![i] = g[rng.integer(g.length)]!; });
    stats[r] = statistic(drawn);
  }
  stats.sort();
  const sorted = [...stats], tail = (1 - level) / 2;
  return { mean: statistic(groups.map((g) => [...g])), lo: quantile(sorted, tail), hi: quantile(sorted, 1 - tail), n: Math.min(...groups.map((g) => g.length)) };
}

/** Mean over samples with its percentile-bootstrap CI. */
export const bootstrapMean = (values: readonly number[], opts: BootstrapOptions = {}): Interval => bootstrap([values], ([v]) => mean(v!), opts);

/**
 * Relative gain of `treated` over `baseline` means, (m_t − m_b) / |m_b|, with a CI from
 * resampling both groups independently. Undefined (NaN) when the baseline mean is 0.
 */
export const relativeGain = (treated: readonly number[], baseline: readonly number[], opts: BootstrapOptions = {}): Interval =>
  bootstrap([treated, baseline], ([t, b]) => (mean(t!) - mean(b!)) / Math.abs(mean(b!)), opts);

/** Steps at which every curve was evaluated, ascending. */
export function commonSteps(curves: readonly Curve[]): number[] {
  if (curves.length === 0) return [];
  const sets = curves.slice(1).map((c) => new Set(c.steps));
  return curves[0]!.steps.filter((s) => sets.every((set) => set.has(s))).sort((a, b) => a - b);
}

export interface BandCurve {
  steps: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  n: number;
}

/** The mean over curves at their common steps, with a bootstrap CI band over curves at each step. */
export function meanCurve(curves: readonly Curve[], opts: BootstrapOptions = {}): BandCurve {
  const steps = commonSteps(curves);
  const at = curves.map((c) => new Map(c.steps.map((s, i) => [s, c.values[i]!])));
  const out: BandCurve = { steps, mean: [], lo: [], hi: [], n: curves.length };
  for (const s of steps) {
    const ci = bootstrapMean(at.map((m) => m.get(s)!), opts);
    out.mean.push(ci.mean);
    out.lo.push(ci.lo);
    out.hi.push(ci.hi);
  }
  return out;
}

/**
 * The first step after `after` at which the curve reaches `target` (≥), or null if it never
 * does. Evaluations up to the first update score the untrained policy, which on tasks with a
 * survival bonus (Ant's untrained policy stands still for ~980) can beat a trained one: they
 * say nothing about how fast a critic learns, so they are passed over.
 */
export function stepsToScore(curve: Curve, target: number, after = -Infinity): number | null {
  const i = curve.values.findIndex((v, j) => curve.steps[j]! > after && v >= target);
  return i < 0 ? null : curve.steps[i]!;
}
