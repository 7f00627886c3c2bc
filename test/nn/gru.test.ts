/**
 * The GRU module: PyTorch's equations, layout and init; sequences with resets equal to
 * steps taken one at a time; the whole-sequence gradient against float64 finite
 * differences and on every backend; no allocation in a steady-state training or acting step.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { mean, mul, square, sum } from '../../src/tensor/ops/elementwise.js';
import { gru } from '../../src/tensor/ops/gru.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { GRU } from '../../src/nn/gru.js';
import { Adam } from '../../src/nn/optim.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { countTypedArrayAllocations } from '../helpers/alloc.js';
import { U32, availableBackends } from '../helpers/backends.js';
import { checkGradient, engine64, inputValues, type InputSpec } from '../helpers/gradcheck.js';
import { makeRng } from '../helpers/rng.js';

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * One step of torch.nn.GRU for one row, straight from its documentation, with weights as
 * nested arrays: W_ih[3H][in], W_hh[3H][H], rows r_0..r_{H−1}, z_0.., n_0.. (PyTorch's order).
 */
function torchGruStep(x: number[], h: number[], W_ih: number[][], W_hh: number[][], b_ih: number[], b_hh: number[]): number[] {
  const H = h.length;
  const dot = (w: number[], v: number[]): number => w.reduce((s, wi, i) => s + wi * v[i]!, 0);
  return h.map((hj, j) => {
    const r = sigma(dot(W_ih[j]!, x) + b_ih[j]! + dot(W_hh[j]!, h) + b_hh[j]!);
    const z = sigma(dot(W_ih[H + j]!, x) + b_ih[H + j]! + dot(W_hh[H + j]!, h) + b_hh[H + j]!);
    const n = Math.tanh(dot(W_ih[2 * H + j]!, x) + b_ih[2 * H + j]! + r * (dot(W_hh[2 * H + j]!, h) + b_hh[2 * H + j]!));
    return (1 - z) * n + z * hj;
  });
}

/** A GRU with the given parameter values (nested PyTorch layout). */
function gruWith(e: Engine, W_ih: number[][], W_hh: number[][], b_ih: number[], b_hh: number[]): GRU {
  const m = new GRU(e, W_ih[0]!.length, W_hh[0]!.length, new Xoshiro128Rng(0));
  m.loadStateDict({
    W_ih: { shape: [W_ih.length, W_ih[0]!.length], data: W_ih.flat() }, W_hh: { shape: [W_hh.length, W_hh[0]!.length], data: W_hh.flat() },
    b_ih: { shape: [b_ih.length], data: b_ih }, b_hh: { shape: [b_hh.length], data: b_hh },
  });
  return m;
}

const closeTo = (label: string, got: number[], want: number[], tol: number): void => {
  assert.equal(got.length, want.length, label);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= tol, `${label}[${i}]: ${g} vs ${want[i]}`));
};

