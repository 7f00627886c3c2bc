/** Policy distributions built from differentiable ops. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { categoricalEntropy, categoricalLogProb, gaussianEntropy, logSoftmax, tanhGaussianSample } from '../../src/nn/distributions.js';
import { randomCategorical } from '../../src/tensor/ops/random.js';
import { oneHot } from '../../src/tensor/ops/shape.js';
import { checkGradient, checkHessianVector, engine64 } from '../helpers/gradcheck.js';

test('tanh-Gaussian log-density equals log N(u) − log(1 − tanh²u)', () => {
  const e = engine64();
  e.scope(() => {
    const mean = e.tensor([0.3, -1.2, 2.5], [3, 1]), logStd = e.tensor([-0.5, 0.2, 0.1], [3, 1]), eps = e.tensor([0.7, -0.4, 1.9], [3, 1]);
    const { action, logProb } = tanhGaussianSample(mean, logStd, eps);
    const lp = logProb.toArray(), a = action.toArray();
    [0, 1, 2].forEach((i) => {
      const mu = [0.3, -1.2, 2.5][i]!, sd = Math.exp([-0.5, 0.2, 0.1][i]!), u = mu + sd * [0.7, -0.4, 1.9][i]!;
      const want = -0.5 * ((u - mu) / sd) ** 2 - Math.log(sd) - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - Math.tanh(u) ** 2);
      assert.ok(Math.abs(lp[i]! - want) < 1e-10, `${lp[i]} vs ${want}`);
      assert.ok(Math.abs(a[i]! - Math.tanh(u)) < 1e-15);
    });
  });
});

const LOGITS = [[0.3, -1.2, 2.0], [5, 5, 5], [-40, 0, 40]];

test('logSoftmax, categorical log-probabilities and entropy match the closed forms, also at large logits', () => {
  const e = engine64();
  e.scope(() => {
    const logits = e.tensor(LOGITS.flat(), [3, 3]);
    const logP = logSoftmax(logits).toArray();
    LOGITS.forEach((row, r) => {
      const top = Math.max(...row), lse = top + Math.log(row.reduce((s, x) => s + Math.exp(x - top), 0));
      row.forEach((x, c) => assert.ok(Math.abs(logP[3 * r + c]! - (x - lse)) < 1e-12, `row ${r} class ${c}`));
      const p = row.map((x) => Math.exp(x - lse));
      const h = -p.reduce((s, pi, c) => s + (pi > 0 ? pi * (row[c]! - lse) : 0), 0);
      assert.ok(Math.abs(categoricalEntropy(logits).toArray()[r]! - h) < 1e-12, `entropy of row ${r}`);
    });
    const picked = categoricalLogProb(logits, oneHot(e.tensor([2, 0, 1], [3, 1]), 3)).toArray();
    [2, 0, 1].forEach((c, r) => assert.ok(Math.abs(picked[r]! - logP[3 * r + c]!) < 1e-12));
    assert.ok(Math.abs(categoricalEntropy(logits).toArray()[1]! - Math.log(3)) < 1e-12, 'uniform: log K');
  });
});

test('Gaussian entropy: Σ (½ + ½·log 2π + log σ) over the last axis', () => {
  const e = engine64();
  e.scope(() => {
    const h = gaussianEntropy(e.tensor([0, Math.log(2)], [1, 2])).toArray();
    assert.ok(Math.abs(h[0]! - (1 + Math.log(2 * Math.PI) + Math.log(2))) < 1e-12);
  });
});

test('categorical and Gaussian entropy gradients (and second order) against finite differences', () => {
  const e = engine64();
  const hot = e.scope(() => oneHot(e.tensor([1, 0, 2, 1], [4, 1]), 3).toArray());
  checkGradient('logSoftmax', (x) => logSoftmax(x!), [{ shape: [4, 3], lo: -3, hi: 3 }]);
  checkGradient('categoricalLogProb', (x) => categoricalLogProb(x!, x!.engine.tensor(hot, [4, 3])), [{ shape: [4, 3], lo: -3, hi: 3 }]);
  checkGradient('categoricalEntropy', (x) => categoricalEntropy(x!), [{ shape: [4, 3], lo: -3, hi: 3 }]);
  checkGradient('gaussianEntropy', (x) => gaussianEntropy(x!), [{ shape: [1, 3] }]);
  checkHessianVector('categoricalEntropy', (x) => categoricalEntropy(x!), [{ shape: [2, 3], lo: -2, hi: 2 }]);
});

test('randomCategorical draws classes with the softmax probabilities; oneHot encodes and checks indices', () => {
  const e = engine64();
  e.scope(() => {
    const rng = new Xoshiro128Rng(4);
    const n = 20000, counts = [0, 0, 0];
    const logits = e.tensor(Array.from({ length: n }, () => [0, Math.log(2), Math.log(7)]).flat(), [n, 3]);
    for (const c of randomCategorical(logits, rng).toArray()) counts[c]!++;
    [0.1, 0.2, 0.7].forEach((p, c) => {
      const sd = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(counts[c]! / n - p) < 5 * sd, `class ${c}: ${counts[c]! / n} vs ${p}`);
    });
    assert.deepEqual(oneHot(e.tensor([2, 0], [2, 1]), 3).toArray(), [0, 0, 1, 1, 0, 0]);
    assert.throws(() => oneHot(e.tensor([3], [1, 1]), 3), /index 3 at position 0 is outside \[0, 3\)/);
    assert.throws(() => randomCategorical(e.tensor([0, 1, 2], [3]), rng), /logits must be \[batch, classes\]/);
  });
});
