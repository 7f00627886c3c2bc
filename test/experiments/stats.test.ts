import { it } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapMean, commonSteps, finalReturn, meanCurve, normalisedAuc, quantile, relativeGain, stepsToScore } from '../../src/experiments/stats.js';

it('final return is the mean of the last k evaluations', () => {
  const c = { steps: [0, 10, 20, 30], values: [1, 2, 3, 5] };
  assert.equal(finalReturn(c), 5);
  assert.equal(finalReturn(c, 2), 4);
  assert.equal(finalReturn(c, 10), 2.75);
  assert.throws(() => finalReturn(c, 0), /positive integer/);
});

it('normalised AUC: a constant curve gives the constant, a ramp its midpoint, uneven steps weighted by width', () => {
  assert.equal(normalisedAuc({ steps: [0, 5000, 10000, 20000], values: [-150, -150, -150, -150] }), -150);
  assert.equal(normalisedAuc({ steps: [0, 100], values: [0, 10] }), 5);
  // 0→1 over 1 step, then 1 for 3 steps: (0.5·1 + 1·3) / 4.
  assert.equal(normalisedAuc({ steps: [0, 1, 4], values: [0, 1, 1] }), 3.5 / 4);
  assert.equal(normalisedAuc({ steps: [7], values: [3] }), 3);
});

it('quantile interpolates linearly between order statistics', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([0, 10], 0.25), 2.5);
  assert.equal(quantile([0, 10], 1), 10);
});

it('bootstrap CI contains the mean, is reproducible from its seed and shrinks with more seeds', () => {
  const draw = (n: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 100);
  const small = bootstrapMean(draw(5), { seed: 3 });
  const large = bootstrapMean(draw(80), { seed: 3 });
  for (const ci of [small, large]) assert.ok(ci.lo <= ci.mean && ci.mean <= ci.hi, JSON.stringify(ci));
  assert.ok(large.hi - large.lo < (small.hi - small.lo) / 2, `width ${large.hi - large.lo} vs ${small.hi - small.lo}`);
  assert.deepEqual(bootstrapMean(draw(5), { seed: 3 }), small);
  assert.equal(small.n, 5);
  // One seed: no spread to resample, the interval is the point.
  assert.deepEqual(bootstrapMean([4.5]), { mean: 4.5, lo: 4.5, hi: 4.5, n: 1 });
  // Identical values: a zero-width interval.
  const same = bootstrapMean([2, 2, 2]);
  assert.equal(same.lo, 2);
  assert.equal(same.hi, 2);
});

it('relative gain of hyper over MLP, with negative returns measured against |baseline|', () => {
  const g = relativeGain([120, 130, 110], [100, 100, 100]);
  assert.ok(Math.abs(g.mean - 0.2) < 1e-12);
  assert.ok(g.lo >= 0.1 - 1e-12 && g.hi <= 0.3 + 1e-12 && g.lo < g.mean && g.mean < g.hi, JSON.stringify(g));
  assert.ok(Math.abs(relativeGain([-150], [-200]).mean - 0.25) < 1e-12);
});

it('steps to score: the first evaluation at or above the target, else null', () => {
  const c = { steps: [0, 5000, 10000, 15000, 20000], values: [-1000, -600, -300, -320, -150] };
  assert.equal(stepsToScore(c, -300), 10000);
  assert.equal(stepsToScore(c, -310), 10000);
  assert.equal(stepsToScore(c, -1000), 0);
  assert.equal(stepsToScore(c, -100), null);
});

it('steps to score passes over the evaluations of the untrained policy', () => {
  // Ant-like: the untrained policy stands still and outscores the first trained ones.
  const c = { steps: [0, 5000, 10000, 15000, 20000], values: [980, 980, -60, 400, 900] };
  assert.equal(stepsToScore(c, 850), 0);
  assert.equal(stepsToScore(c, 850, 5000), 20000);
  assert.equal(stepsToScore(c, 300, 5000), 15000);
  assert.equal(stepsToScore(c, 950, 5000), null);
});

it('mean curve over seeds uses the steps every seed has, with a band around the mean', () => {
  const a = { steps: [0, 10, 20, 30], values: [0, 1, 2, 3] };
  const b = { steps: [0, 10, 20], values: [2, 3, 4] };
  assert.deepEqual(commonSteps([a, b]), [0, 10, 20]);
  const m = meanCurve([a, b], { resamples: 500 });
  assert.deepEqual(m.steps, [0, 10, 20]);
  assert.deepEqual(m.mean, [1, 2, 3]);
  m.steps.forEach((_, i) => assert.ok(m.lo[i]! >= m.mean[i]! - 1 && m.lo[i]! <= m.mean[i]! && m.hi[i]! >= m.mean[i]! && m.hi[i]! <= m.mean[i]! + 1));
  assert.equal(m.n, 2);
});
