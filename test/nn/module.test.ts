/** Modules, optimisers and the autodiff training step's memory behaviour. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { add, mean, squaredDifference } from '../../src/tensor/ops/elementwise.js';
import { HyperCritic, MlpCritic, type Critic } from '../../src/nn/critics.js';
import { MLP } from '../../src/nn/layers.js';
import { Adam, clipGradNorm } from '../../src/nn/optim.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { countTypedArrayAllocations } from '../helpers/alloc.js';
import { availableBackends } from '../helpers/backends.js';

const engine = (): Engine => new Engine(createBackend('js', { dtype: 'float64' }));

describe('Module', () => {
  it('names parameters depth-first and round-trips them through stateDict', () => {
    const e = engine();
    const m = new MLP(e, [3, 4, 2], new Xoshiro128Rng(1));
    assert.deepEqual(m.namedParameters().map(([n]) => n), ['0.W', '0.b', '1.W', '1.b']);
    const other = new MLP(e, [3, 4, 2], new Xoshiro128Rng(2));
    other.loadStateDict(m.stateDict());
    assert.deepEqual(other.parameters().map((p) => p.toArray()), m.parameters().map((p) => p.toArray()));
    assert.throws(() => other.loadStateDict({}), /missing parameter '0.W'/);
    assert.throws(() => new MLP(e, [3, 5, 2], new Xoshiro128Rng(0)).loadStateDict(m.stateDict()), /parameter '0.W' has shape \[3, 4\] in the file, \[3, 5\] in the model/);
  });

  it('hard-copies and Polyak-averages from a module of the same structure', () => {
    const e = engine();
    const a = new MLP(e, [2, 3, 1], new Xoshiro128Rng(1)), b = new MLP(e, [2, 3, 1], new Xoshiro128Rng(2));
    const before = a.parameters().map((p) => p.toArray());
    const src = b.parameters().map((p) => p.toArray());
    a.softUpdateFrom(b, 0.25);
    a.parameters().forEach((p, i) => p.toArray().forEach((v, j) => assert.ok(Math.abs(v - (0.75 * before[i]![j]! + 0.25 * src[i]![j]!)) < 1e-12)));
    a.copyFrom(b);
    assert.deepEqual(a.parameters().map((p) => p.toArray()), src);
    assert.throws(() => a.copyFrom(new MLP(e, [2, 4, 1], new Xoshiro128Rng(0))), /does not match/);
  });
});

describe('Adam', () => {
  it('fits a regression target (loss falls 100×) and clips the global gradient norm', () => {
    const e = engine();
    const m = new MLP(e, [2, 16, 1], new Xoshiro128Rng(4), { hiddenAct: 'tanh' });
    const opt = new Adam(e, m.parameters(), { lr: 1e-2 });
    const xs = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
    const ys = xs.map(([a, b]) => a! * b! + 0.5 * a!);
    const lossAt = (): number => e.scope(() => {
      const loss = mean(squaredDifference(m.forward(e.tensor(xs.flat(), [64, 2])), e.tensor(ys, [64, 1])));
      opt.zeroGrad();
      e.backward(loss, m.parameters());
      return loss.item();
    });
    const first = lossAt();
    for (let i = 0; i < 500; i++) { lossAt(); opt.step(); }
    assert.ok(lossAt() < first / 100, `loss ${first} → ${lossAt()}`);
    const norm = clipGradNorm(e, m.parameters(), Infinity);
    assert.ok(norm > 0);
    assert.equal(clipGradNorm(e, m.parameters(), norm / 2), norm);
    const after = Math.sqrt(m.parameters().reduce((s, p) => s + p.grad!.toArray().reduce((q, v) => q + v * v, 0), 0));
    const want = ((norm / 2) * norm) / (norm + 1e-6); // PyTorch's clip_grad_norm_ divides by norm + 1e-6
    assert.ok(Math.abs(after - want) < 1e-9 * norm, `clipped norm ${after}, wanted ${want}`);
  });

  it('rejects a NaN learning rate by name', () => {
    const e = engine();
    assert.throws(() => new Adam(e, new MLP(e, [1, 1], new Xoshiro128Rng(0)).parameters(), { lr: NaN }), /config 'lr' must be finite/);
  });
});

describe('an autodiff critic update', () => {
  const critics: [string, (e: Engine) => Critic][] = [
    ['mlp', (e) => new MlpCritic(e, new Xoshiro128Rng(1), { stateDim: 17, actionDim: 6 })],
    ['hyper compact', (e) => new HyperCritic(e, new Xoshiro128Rng(1), { stateDim: 17, actionDim: 6, preset: 'compact' })],
  ];
  for (const [kind, make] of critics) {
    for (const { name } of availableBackends()) {
      it(`allocates no typed arrays and no arena memory after warm-up (${kind}, ${name})`, () => {
        const e = new Engine(createBackend(name));
        const critic = make(e);
        const opt = new Adam(e, critic.parameters(), { lr: 3e-4 });
        const s = e.persistent([64, 17], Array.from({ length: 64 * 17 }, (_, i) => Math.sin(i)));
        const a = e.persistent([64, 6], Array.from({ length: 64 * 6 }, (_, i) => Math.cos(i)));
        const y = e.persistent([64, 1], Array.from({ length: 64 }, (_, i) => Math.sin(0.1 * i)));
        const step = (): void => e.scope(() => {
          const [q1, q2] = critic.forward(s, a);
          const loss = add(mean(squaredDifference(q1!, y)), mean(squaredDifference(q2!, y)));
          opt.zeroGrad();
          e.backward(loss, critic.parameters());
          opt.step();
        });
        step();
        const before = e.backend.arena.getStats();
        assert.equal(countTypedArrayAllocations(() => { for (let i = 0; i < 3; i++) step(); }), 0);
        assert.deepEqual(e.backend.arena.getStats(), before);
      });
    }
  }
});