describe('GRU', () => {
  it('computes a step with PyTorch\'s equations and gate layout (tiny example worked out by hand)', () => {
    // in = 1, H = 2, one row. Rows of W_ih/W_hh and entries of the biases: r0 r1 z0 z1 n0 n1.
    const W_ih = [[0.5], [-1], [0.25], [2], [-0.5], [1.5]];
    const W_hh = [[1, 0], [0, -1], [0.5, 0.5], [-1, 1], [2, -1], [0, 0.5]];
    const b_ih = [0.1, 0, 0, -0.5, 0.2, 0], b_hh = [0, 0.3, 0, 0, -0.1, 0.25];
    const x = 1, h = [0.5, -1];
    // Worked by hand: pre-activations, gates, then h' = (1 − z)·n + z·h.
    const r = [sigma(0.5 + 0.1 + 0.5), sigma(-1 + 1 + 0.3)];
    const z = [sigma(0.25 + 0.25 - 0.5), sigma(2 - 0.5 - 1.5)]; // both σ(0) = 1/2
    const n = [Math.tanh(-0.5 + 0.2 + r[0]! * (1 + 1 - 0.1)), Math.tanh(1.5 + r[1]! * (-0.5 + 0.25))];
    const want = [(1 - z[0]!) * n[0]! + z[0]! * h[0]!, (1 - z[1]!) * n[1]! + z[1]! * h[1]!];
    closeTo('formula helper', torchGruStep([x], h, W_ih, W_hh, b_ih, b_hh), want, 1e-15);
    for (const { name } of availableBackends()) {
      const e = new Engine(createBackend(name));
      const m = gruWith(e, W_ih, W_hh, b_ih, b_hh);
      const got = e.scope(() => m.step(e.tensor([x], [1, 1]), e.tensor(h, [1, 2])).toArray());
      closeTo(`step on ${name}`, got, want, 8 * U32);
    }
  });

  it('runs a sequence with resets as PyTorch steps with the hidden state zeroed at episode starts, on every backend', () => {
    const steps = 5, batch = 3, inp = 4, H = 6;
    const rng = makeRng(3);
    const u = (n: number): number[] => Array.from({ length: n }, () => rng.uniform(-1, 1));
    const rows = (n: number, w: number): number[][] => Array.from({ length: n }, () => u(w));
    const W_ih = rows(3 * H, inp), W_hh = rows(3 * H, H), b_ih = u(3 * H), b_hh = u(3 * H);
    const xs = rows(steps * batch, inp), h0 = rows(batch, H);
    const resets = [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0]; // [T, B]: reset_t,b = 1 zeroes h before step t
    const want: number[] = [];
    let h = h0;
    for (let t = 0; t < steps; t++) {
      h = h.map((hb, b) => torchGruStep(xs[t * batch + b]!, resets[t * batch + b] === 1 ? hb.map(() => 0) : hb, W_ih, W_hh, b_ih, b_hh));
      want.push(...h.flat());
    }
    for (const { name } of availableBackends()) {
      const e = new Engine(createBackend(name));
      const m = gruWith(e, W_ih, W_hh, b_ih, b_hh);
      e.scope(() => {
        const { outputs, last } = m.forward(e.tensor(xs.flat(), [steps, batch, inp]), e.tensor(h0.flat(), [batch, H]), e.tensor(resets, [steps, batch]));
        assert.deepEqual(outputs.shape, [steps, batch, H]);
        closeTo(`sequence on ${name}`, outputs.toArray(), want, 1e-5);
        assert.deepEqual(last.toArray(), outputs.toArray().slice(-batch * H), `last on ${name}`);
        // Acting: the same states one step at a time.
        let state = e.tensor(h0.flat(), [batch, H]);
        for (let t = 0; t < steps; t++) {
          state = m.step(e.tensor(xs.slice(t * batch, (t + 1) * batch).flat(), [batch, inp]), state, e.tensor(resets.slice(t * batch, (t + 1) * batch), [batch]));
          closeTo(`step ${t} on ${name}`, state.toArray(), want.slice(t * batch * H, (t + 1) * batch * H), 1e-5);
        }
      });
    }
  });

  it('names its parameters as PyTorch does and draws them from U(±1/√H)', () => {
    const e = engine64();
    const H = 64, m = new GRU(e, 10, H, new Xoshiro128Rng(5));
    assert.deepEqual(m.namedParameters().map(([n, p]) => [n, p.shape]), [['W_ih', [192, 10]], ['W_hh', [192, 64]], ['b_ih', [192]], ['b_hh', [192]]]);
    const bound = 1 / Math.sqrt(H);
    for (const [n, p] of m.namedParameters()) {
      const v = p.toArray();
      assert.ok(v.every((x) => Math.abs(x) <= bound), `${n} outside ±${bound}`);
      // Uniform on ±bound: variance bound²/3 (within 20% for ≥ 192 draws), both tails reached.
      const variance = v.reduce((s, x) => s + x * x, 0) / v.length;
      assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.2, `${n} variance ${variance}`);
      assert.ok(Math.min(...v) < -0.9 * bound && Math.max(...v) > 0.9 * bound, `${n} range`);
    }
    assert.throws(() => new GRU(e, 3, 0, new Xoshiro128Rng(0)), /GRU: hiddenSize must be a positive integer, got 0/);
  });

  it('names shape errors', () => {
    const e = engine64();
    const m = new GRU(e, 3, 4, new Xoshiro128Rng(0));
    e.scope(() => {
      const x = e.tensor(new Array(2 * 5 * 3).fill(0), [2, 5, 3]);
      assert.throws(() => m.forward(x, e.tensor(new Array(20).fill(0), [4, 5])), /gru: h0 must be \[5, H\]/);
      assert.throws(() => m.forward(e.tensor(new Array(20).fill(0), [2, 5, 2]), e.tensor(new Array(20).fill(0), [5, 4])), /gru: W_ih must be \[12, 2\]/);
      assert.throws(() => m.forward(x, e.tensor(new Array(20).fill(0), [5, 4]), e.tensor([0, 1], [2, 1])), /gru: resets must be \[2, 5\]/);
      assert.throws(() => m.step(x, e.tensor(new Array(20).fill(0), [5, 4])), /GRU.step: x must be \[B, in\]/);
    });
  });
});

