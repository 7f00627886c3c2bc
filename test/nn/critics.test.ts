/** Critic blocks: sizes as the spec computes them, the actor fast path, and agreement across backends. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend, defaultBackend } from '../../src/tensor/backends/index.js';
import { add, scale, sum } from '../../src/tensor/ops/elementwise.js';
import { concat } from '../../src/tensor/ops/shape.js';
import { MLP } from '../../src/nn/layers.js';
import { calibrateToPaper, HyperCritic, MlpCritic, primaryMeanSquare } from '../../src/nn/critics.js';
import { loadFixtures } from '../envs/fixtures.js';
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
          const gs = e.grad(sum(q1!), c instanceof MlpCritic ? c.qs.parameters() : c.qs[0]!.parameters());
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

describe('compact HyperCritic calibration to the paper\'s generated scale', () => {
  const names = ['W1', 'c1', 'g1', 'W2', 'c2', 'g2'];
  /**
   * Spread of each generated group [W (out×in) | c (out) | g (out)] of both dynamic layers over a
   * batch of states: the std of the generated values where a group has many per sample; for the
   * output layer's single bias and gain, whose spread over states rests on one random head row, the
   * std over head initialisations, √(E[h²]·mean|z|²) with E[h²] the head column's mean square.
   */
  const generatedStds = (c: HyperCritic, e: Engine, states: number[][]): number[] => e.scope(() => {
    const net = c.qs[0]!;
    return e.noGrad(() => {
      const z = net.primary.forward(e.tensor(states.flat(), [states.length, states[0]!.length]));
      const zValues = z.toArray(), zDim = z.shape[1]!;
      const meanZ2 = zValues.reduce((a, v) => a + v * v, 0) / states.length;
      return net.heads.flatMap((head, l) => {
        const spec = net.dynamicLayers[l]!, gen = head.forward(z), values = gen.toArray(), width = gen.shape[1]!, H = head.W.toArray();
        const nW = spec.inputSize * spec.outputSize;
        return ([[0, nW], [nW, spec.outputSize], [nW + spec.outputSize, spec.outputSize]] as const).map(([start, n]) => {
          if (n === 1) {
            let h2 = 0;
            for (let k = 0; k < zDim; k++) h2 += H[k * width + start]! ** 2;
            return Math.sqrt((h2 / zDim) * meanZ2);
          }
          let s1 = 0, s2 = 0;
          for (let b = 0; b < states.length; b++) for (let j = start; j < start + n; j++) { const v = values[b * width + j]!; s1 += v; s2 += v * v; }
          const count = states.length * n;
          return Math.sqrt(s2 / count - (s1 / count) ** 2);
        });
      });
    });
  });

  for (const env of ['HalfCheetah-v5', 'Hopper-v5', 'Walker2d-v5', 'Ant-v5']) {
    it(`${env}: generated weights, biases and gains match the paper preset's within 20% (TD3 and SAC primary inits); the uncalibrated compact is off by > 3×`, () => {
      const states = loadFixtures(env).flatMap((f) => [f.reset_obs, ...f.steps.map((s) => s.obs)]).slice(0, 120);
      const e = new Engine(defaultBackend());
      for (const initRule of ['td3', 'sac'] as const) {
        const make = (preset: 'paper' | 'compact' | 'compact-uncalibrated'): number[] =>
          generatedStds(new HyperCritic(e, new Xoshiro128Rng(11), { stateDim: states[0]!.length, actionDim: 6, preset, initRule, twin: false }), e, states);
        const paper = make('paper'), compact = make('compact'), old = make('compact-uncalibrated');
        paper.forEach((p, i) => {
          assert.ok(Math.abs(compact[i]! / p - 1) <= 0.2, `${initRule} ${names[i]}: compact std ${compact[i]} vs paper ${p}`);
          assert.ok(old[i]! / p > 3, `${initRule} ${names[i]}: uncalibrated std ${old[i]} vs paper ${p}`);
        });
      }
    });
  }

  it('the mean-field map predicts the embedding\'s mean square, and calibrating the paper to itself changes nothing', () => {
    const e = new Engine(defaultBackend());
    const states = loadFixtures('Hopper-v5').flatMap((f) => [f.reset_obs, ...f.steps.map((s) => s.obs)]);
    const q = states.reduce((a, x) => a + x.reduce((b, v) => b + v * v, 0) / x.length, 0) / states.length;
    for (const preset of ['paper', 'compact-uncalibrated'] as const) {
      const c = new HyperCritic(e, new Xoshiro128Rng(4), { stateDim: 11, actionDim: 3, preset, twin: false });
      const measured = e.scope(() => {
        const z = e.noGrad(() => c.qs[0]!.primary.forward(e.tensor(states.flat(), [states.length, 11]))).toArray();
        return z.reduce((a, v) => a + v * v, 0) / z.length;
      });
      const { alpha, beta } = primaryMeanSquare(11, preset === 'paper' ? { widths: [256, 512, 1024], resBlocks: 2 } : { widths: [256], resBlocks: 1 }, 'td3');
      assert.ok(Math.abs(measured / (alpha + beta * q) - 1) < 0.1, `${preset}: measured mean square ${measured} vs predicted ${alpha + beta * q}`);
    }
    assert.deepEqual(calibrateToPaper(11, { widths: [256, 512, 1024], resBlocks: 2 }, 'sac'), { firstWeightScale: 1, headSigmaScale: 1 });
  });
});

