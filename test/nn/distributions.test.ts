/** Policy distributions built from differentiable ops. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { tanhGaussianSample } from '../../src/nn/distributions.js';

const e64 = (): Engine => new Engine(createBackend('js', { dtype: 'float64' }));

describe('distributions', () => {
  it('tanh-Gaussian log-density equals log N(u) − log(1 − tanh²u)', () => {
    const e = e64();
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
});