// The gradient of a whole sequence: T 6, B 3, in 5, H 19 (19 = vector widths 16, 8 and 4 plus a tail), with resets.
const SEQ = { steps: 6, batch: 3, inp: 5, H: 19 };
const SEQ_SPECS: InputSpec[] = [
  { shape: [SEQ.steps, SEQ.batch, SEQ.inp] }, { shape: [SEQ.batch, SEQ.H] },
  { shape: [3 * SEQ.H, SEQ.inp], lo: -0.5, hi: 0.5 }, { shape: [3 * SEQ.H, SEQ.H], lo: -0.3, hi: 0.3 },
  { shape: [3 * SEQ.H] }, { shape: [3 * SEQ.H] },
];
const SEQ_RESETS = [0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0];
const gruSequence = (x: Tensor, h0: Tensor, Wih: Tensor, Whh: Tensor, bih: Tensor, bhh: Tensor): Tensor =>
  gru(x, h0, { Wih, Whh, bih, bhh }, x.engine.tensor(SEQ_RESETS, [SEQ.steps, SEQ.batch]));

describe('GRU sequence gradient', () => {
  it('matches central differences for inputs, initial state and all four parameters, with resets (float64)', () => {
    checkGradient('gru sequence', gruSequence, SEQ_SPECS, 11);
  });

  it('agrees with the float64 reference on every backend', () => {
    const values = inputValues(SEQ_SPECS, 11);
    const weights = makeRng(12);
    const r = Array.from({ length: SEQ.steps * SEQ.batch * SEQ.H }, () => weights.uniform(0.5, 1.5));
    const run = (e: Engine): number[][] => e.scope(() => {
      const xs = SEQ_SPECS.map((s, i) => { const t = e.tensor(values[i]!, s.shape); t.requiresGrad = true; return t; });
      const y = gruSequence(...(xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]));
      return [y.toArray(), ...e.grad(sum(mul(y, e.tensor(r, y.shape))), xs).map((g) => g.toArray())];
    });
    const want = run(engine64());
    for (const { name } of availableBackends()) {
      const got = run(new Engine(createBackend(name)));
      // float32 through T steps of a K-term product each: relative to the largest magnitude, ≲ (K + 8T)·u, K = 3H + in.
      want.forEach((w, k) => {
        const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const tol = 4 * (3 * SEQ.H + SEQ.inp + 8 * SEQ.steps) * U32 * scale;
        w.forEach((v, i) => assert.ok(Math.abs(got[k]![i]! - v) <= tol,
          `${name}: ${k === 0 ? 'value' : `∂/∂input${k - 1}`}[${i}] ${got[k]![i]} vs ${v} (tol ${tol})`));
      });
    }
  });
});

describe('GRU memory', () => {
  for (const { name } of availableBackends()) {
    it(`allocates no typed arrays and no arena memory in a steady-state training or acting step (${name})`, () => {
      const e = new Engine(createBackend(name));
      const steps = 8, batch = 4, inp = 5, H = 16;
      const m = new GRU(e, inp, H, new Xoshiro128Rng(1));
      const opt = new Adam(e, m.parameters(), { lr: 1e-3 });
      const x = e.persistent([steps, batch, inp], Array.from({ length: steps * batch * inp }, (_, i) => Math.sin(i)));
      const resets = e.persistent([steps, batch], Array.from({ length: steps * batch }, (_, i) => (i % 7 === 3 ? 1 : 0)));
      const h0 = e.persistent([batch, H]);
      const state = e.persistent([batch, H]);
      const obs = e.persistent([batch, inp], Array.from({ length: batch * inp }, (_, i) => Math.cos(i)));
      const done = e.persistent([batch], [0, 1, 0, 0]);
      const train = (): void => e.scope(() => {
        const { outputs, last } = m.forward(x, h0, resets);
        e.backward(mean(square(outputs)), m.parameters(), false);
        opt.step();
        e.backend.axpby(last.size, 1, last.offset, 0, state.offset);
      });
      const act = (): void => e.scope(() => e.noGrad(() => {
        const h = m.step(obs, state, done);
        e.backend.axpby(h.size, 1, h.offset, 0, state.offset);
      }));
      train(); act();
      const before = e.backend.arena.getStats();
      assert.equal(countTypedArrayAllocations(() => { for (let i = 0; i < 3; i++) { train(); act(); } }), 0);
      assert.deepEqual(e.backend.arena.getStats(), before);
    });
  }
});