describe('MlpCritic (the twin Qs as one EnsembleMLP)', () => {
  const dims = { stateDim: 5, actionDim: 3, hidden: [32, 24] };
  const inputs = (e: Engine): [ReturnType<Engine['tensor']>, ReturnType<Engine['tensor']>] =>
    [e.tensor(rngValues(16 * 5, 21), [16, 5]), e.tensor(rngValues(16 * 3, 22), [16, 3])];

  for (const { name } of availableBackends()) {
    it(`${name}: each Q is, bit for bit, the MLP that the same rng draws make, in value and parameter gradient`, () => {
      const e = new Engine(createBackend(name));
      const critic = new MlpCritic(e, new Xoshiro128Rng(9), dims);
      // Separate MLPs constructed in turn from the same seed: the layout before the ensemble.
      const rng = new Xoshiro128Rng(9);
      const mlps = [0, 1].map(() => new MLP(e, [8, 32, 24, 1], rng));
      e.scope(() => {
        const [s, a] = inputs(e);
        const qs = critic.forward(s, a);
        const grads = e.grad(add(sum(qs[0]!), scale(sum(qs[1]!), 3)), critic.parameters());
        const sa = concat([s, a], 1);
        const want = mlps.map((m) => m.forward(sa));
        const wantGrads = [e.grad(sum(want[0]!), mlps[0]!.parameters()), e.grad(scale(sum(want[1]!), 3), mlps[1]!.parameters())];
        qs.forEach((q, i) => assert.deepEqual(q.toArray(), want[i]!.toArray(), `Q${i + 1}`));
        assert.deepEqual(critic.q1ForActor(s, a).toArray(), want[0]!.toArray(), 'q1ForActor');
        // The stacked gradient of layer l is [member 0's, member 1's].
        grads.forEach((g, j) => {
          const l = Math.floor(j / 2), p = j % 2;
          assert.deepEqual(g.toArray(), [...wantGrads[0]![2 * l + p]!.toArray(), ...wantGrads[1]![2 * l + p]!.toArray()], `gradient ${critic.namedParameters()[j]![0]}`);
        });
      });
    });
  }

  it('loads the state of separate MLPs (checkpoints from before the ensemble) and exports each Q under MLP names', () => {
    const e = new Engine(createBackend('js'));
    const rng = new Xoshiro128Rng(4);
    const mlps = [0, 1].map(() => new MLP(e, [8, 32, 24, 1], rng));
    const legacy = Object.fromEntries(mlps.flatMap((m, i) => Object.entries(m.stateDict()).map(([k, v]) => [`q${i + 1}.${k}`, v])));
    const critic = new MlpCritic(e, new Xoshiro128Rng(77), dims);
    critic.loadStateDict(legacy);
    const [s, a] = e.scope(() => inputs(e).map((t) => t.toArray()));
    e.scope(() => {
      const qs = critic.forward(e.tensor(s!, [16, 5]), e.tensor(a!, [16, 3]));
      const sa = concat([e.tensor(s!, [16, 5]), e.tensor(a!, [16, 3])], 1);
      qs.forEach((q, i) => assert.deepEqual(q.toArray(), mlps[i]!.forward(sa).toArray(), `Q${i + 1} after loading`));
    });
    mlps.forEach((m, i) => assert.deepEqual(critic.qs.memberStateDict(i), m.stateDict(), `member ${i}'s state`));
    assert.throws(() => critic.loadStateDict({ ...legacy, 'q3.0.W': legacy['q1.0.W']! }), /unexpected parameters q3\.0\.W/);
  });
});
