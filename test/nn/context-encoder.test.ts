/**
 * PEARL's context encoder: the product of Gaussian factors against the closed form
 * (its log-density differs from Σ log N(x; μᵢ, σᵢ²) by a constant in x), the KL to N(0, I)
 * against quadrature, and the encoder's posterior shapes and its narrowing with more context.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContextEncoder, klToStandardNormal, productOfGaussians } from '../../src/nn/context-encoder.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { engine64 as e64 } from '../helpers/gradcheck.js';
import { makeRng } from '../helpers/rng.js';

const logNormal = (x: number, m: number, v: number): number => -0.5 * Math.log(2 * Math.PI * v) - (x - m) ** 2 / (2 * v);

describe('product of Gaussians', () => {
  it('is the normalised product of the factors (per latent dimension, float64)', () => {
    const e = e64(), r = makeRng(3), n = 4, L = 2;
    const means = Array.from({ length: n * L }, () => r.uniform(-2, 2));
    const vars = Array.from({ length: n * L }, () => r.uniform(0.2, 3));
    const { mean, variance } = e.scope(() => {
      const g = productOfGaussians(e.tensor(means, [n, L]), e.tensor(vars, [n, L]));
      return { mean: g.mean.toArray(), variance: g.variance.toArray() };
    });
    for (let d = 0; d < L; d++) {
      // log Π N(x; μᵢ, σᵢ²) − log N(x; μ, σ²) must not depend on x.
      const gap = (x: number): number => means.filter((_, k) => k % L === d).reduce((s, m, i) => s + logNormal(x, m, vars[i * L + d]!), 0) - logNormal(x, mean[d]!, variance[d]!);
      for (const x of [-3, -0.5, 0.7, 2.5]) assert.ok(Math.abs(gap(x) - gap(0)) < 1e-9, `dim ${d}: log-density gap at ${x} is ${gap(x)}, at 0 ${gap(0)}`);
    }
  });

  it('KL to N(0, I) matches quadrature', () => {
    const e = e64();
    const kl = e.scope(() => klToStandardNormal({ mean: e.tensor([0.7, -1.2], [1, 2]), variance: e.tensor([0.5, 2], [1, 2]) }).item());
    let numeric = 0;
    for (const [m, v] of [[0.7, 0.5], [-1.2, 2]] as const) {
      const h = 1e-3;
      for (let x = -15; x < 15; x += h) { const p = Math.exp(logNormal(x, m, v)); numeric += p * (logNormal(x, m, v) - logNormal(x, 0, 1)) * h; }
    }
    assert.ok(Math.abs(kl - numeric) < 1e-6, `KL ${kl} vs quadrature ${numeric}`);
  });
});

describe('ContextEncoder', () => {
  it('gives a [1, L] posterior whose variance shrinks as context is added', () => {
    const e = e64(), r = makeRng(5);
    const enc = new ContextEncoder(e, new Xoshiro128Rng(1), { inputDim: 4, latentDim: 3, hidden: [8, 8] });
    const context = Array.from({ length: 10 * 4 }, () => r.uniform(-1, 1));
    const [few, all] = [2, 10].map((rows) => e.scope(() => {
      const g = enc.posterior(e.tensor(context.slice(0, rows * 4), [rows, 4]));
      assert.deepEqual([g.mean.shape, g.variance.shape], [[1, 3], [1, 3]]);
      return g.variance.toArray();
    }));
    few!.forEach((v, d) => assert.ok(all![d]! < v, `dim ${d}: variance ${all![d]} with 10 entries, ${v} with 2`));
  });
});
