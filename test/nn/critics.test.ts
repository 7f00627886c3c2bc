/** Critic blocks: sizes as the spec computes them, the actor fast path, and agreement across backends. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { sum } from '../../src/tensor/ops/elementwise.js';
import { HyperCritic, MlpCritic } from '../../src/nn/critics.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { availableBackends, U32 } from '../helpers/backends.js';
import { makeRng } from '../helpers/rng.js';

const rngValues = (n: number, seed: number): number[] => { const r = makeRng(seed); return Array.from({ length: n }, () => r.uniform(-1, 1)); };

describe('HyperCritic', () => {
  it('paper preset has the spec\'s 8,537,346 parameters per Q for HalfCheetah (17, 6) and ~17.1 MFLOPs per sample', () => {
    const e = new Engine(createBackend('js'));
    const c = new HyperCritic(e, new Xoshiro128Rng(0), { stateDim: 17, actionDim: 6, preset: 'paper' });
    const d = c.describe();
    assert.equal(d.parametersPerQ, 8_537_346);
    assert.equal(d.parameters, 2 * 8_537_346);
    assert.ok(Math.abs(d.flopsPerSamplePerQ / 1e6 - 17.1) < 0.1, `${d.flopsPerSamplePerQ}`);
  });

  it('matches the spec\'s per-Q formula 256·d_s + 262,400·d_a + 6,958,594 on other dims', () => {
    const e = new Engine(createBackend('js'));
    for (const [ds, da] of [[11, 3], [111, 8]] as const) {
      const c = new HyperCritic(e, new Xoshiro128Rng(0), { stateDim: ds, actionDim: da, preset: 'paper', twin: false });
      assert.equal(c.describe().parametersPerQ, 256 * ds + 262_400 * da + 6_958_594);
    }
  });

  it('gives the same ∇ₐQ1 through the dynamic-network-only fast path as through the full tape', () => {
    const e = new Engine(createBackend('js', { dtype: 'float64' }));
    for (const preset of ['compact'] as const) {
      const c = new HyperCritic(e, new Xoshiro128Rng(3), { stateDim: 5, actionDim: 2, preset });
      e.scope(() => {
        const s = e.tensor(rngValues(8 * 5, 1).map((v) => v * 3), [8, 5]);
        const a = e.tensor(rngValues(8 * 2, 2), [8, 2]);
        a.requiresGrad = true;
        const [full] = e.grad(sum(c.forward(s, a)[0]!), [a]);
        const [fast] = e.grad(sum(c.q1ForActor(s, a)), [a]);
        const f = full!.toArray(), g = fast!.toArray();
        assert.ok(f.some((v) => v !== 0));
        f.forEach((v, i) => assert.ok(Math.abs(v - g[i]!) <= 1e-12 * (1 + Math.abs(v)), `∇ₐQ[${i}] ${v} vs ${g[i]}`));
      });
    }
  });

  it('reverse (AS-Hyper) puts the action in the primary network', () => {
    const e = new Engine(createBackend('js'));
    const c = new HyperCritic(e, new Xoshiro128Rng(0), { stateDim: 17, actionDim: 6, preset: 'compact', reverse: true, twin: false });
    assert.equal(c.qs[0]!.metaSize, 6);
    assert.equal(c.qs[0]!.baseSize, 17);
  });

  it('rejects an unknown preset and bad dims by name', () => {
    const e = new Engine(createBackend('js'));
    assert.throws(() => new HyperCritic(e, new Xoshiro128Rng(0), { stateDim: 3, actionDim: 1, preset: 'huge' as never }), /unknown preset 'huge'/);
    assert.throws(() => new MlpCritic(e, new Xoshiro128Rng(0), { stateDim: 0, actionDim: 1 }), /stateDim must be a positive integer/);
  });
});

describe('critics on every backend', () => {
  for (const make of [
    (e: Engine) => new MlpCritic(e, new Xoshiro128Rng(5), { stateDim: 17, actionDim: 6 }),
    (e: Engine) => new HyperCritic(e, new Xoshiro128Rng(5), { stateDim: 17, actionDim: 6, preset: 'compact' }),
  ]) {
    it(`${make(new Engine(createBackend('js'))).describe().kind}: Q and ∂ΣQ/∂params agree with float64 within float32 bounds`, () => {
      const run = (e: Engine): { q: number[]; g: number[][] } => {
        const c = make(e);
        return e.scope(() => {
          const s = e.tensor(rngValues(32 * 17, 7).map((v) => 3 * v), [32, 17]);
          const a = e.tensor(rngValues(32 * 6, 8), [32, 6]);
          const [q1] = c.forward(s, a);
          const gs = e.grad(sum(q1!), c.qs[0]!.parameters());
          return { q: q1!.toArray(), g: gs.map((t) => t.toArray()) };
        });
      };
      const ref = run(new Engine(createBackend('js', { dtype: 'float64' })));
      for (const { name } of availableBackends()) {
        const got = run(new Engine(createBackend(name)));
        // Relative to the reference's scale, each output passes through dot products of length ≤ 256
        // a few layers deep: allow 8·256·u of the largest magnitude, per tensor.
        const close = (label: string, a: number[], b: number[]): void => {
          const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          const tol = 8 * 256 * U32 * scale;
          a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol, `${name} ${label}[${i}] ${v} vs ${b[i]} (tol ${tol})`));
        };
        close('Q', got.q, ref.q);
        got.g.forEach((g, k) => close(`grad${k}`, g, ref.g[k]!));
      }
    });
  }
});
