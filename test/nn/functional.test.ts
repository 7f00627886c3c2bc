/**
 * Functional calls (Module.withParameters): a module evaluated on substituted
 * parameter tensors. The meta-gradient of a MAML step through them is checked
 * against float64 finite differences; on every backend, a call on the module's own
 * parameters equals the ordinary forward, and a call on another module's parameters
 * equals that module's forward (which fails if any layer reads a parameter directly),
 * for every module class in src/nn.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { mean, repeatRows, scale, square, squaredDifference, sub, sum } from '../../src/tensor/ops/elementwise.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { DeterministicActor, GaussianActor } from '../../src/nn/actors.js';
import { HyperCritic, MlpCritic } from '../../src/nn/critics.js';
import { GRU } from '../../src/nn/gru.js';
import { HyperNetwork } from '../../src/nn/hypernetwork.js';
import { hypeRlHeadInit } from '../../src/nn/hyper-init.js';
import { Linear, MLP } from '../../src/nn/layers.js';
import { MetaPolicy } from '../../src/nn/meta-policy.js';
import { Module } from '../../src/nn/module.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { availableBackends } from '../helpers/backends.js';
import { makeRng } from '../helpers/rng.js';

const values = (n: number, seed: number, s = 1): number[] => { const r = makeRng(seed); return Array.from({ length: n }, () => s * r.uniform(-1, 1)); };

/** A module and how to run it on fixed inputs to one output tensor (or several, concatenated in the comparison). */
interface Case<M extends Module = Module> {
  name: string;
  make: (e: Engine, seed: number) => M;
  run: (m: M, e: Engine) => Tensor[];
}

const obs = (e: Engine, rows: number, dim: number, seed: number): Tensor => e.tensor(values(rows * dim, seed), [rows, dim]);

const hyperNet = (e: Engine, seed: number): HyperNetwork => {
  const rng = new Xoshiro128Rng(seed);
  return new HyperNetwork(e, new MLP(e, [3, 6, 5], rng, { hiddenAct: 'relu', outputAct: 'relu' }), [
    { inputSize: 2, outputSize: 4, act: 'tanh', headInit: hypeRlHeadInit(0.3) },
    { inputSize: 4, outputSize: 2, act: 'identity', headInit: hypeRlHeadInit(0.3) },
  ], rng);
};

const CASES: Case[] = [
  { name: 'Linear', make: (e, s) => new Linear(e, 4, 3, new Xoshiro128Rng(s), { act: 'tanh' }), run: (m, e) => [(m as Linear).forward(obs(e, 5, 4, 1))] },
  { name: 'MLP', make: (e, s) => new MLP(e, [4, 8, 3], new Xoshiro128Rng(s), { hiddenAct: 'tanh' }), run: (m, e) => [(m as MLP).forward(obs(e, 5, 4, 1))] },
  { name: 'DeterministicActor', make: (e, s) => new DeterministicActor(e, new Xoshiro128Rng(s), { obsDim: 4, actionDim: 2, hidden: [8, 8] }), run: (m, e) => [(m as DeterministicActor).forward(obs(e, 5, 4, 1))] },
  {
    name: 'GaussianActor', make: (e, s) => new GaussianActor(e, new Xoshiro128Rng(s), { obsDim: 4, actionDim: 2, hidden: [8] }),
    run: (m, e) => { const { mean: mu, logStd } = (m as GaussianActor).forward(obs(e, 5, 4, 1)); return [mu, logStd]; },
  },
  { name: 'MlpCritic (twin)', make: (e, s) => new MlpCritic(e, new Xoshiro128Rng(s), { stateDim: 4, actionDim: 2, hidden: [8, 8] }), run: (m, e) => (m as MlpCritic).forward(obs(e, 5, 4, 1), obs(e, 5, 2, 2)) },
  {
    name: 'HyperCritic (compact, twin, ResBlocks)', make: (e, s) => new HyperCritic(e, new Xoshiro128Rng(s), { stateDim: 4, actionDim: 2, preset: 'compact' }),
    run: (m, e) => { const c = m as HyperCritic, s = obs(e, 5, 4, 1), a = obs(e, 5, 2, 2); return [...c.forward(s, a), c.q1ForActor(s, a)]; },
  },
  {
    name: 'GRU (sequence with resets, and one step)', make: (e, s) => new GRU(e, 3, 4, new Xoshiro128Rng(s)),
    run: (m, e) => {
      const g = m as GRU, h0 = obs(e, 2, 4, 3);
      const { outputs, last } = g.forward(e.tensor(values(3 * 2 * 3, 1), [3, 2, 3]), h0, e.tensor([0, 0, 1, 0, 0, 1], [3, 2]));
      return [outputs, last, g.step(obs(e, 2, 3, 2), h0)];
    },
  },
  { name: 'HyperNetwork', make: hyperNet, run: (m, e) => [(m as HyperNetwork).forward(obs(e, 5, 3, 1), obs(e, 5, 2, 2))] },
  ...(['standard', 'hypernetwork', 'film'] as const).map((architecture): Case => ({
    name: `MetaPolicy ${architecture}`,
    make: (e, s) => new MetaPolicy(e, new Xoshiro128Rng(s), { architecture, stateDim: 4, conditioningDim: 3, actionDim: 2, embeddingDim: 5, stateEmbedding: 8, hidden: [8, 6], initStd: s }),
    run: (m, e) => { const { mean: mu, logStd, value } = (m as MetaPolicy).forward(obs(e, 5, 4, 1), obs(e, 5, 3, 2)); return [mu, logStd, value]; },
  })),
];

