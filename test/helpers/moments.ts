/**
 * Sample-moment checks for initialiser tests. Each bound is 5 standard errors
 * of the estimator for n i.i.d. draws, so a correct initialiser fails with
 * probability < 1e-6 per check while a wrong constant (a factor of 2 in a
 * variance at n ≥ 10⁴) fails for sure.
 */
import assert from 'node:assert/strict';

const Z = 5;

export function assertWithinStandardErrors(label: string, estimate: number, expected: number, standardError: number): void {
  assert.ok(
    Math.abs(estimate - expected) <= Z * standardError,
    `${label}: ${estimate} differs from ${expected} by more than ${Z} standard errors (${standardError})`,
  );
}

/** Mean of x^p over the values. */
export function rawMoment(values: ArrayLike<number>, p: number): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += values[k]! ** p;
  return sum / values.length;
}

/**
 * Values drawn i.i.d. from U(−bound, bound): support, mean 0, E[x²] = b²/3 and
 * E[x⁴] = b⁴/5 (the fourth moment tells a uniform from a normal of equal variance).
 */
export function assertUniform(label: string, values: ArrayLike<number>, bound: number): void {
  const n = values.length;
  let maxAbs = 0;
  for (let k = 0; k < n; k++) maxAbs = Math.max(maxAbs, Math.abs(values[k]!));
  assert.ok(maxAbs <= bound * (1 + 1e-7), `${label}: |x| = ${maxAbs} exceeds the bound ${bound}`);
  const b2 = bound * bound, b4 = b2 * b2;
  // E[x^2k] = b^2k / (2k + 1); SE of the mean of x^p is sqrt((E[x^2p] − E[x^p]²)/n).
  assertWithinStandardErrors(`${label} mean`, rawMoment(values, 1), 0, Math.sqrt(b2 / 3 / n));
  assertWithinStandardErrors(`${label} E[x²]`, rawMoment(values, 2), b2 / 3, Math.sqrt((b4 / 5 - b4 / 9) / n));
  assertWithinStandardErrors(`${label} E[x⁴]`, rawMoment(values, 4), b4 / 5, Math.sqrt((b4 * b4 / 9 - b4 * b4 / 25) / n));
}

/** Values drawn i.i.d. from N(0, std²): mean 0, E[x²] = σ², E[x⁴] = 3σ⁴ (E[x⁶] = 15σ⁶, E[x⁸] = 105σ⁸). */
export function assertNormal(label: string, values: ArrayLike<number>, std: number): void {
  const n = values.length;
  const s2 = std * std, s4 = s2 * s2;
  assertWithinStandardErrors(`${label} mean`, rawMoment(values, 1), 0, Math.sqrt(s2 / n));
  assertWithinStandardErrors(`${label} E[x²]`, rawMoment(values, 2), s2, Math.sqrt(2 * s4 / n));
  assertWithinStandardErrors(`${label} E[x⁴]`, rawMoment(values, 4), 3 * s4, Math.sqrt(96 * s4 * s4 / n));
}
