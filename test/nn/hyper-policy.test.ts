/** HyperPolicy: Bias-HyperInit behaviour, per-task weight sharing, gradients; distributions. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { sum } from '../../src/tensor/ops/elementwise.js';
import { repeatRows } from '../helpers/tensors.js';
import { HyperPolicy } from '../../src/nn/hyper-policy.js';
import { hypeRlHeadInit } from '../../src/nn/hyper-init.js';
import { gaussianLogProb, tanhGaussianSample } from '../../src/nn/distributions.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { makeRng } from '../helpers/rng.js';

const e64 = (): Engine => new Engine(createBackend('js', { dtype: 'float64' }));
const values = (n: number, seed: number, s = 1): number[] => { const r = makeRng(seed); return Array.from({ length: n }, () => s * r.uniform(-1, 1)); };

describe('HyperPolicy', () => {
  it('with its default Bias-HyperInit gives every context the same policy at initialisation', () => {
    const e = e64();
    const p = new HyperPolicy(e, new Xoshiro128Rng(1), { contextDim: 3, stateDim: 4, actionDim: 2, hidden: [16, 16] });
    e.scope(() => {
      const state = values(4, 2);
      const contexts = e.tensor(values(5 * 3, 3, 10), [5, 3]);
      const { mean } = p.forward(contexts, e.tensor([...state, ...state, ...state, ...state, ...state], [5, 4]));
      const m = mean.toArray();
      for (let t = 1; t < 5; t++) assert.deepEqual(m.slice(2 * t, 2 * t + 2), m.slice(0, 2));
      assert.ok(m.some((v) => v !== 0));
    });
  });

  it('shares one generated weight set per task: equals the per-sample dynamic layers with repeated contexts', () => {
    const e = e64();
    const p = new HyperPolicy(e, new Xoshiro128Rng(1), { contextDim: 3, stateDim: 4, actionDim: 2, hidden: [8], hiddenHeadInit: hypeRlHeadInit(0.2), outputHeadInit: hypeRlHeadInit(0.2), distribution: 'tanh-gaussian' });
    e.scope(() => {
      const contexts = e.tensor(values(3 * 3, 5), [3, 3]);
      const states = e.tensor(values(6 * 4, 6), [6, 4]);
      const grouped = p.forward(contexts, states).mean.toArray();
      const perSample = p.hyper.forward(repeatRows(contexts, 2), states).toArray();
      const means = perSample.filter((_, i) => i % 4 < 2);
      grouped.forEach((v, i) => assert.ok(Math.abs(v - means[i]!) < 1e-12, `${v} vs ${means[i]}`));
      assert.notDeepEqual(grouped.slice(0, 2), grouped.slice(4, 6));
    });
  });

  for (const distribution of ['gaussian', 'tanh-gaussian'] as const) {
    it(`back-propagates the log-likelihood into every parameter correctly (${distribution}, finite differences)`, () => {
      const e = e64();
      const p = new HyperPolicy(e, new Xoshiro128Rng(2), { contextDim: 2, stateDim: 3, actionDim: 2, hidden: [5], embedding: [6], distribution, hiddenHeadInit: hypeRlHeadInit(0.3), outputHeadInit: hypeRlHeadInit(0.3) });
      const objective = (): number => e.scope(() => {
        const { mean, logStd } = p.forward(e.tensor(values(4, 7), [2, 2]), e.tensor(values(12, 8), [4, 3]));
        return sum(gaussianLogProb(mean, logStd, e.tensor(values(8, 9, 0.5), [4, 2]))).item();
      });
      const grads = e.scope(() => {
        const { mean, logStd } = p.forward(e.tensor(values(4, 7), [2, 2]), e.tensor(values(12, 8), [4, 3]));
        return e.grad(sum(gaussianLogProb(mean, logStd, e.tensor(values(8, 9, 0.5), [4, 2]))), p.parameters()).map((g) => g.toArray());
      });
      const rng = makeRng(11);
      p.parameters().forEach((param, k) => {
        for (let trial = 0; trial < 3; trial++) {
          const j = rng.int(0, param.size - 1);
          const d = e.backend.arena.data, at = param.offset + j, save = d[at]!;
          d[at] = save + 1e-6; const up = objective();
          d[at] = save - 1e-6; const down = objective();
          d[at] = save;
          const numeric = (up - down) / 2e-6;
          assert.ok(Math.abs(grads[k]![j]! - numeric) <= 1e-6 * (1 + Math.abs(numeric)), `param ${k}[${j}]: ${grads[k]![j]} vs ${numeric}`);
        }
      });
    });
  }

  it('rejects states that do not split into the given tasks', () => {
    const e = e64();
    const p = new HyperPolicy(e, new Xoshiro128Rng(1), { contextDim: 1, stateDim: 2, actionDim: 1, hidden: [4] });
    e.scope(() => assert.throws(() => p.forward(e.tensor([0, 1], [2, 1]), e.tensor([1, 2, 3, 4, 5, 6], [3, 2])), /states must be \[T·n, 2\] with T = 2 tasks/));
  });
});

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