describe('Module.withParameters on every backend', () => {
  for (const { name: backend, make } of availableBackends()) {
    for (const c of CASES) {
      it(`${c.name} (${backend}): own parameters give the ordinary forward; another instance's parameters give its forward`, () => {
        const e = new Engine(make());
        const a = c.make(e, 1), b = c.make(e, 2);
        e.scope(() => {
          const plain = c.run(a, e).map((t) => t.toArray());
          const functional = a.withParameters(a.parameters(), () => c.run(a, e)).map((t) => t.toArray());
          assert.deepEqual(functional, plain);
          const other = c.run(b, e).map((t) => t.toArray());
          assert.notDeepEqual(other, plain);
          assert.deepEqual(a.withParameters(b.parameters(), () => c.run(a, e)).map((t) => t.toArray()), other);
          // The substitution ends with the call.
          assert.deepEqual(c.run(a, e).map((t) => t.toArray()), plain);
        });
      });
    }
  }
});

describe('Module.withParameters', () => {
  const e64 = (): Engine => new Engine(createBackend('js', { dtype: 'float64' }));

  it('rejects a wrong number or shape of tensors, naming the parameter', () => {
    const e = e64();
    const m = new MLP(e, [3, 4, 2], new Xoshiro128Rng(1));
    e.scope(() => {
      assert.throws(() => m.withParameters(m.parameters().slice(1), () => 0), /3 tensors given for 4 parameters/);
      const wrong = m.parameters().map((p, i) => (i === 2 ? e.tensor(values(8, 1), [2, 4]) : p));
      assert.throws(() => m.withParameters(wrong, () => 0), /tensor 2 has shape \[2, 4\], parameter '1.W' is \[4, 2\]/);
    });
  });

  it('nests, and restores the outer substitution when the inner call throws', () => {
    const e = e64();
    const [a, b, c] = [1, 2, 3].map((s) => new MLP(e, [3, 4, 2], new Xoshiro128Rng(s)));
    e.scope(() => {
      const x = e.tensor(values(6, 4), [2, 3]);
      const out = (m: MLP): number[] => m.forward(x).toArray();
      a.withParameters(b.parameters(), () => {
        assert.deepEqual(a.withParameters(c!.parameters(), () => out(a!)), out(c!));
        assert.throws(() => a!.withParameters(c!.parameters(), () => { throw new Error('inner'); }), /inner/);
        assert.deepEqual(out(a!), out(b!));
      });
    });
  });

  it('rejects a module that appears twice in the tree', () => {
    class Twice extends Module {
      constructor(engine: Engine, shared: Linear) {
        super(engine);
        this.child('first', shared);
        this.child('second', shared);
      }
    }
    const e = e64();
    const m = new Twice(e, new Linear(e, 2, 2, new Xoshiro128Rng(1)));
    e.scope(() => assert.throws(() => m.withParameters(m.parameters(), () => 0), /module Linear appears twice in the tree/));
  });
});

/**
 * MAML's meta-gradient through one inner step: d/dθ L_out(θ − α∇θ L_in(θ)),
 * computed with createGraph and a functional call, against central differences of
 * the same objective (its inner gradient recomputed at each perturbed θ).
 */
