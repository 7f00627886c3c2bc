/**
 * The least-squares slope over pairwise differences recovers known gradients; rank
 * deficiency is an error or, on request, the minimum-norm slope; the t interval uses
 * exact Student-t quantiles.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { cosineSimilarity, fitSlope, RankDeficientError, symmetricEigen } from '../../src/diagnostics/slope-fit.js';
import { meanWithTInterval, studentTQuantile } from '../../src/diagnostics/statistics.js';

/** n actions a₀ + σ·N(0, I) in `dim` dimensions, row-major. */
function perturbations(rng: Xoshiro128Rng, a0: readonly number[], n: number, sigma: number): Float64Array {
  const dim = a0.length, out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let p = 0; p < dim; p++) out[i * dim + p] = a0[p]! + (i === 0 ? 0 : sigma * rng.normal());
  return out;
}

const close = (actual: ArrayLike<number>, expected: readonly number[], tol: number): void => {
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol, `component ${i}: ${actual[i]} vs ${e} (tolerance ${tol})`));
};

describe('slope fit', () => {
  it('recovers g from returns y = g·a + c + tiny noise (cosine ≈ 1)', () => {
    const rng = new Xoshiro128Rng(1);
    const g = [0.7, -1.3, 0.2, 2.1, -0.4, 0.9], n = 15;
    const actions = perturbations(rng, [0.1, -0.5, 0.3, 0, 0.8, -0.2], n, 0.3);
    const returns = Array.from({ length: n }, (_, i) => g.reduce((s, gp, p) => s + gp * actions[i * 6 + p]!, 5) + 1e-6 * rng.normal());
    const { slope, rank } = fitSlope(actions, returns, 6);
    assert.equal(rank, 6);
    close(slope, g, 1e-4);
    assert.ok(cosineSimilarity(slope, g) > 1 - 1e-9);
  });

  it('finds the gradient at a₀ of a quadratic from small perturbations around a₀', () => {
    const rng = new Xoshiro128Rng(2);
    const a0 = [0.2, -0.4, 0.6];
    const b = [1, -2, 0.5];
    const h = [[2, 0.5, 0], [0.5, -1, 0.3], [0, 0.3, 3]];
    const f = (a: ArrayLike<number>): number => {
      let v = 0;
      for (let p = 0; p < 3; p++) {
        v += b[p]! * a[p]!;
        for (let q = 0; q < 3; q++) v += 0.5 * a[p]! * h[p]![q]! * a[q]!;
      }
      return v;
    };
    const grad = b.map((bp, p) => bp + h[p]!.reduce((s, hpq, q) => s + hpq * a0[q]!, 0));
    const n = 15, actions = perturbations(rng, a0, n, 1e-3);
    const returns = Array.from({ length: n }, (_, i) => f(actions.subarray(i * 3, i * 3 + 3)));
    close(fitSlope(actions, returns, 3).slope, grad, 1e-2);
  });

  it('reports rank deficiency as an error that says what to change', () => {
    const rng = new Xoshiro128Rng(3);
    const actions = perturbations(rng, [0, 0, 0, 0], 4, 0.3); // 4 actions span at most 3 difference directions
    assert.throws(() => fitSlope(actions, [1, 2, 3, 4], 4), (e: unknown) => e instanceof RankDeficientError && e.rank === 3 && /more than 4 actions/.test(e.message));
  });

  it('gives the minimum-norm slope on request when the actions vary along fewer directions', () => {
    // Actions vary along the first axis only; y = 3·a₀ + 5: the determined slope is [3, 0].
    const actions = [0, 1, 0.5, 1, -0.2, 1, 0.9, 1];
    const returns = [5, 6.5, 4.4, 7.7];
    assert.throws(() => fitSlope(actions, returns, 2), RankDeficientError);
    const { slope, rank } = fitSlope(actions, returns, 2, { pseudoinverse: true });
    assert.equal(rank, 1);
    close(slope, [3, 0], 1e-12);
  });

  it('rejects non-finite inputs and mismatched sizes', () => {
    assert.throws(() => fitSlope([0, 1, NaN], [1, 2, 3], 1), /action value 2 is NaN/);
    assert.throws(() => fitSlope([0, 1], [1, 2, 3], 1), /2 action values for 3 returns/);
  });
});

describe('symmetric eigen-decomposition', () => {
  it('reconstructs the matrix from V Λ Vᵀ with orthonormal V', () => {
    const m = [4, 1, -2, 0.5, 1, 3, 0.2, 0, -2, 0.2, 5, 1, 0.5, 0, 1, 2];
    const { values, vectors } = symmetricEigen(m, 4);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let r = 0, dot = 0;
      for (let k = 0; k < 4; k++) {
        r += vectors[i * 4 + k]! * values[k]! * vectors[j * 4 + k]!;
        dot += vectors[k * 4 + i]! * vectors[k * 4 + j]!;
      }
      assert.ok(Math.abs(r - m[i * 4 + j]!) < 1e-12, `entry ${i},${j}`);
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12, `columns ${i},${j}`);
    }
  });
});

describe('cosine and interval', () => {
  it('cosine is 1, −1, 0 on parallel, opposite and orthogonal vectors, NaN on a zero vector', () => {
    assert.equal(cosineSimilarity([1, 2], [2, 4]), 1);
    assert.equal(cosineSimilarity([1, 2], [-1, -2]), -1);
    assert.equal(cosineSimilarity([1, 0], [0, 3]), 0);
    assert.ok(Number.isNaN(cosineSimilarity([0, 0], [1, 1])));
  });

  it('Student-t quantiles match the tables', () => {
    for (const [df, t] of [[1, 12.7062], [2, 4.3027], [3, 3.1824], [4, 2.7764], [14, 2.1448], [30, 2.0423]] as const) {
      assert.ok(Math.abs(studentTQuantile(0.95, df) - t) < 1e-4, `df ${df}: ${studentTQuantile(0.95, df)} vs ${t}`);
    }
    assert.ok(Math.abs(studentTQuantile(0.99, 9) - 3.2498) < 1e-4);
  });

  it('mean ± t·s/√n over the finite values', () => {
    const r = meanWithTInterval([1, 2, 3, 4, NaN]);
    const half = 3.1824 * Math.sqrt(5 / 3 / 4);
    assert.equal(r.mean, 2.5);
    assert.ok(Math.abs(r.lo - (2.5 - half)) < 1e-3 && Math.abs(r.hi - (2.5 + half)) < 1e-3);
    assert.ok(Number.isNaN(meanWithTInterval([0.5]).lo));
  });
});