describe('second-order MAML through a functional call', () => {
  const ALPHA = 0.5;

  interface MetaCase<M extends Module> {
    name: string;
    make: (e: Engine) => M;
    /** The module's output on the inner (task = 0) or outer (task = 1) batch. */
    output: (m: M, e: Engine, task: 0 | 1) => Tensor;
    outDim: number;
  }

  function checkMetaGradient<M extends Module>(c: MetaCase<M>): void {
    const e = new Engine(createBackend('js', { dtype: 'float64' }));
    const net = c.make(e);
    const params = net.parameters();
    const target = (task: 0 | 1): Tensor => e.tensor(values(4 * c.outDim, 20 + task), [4, c.outDim]);
    const loss = (task: 0 | 1): Tensor => mean(squaredDifference(c.output(net, e, task), target(task)));
    const adapted = (createGraph: boolean): Tensor[] => {
      const g = e.grad(loss(0), params, { createGraph });
      return params.map((p, i) => sub(p, scale(g[i]!, ALPHA)));
    };
    const metaLoss = (): number => e.scope(() => net.withParameters(adapted(false), () => loss(1)).item());

    const { meta, firstOrder } = e.scope(() => {
      const fast = adapted(true);
      const outer = net.withParameters(fast, () => loss(1));
      return {
        meta: e.grad(outer, params).map((g) => g.toArray()),
        firstOrder: e.grad(net.withParameters(fast, () => loss(1)), fast).map((g) => g.toArray()),
      };
    });

    const d = e.backend.arena.data, h = 1e-6;
    let secondOrderGap = 0;
    params.forEach((p, k) => {
      for (let j = 0; j < p.size; j++) {
        const at = p.offset + j, save = d[at]!;
        d[at] = save + h; const up = metaLoss();
        d[at] = save - h; const down = metaLoss();
        d[at] = save;
        const numeric = (up - down) / (2 * h);
        const got = meta[k]![j]!;
        assert.ok(Math.abs(got - numeric) <= 1e-6 * (1 + Math.abs(numeric)), `${c.name}: ∂L_out/∂θ${k}[${j}] analytic ${got} vs numeric ${numeric}`);
        secondOrderGap = Math.max(secondOrderGap, Math.abs(firstOrder[k]![j]! - numeric));
      }
    });
    // The check can tell: dropping the second-order term (first-order MAML) misses by far more than the tolerance.
    assert.ok(secondOrderGap > 1e-3, `${c.name}: the first-order approximation is within ${secondOrderGap} of the meta-gradient; the test could not see a missing second-order term`);
  }

  it('2-layer tanh MLP: the meta-gradient matches finite differences (float64, js)', () => {
    checkMetaGradient({
      name: 'MLP 3-5-2', outDim: 2,
      make: (e) => new MLP(e, [3, 5, 2], new Xoshiro128Rng(7), { hiddenAct: 'tanh' }),
      output: (m, e, task) => m.forward(e.tensor(values(12, 10 + task), [4, 3])),
    });
  });

  it('hypernetwork (generated dynamic layers): the meta-gradient matches finite differences (float64, js)', () => {
    checkMetaGradient({
      name: 'HyperNetwork', outDim: 2,
      make: (e) => hyperNet(e, 8),
      output: (m, e, task) => m.forward(e.tensor(values(12, 30 + task), [4, 3]), e.tensor(values(8, 40 + task), [4, 2])),
    });
  });

  for (const groups of [1, 2]) {
    it(`hypernetwork with one weight set per group of inputs (applyDynamicShared, ${groups} group${groups > 1 ? 's' : ''}: Hyper-${groups > 1 ? 'PEARL' : 'MAML'}'s): the meta-gradient matches finite differences (float64, js)`, () => {
      checkMetaGradient({
        name: `HyperNetwork (shared, ${groups} groups)`, outDim: 2,
        make: (e) => hyperNet(e, 9),
        output: (m, e, task) => m.applyDynamicShared(e.tensor(values(8, 50 + task), [4, 2]), m.generate(e.tensor(values(3 * groups, 60 + task), [groups, 3]))),
      });
    });
  }

  it('applyDynamicShared gives the per-sample kernel\'s values and gradients for each group\'s generated row repeated (1 and 3 groups)', () => {
    const e = new Engine(createBackend('js'));
    const m = hyperNet(e, 10);
    for (const [groups, rows] of [[1, 7], [3, 4]] as const) {
      e.scope(() => {
        const meta = e.tensor(values(3 * groups, 70), [groups, 3]), base = e.tensor(values(2 * groups * rows, 71), [groups * rows, 2]);
        meta.requiresGrad = true;
        base.requiresGrad = true;
        const run = (shared: boolean): { y: number[]; grads: number[][] } => {
          const y = shared ? m.applyDynamicShared(base, m.generate(meta)) : m.applyDynamic(base, m.generate(meta).map((g) => repeatRows(g, rows)));
          return { y: y.toArray(), grads: e.grad(sum(square(y)), [meta, base]).map((g) => g.toArray()) };
        };
        const shared = run(true), repeated = run(false);
        const close = (a: number[], b: number[], what: string): void => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5 * (1 + Math.abs(v)), `${groups} groups, ${what} ${i}: ${v} vs ${b[i]}`));
        close(shared.y, repeated.y, 'output');
        close(shared.grads[0]!, repeated.grads[0]!, 'd/dmeta');
        close(shared.grads[1]!, repeated.grads[1]!, 'd/dbase');
      });
    }
  });
});
