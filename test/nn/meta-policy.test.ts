/**
 * MetaPolicy (Beck et al.'s meta-RL actor-critics): the parameters each head
 * generates at initialisation against each init's formula (spec B.2, with the gains
 * of the authors' code), shapes and sizes (spec B.3's table), gradients into every
 * parameter by finite differences, and the equivalences between the architectures.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { add, mul, sum, tanh } from '../../src/tensor/ops/elementwise.js';
import { slice } from '../../src/tensor/ops/shape.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { gaussianLogProb } from '../../src/nn/distributions.js';
import { gainFor, weightIndex, type LayerShape } from '../../src/nn/init.js';
import { Linear } from '../../src/nn/layers.js';
import {
  ConcatenationNetwork, FilmNetwork, GeneratedNetwork, META_POLICY_MIN_STD, META_POLICY_SIZES, MetaPolicy,
  type BaseInit, type HyperInit, type MetaPolicyOptions,
} from '../../src/nn/meta-policy.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { assertUniform, assertWithinStandardErrors } from '../helpers/moments.js';
import { makeRng } from '../helpers/rng.js';

const GAIN = gainFor('tanh');
const e64 = (): Engine => new Engine(createBackend('js', { dtype: 'float64' }));

/** d_l = 16 Gaussian conditioning inputs read by the heads directly (no encoder), as HFI assumes. */
const DL = 16;
const SMALL = { stateDim: 5, conditioningDim: DL, actionDim: 8, embeddingDim: null, stateEmbedding: 48, hidden: [48, 64] } as const;
const LAYERS: readonly { fanIn: number; fanOut: number; role: 'hidden' | 'actorOutput' | 'criticOutput' }[][] = [
  [{ fanIn: 48, fanOut: 48, role: 'hidden' }, { fanIn: 48, fanOut: 64, role: 'hidden' }, { fanIn: 64, fanOut: 8, role: 'actorOutput' }],
  [{ fanIn: 48, fanOut: 48, role: 'hidden' }, { fanIn: 48, fanOut: 64, role: 'hidden' }, { fanIn: 64, fanOut: 1, role: 'criticOutput' }],
];

function gaussian(e: Engine, rows: number, cols: number, seed: number): Tensor {
  const rng = new Xoshiro128Rng(seed);
  return e.tensor(Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

const values = (n: number, seed: number, s = 1): number[] => { const r = makeRng(seed); return Array.from({ length: n }, () => s * r.uniform(-1, 1)); };

/** The generated weights (out×in per sample) and biases of each actor (0) / critic (1) layer, as plain arrays per sample. */
function generatedLayers(policy: MetaPolicy, e: Tensor): { weights: number[][]; biases: number[][] }[][] {
  return [policy.actor, policy.critic].map((net, n) => (net as GeneratedNetwork).generate(e).map((h, l) => {
    const { fanIn, fanOut } = LAYERS[n]![l]!;
    const rows = h.toArray(), width = fanIn * fanOut + fanOut, weights: number[][] = [], biases: number[][] = [];
    for (let b = 0; b < h.shape[0]!; b++) {
      weights.push(rows.slice(b * width, b * width + fanIn * fanOut));
      biases.push(rows.slice(b * width + fanIn * fanOut, (b + 1) * width));
    }
    return { weights, biases };
  }));
}

const secondMoment = (rows: number[][]): number => rows.reduce((s, r) => s + r.reduce((q, v) => q + v * v, 0), 0) / (rows.length * rows[0]!.length);

/** E[w²] of one draw of f for a fanIn → fanOut layer. */
function baseVariance(f: 'normc' | 'orthogonal' | 'kaiming', gain: number, fanIn: number, fanOut: number): number {
  return f === 'orthogonal' ? gain * gain * Math.min(fanIn, fanOut) / (fanIn * fanOut) : gain * gain / fanIn;
}

/** f and its gain for a layer role under the matched inits (Beck et al.'s init_hyper_match). */
function matchedBase(role: string, f: BaseInit): { f: BaseInit; gain: number } {
  if (role === 'criticOutput' || f === 'kaiming') return { f: 'kaiming', gain: Math.SQRT2 };
  return role === 'actorOutput' ? { f: 'normc', gain: 1 } : { f, gain: GAIN };
}

/**
 * E[φ²] of generated values for e ~ N(0, I_{d_l}), and whether they are exactly 0.
 * P is the number of values the head generates per sample.
 */
function expectedMoment(init: HyperInit, f: BaseInit, kind: 'weight' | 'bias', layer: { fanIn: number; fanOut: number; role: string }): number {
  const P = kind === 'weight' ? layer.fanIn * layer.fanOut : layer.fanOut;
  if (init === 'naive') return f === 'orthogonal' ? GAIN * GAIN * Math.min(DL, P) / P : GAIN * GAIN; // Σ_k W[k, p]² per head output
  if (init === 'hyperfan-in') {
    const g = layer.role === 'hidden' ? GAIN : 1;
    return kind === 'weight' ? g * g / (2 * layer.fanIn) : g * g / 2;
  }
  if (kind === 'bias') return 0;
  const m = matchedBase(layer.role, f);
  const v = baseVariance(m.f, m.gain, layer.fanIn, layer.fanOut);
  return init === 'weight-hyperinit' ? DL * v : init === 'bias-hyperinit' ? v : 0.25 * (DL + 1) * v;
}

/**
 * Relative standard error of the pooled E[φ²] over N embeddings and P outputs:
 * 2/(min(d_l, P)·N) + 1/(N·P) from the embeddings (φ = eᵀW spans at most min(d_l, P)
 * directions), 2/(d·P) from the head draw (d = d_l independent rows, or 1 when one
 * shared draw dominates). Conservative: normal-like entries (Var(w²) = 2·E[w²]²), the
 * largest of normc, orthogonal and uniform.
 */
function relativeSE(init: HyperInit, N: number, P: number): number {
  const d = init === 'bias-hyperinit' || init === 'weight-and-bias-hyperinit' ? 1 : DL;
  return Math.sqrt(2 / (Math.min(DL, P) * N) + 1 / (N * P) + 2 / (d * P));
}

/** Each output unit's incoming weights (a row of the out×in matrix) has L2 norm `norm`. */
function assertRowNorms(label: string, w: readonly number[], layer: LayerShape, norm: number): void {
  for (let o = 0; o < layer.fanOut; o++) {
    let s = 0;
    for (let i = 0; i < layer.fanIn; i++) s += w[weightIndex(layer, o, i)]! ** 2;
    assert.ok(Math.abs(Math.sqrt(s) - norm) < 1e-6, `${label}: unit ${o} has norm ${Math.sqrt(s)}, expected ${norm}`);
  }
}

const outIn = (fanIn: number, fanOut: number): LayerShape => ({ fanIn, fanOut, layout: 'out-in' });
const INITS: HyperInit[] = ['naive', 'hyperfan-in', 'weight-hyperinit', 'bias-hyperinit', 'weight-and-bias-hyperinit'];

describe('MetaPolicy hypernetwork: generated parameters at initialisation', () => {
  for (const hyperInit of INITS) {
    for (const f of (hyperInit === 'hyperfan-in' ? ['normc'] : ['normc', 'orthogonal', 'kaiming']) as BaseInit[]) {
      it(`${hyperInit}${hyperInit === 'hyperfan-in' ? '' : ` with ${f}`}: E[φ²] of every generated weight and bias matches the formula`, () => {
        const e = e64();
        const N = 256;
        const policy = new MetaPolicy(e, new Xoshiro128Rng(11), { ...SMALL, architecture: 'hypernetwork', baseInit: f, hyperInit });
        e.scope(() => {
          generatedLayers(policy, gaussian(e, N, DL, 12)).forEach((net, n) => net.forEach(({ weights, biases }, l) => {
            const layer = LAYERS[n]![l]!;
            for (const [kind, rows] of [['weight', weights], ['bias', biases]] as const) {
              const label = `${['actor', 'critic'][n]} layer ${l} ${kind}s`;
              const want = expectedMoment(hyperInit, f, kind, layer);
              const got = secondMoment(rows);
              if (want === 0) assert.equal(got, 0, `${label}: expected all zero`);
              else assertWithinStandardErrors(label, got, want, want * relativeSE(hyperInit, N, rows[0]!.length));
            }
          }));
        });
      });
    }
  }

  it('Bias-HyperInit (normc): every conditioning gets the same, correctly initialised policy', () => {
    const e = e64();
    const policy = new MetaPolicy(e, new Xoshiro128Rng(13), { ...SMALL, architecture: 'hypernetwork' });
    e.scope(() => {
      const cond = gaussian(e, 6, DL, 14);
      for (let i = 0; i < DL; i++) e.backend.arena.data[cond.offset + i] = 1e4 * (i - 8); // far outside any latent distribution
      generatedLayers(policy, cond).forEach((net, n) => net.forEach(({ weights, biases }, l) => {
        const { fanIn, fanOut, role } = LAYERS[n]![l]!;
        for (const w of weights) assert.deepEqual(w, weights[0]);
        for (const b of biases) assert.ok(b.every((v) => v === 0));
        if (role === 'hidden') assertRowNorms(`layer ${l}`, weights[0]!, outIn(fanIn, fanOut), GAIN);
        else if (role === 'actorOutput') assertRowNorms('Gaussian head', weights[0]!, outIn(fanIn, fanOut), 1);
        else {
          // The value head is Kaiming-uniform with torch's default gain √2: U(±√(6/H)), so its largest |w| is near the bound.
          const bound = Math.SQRT2 * Math.sqrt(3 / fanIn), top = Math.max(...weights[0]!.map(Math.abs));
          assert.ok(top <= bound && top > 0.8 * bound, `value head: max |w| ${top} for the bound ${bound}`);
        }
      }));
      const obs = e.tensor([...values(5, 1), ...values(5, 1), ...values(5, 1), ...values(5, 1), ...values(5, 1), ...values(5, 1)], [6, 5]);
      const { mean, value } = policy.forward(obs, cond);
      const m = mean.toArray(), v = value.toArray();
      for (let b = 1; b < 6; b++) {
        assert.deepEqual(m.slice(8 * b, 8 * b + 8), m.slice(0, 8));
        assert.equal(v[b], v[0]);
      }
    });
  });

  it('matched Kaiming draws U(±√2·√(3/fan_in)) (torch\'s default gain), orthogonal gives orthogonal rows', () => {
    const e = e64();
    e.scope(() => {
      const cond = gaussian(e, 1, DL, 15);
      const kaiming = generatedLayers(new MetaPolicy(e, new Xoshiro128Rng(16), { ...SMALL, architecture: 'hypernetwork', baseInit: 'kaiming' }), cond);
      assertUniform('hidden layer 1', kaiming[0]![1]!.weights[0]!, Math.SQRT2 * Math.sqrt(3 / 48));
      assertUniform('Gaussian head', kaiming[0]![2]!.weights[0]!, Math.SQRT2 * Math.sqrt(3 / 64));
      const ortho = generatedLayers(new MetaPolicy(e, new Xoshiro128Rng(17), { ...SMALL, architecture: 'hypernetwork', baseInit: 'orthogonal' }), cond);
      const w = ortho[1]![0]!.weights[0]!; // 48×48, out-in
      for (let a = 0; a < 48; a++) {
        for (let b = 0; b < 48; b++) {
          let dot = 0;
          for (let i = 0; i < 48; i++) dot += w[a * 48 + i]! * w[b * 48 + i]!;
          assert.ok(Math.abs(dot - (a === b ? GAIN * GAIN : 0)) < 1e-6, `W·Wᵀ[${a}, ${b}] = ${dot}`);
        }
      }
      // The Gaussian head under orthogonal is normc(1), as in the code (actor_head_init).
      assertRowNorms('Gaussian head', ortho[0]![2]!.weights[0]!, outIn(64, 8), 1);
    });
  });

  it('Weight-HyperInit: each one-hot conditioning generates its own draw of f, zero conditioning generates zeros', () => {
    const e = e64();
    const policy = new MetaPolicy(e, new Xoshiro128Rng(18), { ...SMALL, architecture: 'hypernetwork', hyperInit: 'weight-hyperinit' });
    e.scope(() => {
      const oneHots = new Array<number>(DL * DL).fill(0);
      for (let k = 0; k < DL; k++) oneHots[k * DL + k] = 1;
      const [actor] = generatedLayers(policy, e.tensor([...oneHots, ...new Array<number>(DL).fill(0)], [DL + 1, DL]));
      actor!.forEach(({ weights, biases }, l) => {
        const { fanIn, fanOut, role } = LAYERS[0]![l]!;
        for (let k = 0; k < DL; k++) assertRowNorms(`task ${k} layer ${l}`, weights[k]!, outIn(fanIn, fanOut), role === 'hidden' ? GAIN : 1);
        assert.notDeepEqual(weights[1], weights[0]);
        assert.ok(weights[DL]!.every((v) => v === 0) && biases.every((b) => b.every((v) => v === 0)));
      });
    });
  });

  it('with criticOutputBiasQuirk, the generated value bias is one U(−1, 1) draw shared by every conditioning (the code\'s quirk)', () => {
    const e = e64();
    e.scope(() => {
      const cond = gaussian(e, 4, DL, 19);
      const biasOf = (quirk: boolean): number[] => generatedLayers(new MetaPolicy(e, new Xoshiro128Rng(20), { ...SMALL, architecture: 'hypernetwork', criticOutputBiasQuirk: quirk }), cond)[1]![2]!.biases.map((b) => b[0]!);
      const quirk = biasOf(true);
      assert.ok(quirk.every((v) => v === quirk[0]) && quirk[0] !== 0 && Math.abs(quirk[0]!) <= 1);
      assert.deepEqual(biasOf(false), [0, 0, 0, 0]);
    });
  });
});

describe('MetaPolicy FiLM: generated scales and shifts at initialisation', () => {
  /** Scale and shift of every actor and critic layer for the conditioning rows. */
  function film(policy: MetaPolicy, cond: Tensor): { scale: number[]; shift: number[] }[] {
    return [policy.actor, policy.critic].flatMap((net) => (net as FilmNetwork).generate(cond).map((st) => {
      const out = st.shape[1]! / 2;
      return { scale: slice(st, 1, 0, out).toArray(), shift: slice(st, 1, out, 2 * out).toArray() };
    }));
  }

  for (const [hyperInit, scaleOf] of [
    ['bias-hyperinit', () => 1],
    ['weight-hyperinit', (row: number[]) => row.reduce((s, v) => s + v, 0)],
    ['weight-and-bias-hyperinit', (row: number[]) => 0.5 + 0.5 * row.reduce((s, v) => s + v, 0)],
  ] as const) {
    it(`${hyperInit}: shift 0 and scale ${hyperInit === 'bias-hyperinit' ? '1' : hyperInit === 'weight-hyperinit' ? 'Σₖ eₖ (1 for a one-hot e)' : '½ + ½·Σₖ eₖ'} for every conditioning`, () => {
      const e = e64();
      const policy = new MetaPolicy(e, new Xoshiro128Rng(21), { ...SMALL, architecture: 'film', hyperInit });
      e.scope(() => {
        const cond = gaussian(e, 5, DL, 22), rows = cond.toArray();
        for (const { scale, shift } of film(policy, cond)) {
          const out = scale.length / 5;
          scale.forEach((s, i) => assert.ok(Math.abs(s - scaleOf(rows.slice(Math.floor(i / out) * DL, Math.floor(i / out) * DL + DL))) < 1e-12, `scale ${s}`));
          assert.ok(shift.every((v) => v === 0));
        }
      });
    });
  }

  it('naive normc: scales and shifts of second moment gain²·E[e²]; base weights normc(gain), Gaussian head normc(1), value head PyTorch default', () => {
    const e = e64();
    const N = 256;
    const policy = new MetaPolicy(e, new Xoshiro128Rng(23), { ...SMALL, architecture: 'film', hyperInit: 'naive' });
    e.scope(() => {
      for (const { scale, shift } of film(policy, gaussian(e, N, DL, 24))) {
        const P = scale.length / N;
        for (const v of [scale, shift]) assertWithinStandardErrors(`FiLM naive (P = ${P})`, secondMoment([v]), GAIN * GAIN, GAIN * GAIN * relativeSE('naive', N, P));
      }
    });
    const actor = policy.actor as FilmNetwork, critic = policy.critic as FilmNetwork;
    actor.base.forEach((l, i) => assertRowNorms(`actor base ${i}`, l.W.toArray(), { fanIn: l.inputSize, fanOut: l.outputSize, layout: 'in-out' }, i === 2 ? 1 : GAIN));
    assert.ok(actor.base.every((l) => l.b === null));
    const valueW = critic.base[2]!.W.toArray();
    assert.ok(valueW.every((v) => Math.abs(v) <= 1 / Math.sqrt(64)) && Math.max(...valueW.map(Math.abs)) > 0.8 / Math.sqrt(64));
  });

  it('Bias-HyperInit FiLM is the base network without biases, whatever the conditioning', () => {
    const e = e64();
    const policy = new MetaPolicy(e, new Xoshiro128Rng(25), { ...SMALL, architecture: 'film' });
    e.scope(() => {
      const obs = e.tensor(values(3 * 5, 26), [3, 5]);
      const a = policy.forward(obs, gaussian(e, 3, DL, 27)), b = policy.forward(obs, gaussian(e, 3, DL, 28));
      assert.deepEqual(a.mean.toArray(), b.mean.toArray());
      assert.deepEqual(a.value.toArray(), b.value.toArray());
      let h = policy.stateEncoder.forward(obs);
      (policy.actor as FilmNetwork).base.forEach((l, i) => { h = i < 2 ? tanh(l.forward(h)) : l.forward(h); });
      h.toArray().forEach((v, i) => assert.ok(Math.abs(v - a.mean.toArray()[i]!) < 1e-12));
    });
  });

  it('rejects hyperfan-in (no generated weights to initialise)', () => {
    const e = e64();
    assert.throws(() => new MetaPolicy(e, new Xoshiro128Rng(1), { ...SMALL, architecture: 'film', hyperInit: 'hyperfan-in' as never }), /hyperfan-in initialises generated weights; a FiLM policy generates none/);
  });

  it('with criticOutputBiasQuirk, the value shift is one U(−1, 1) draw', () => {
    const e = e64();
    const policy = new MetaPolicy(e, new Xoshiro128Rng(29), { ...SMALL, architecture: 'film', criticOutputBiasQuirk: true });
    e.scope(() => {
      const shifts = film(policy, gaussian(e, 3, DL, 30)).at(-1)!.shift;
      assert.ok(shifts.every((v) => v === shifts[0]) && shifts[0] !== 0 && Math.abs(shifts[0]!) <= 1);
    });
  });
});

describe('MetaPolicy standard (concatenation)', () => {
  it('hidden layers f(gain) with zero biases; Gaussian head normc(1), zero bias; value head PyTorch default', () => {
    const e = e64();
    for (const f of ['normc', 'kaiming'] as const) {
      const policy = new MetaPolicy(e, new Xoshiro128Rng(31), { ...SMALL, architecture: 'standard', baseInit: f });
      const [a1, a2, a3] = (policy.actor as ConcatenationNetwork).net.layers as Linear[];
      const c3 = ((policy.critic as ConcatenationNetwork).net.layers as Linear[])[2]!;
      assert.equal(a1!.inputSize, 48 + DL);
      for (const l of [a1!, a2!]) {
        if (f === 'normc') assertRowNorms('hidden', l.W.toArray(), { fanIn: l.inputSize, fanOut: l.outputSize, layout: 'in-out' }, GAIN);
        else assertUniform('hidden', l.W.toArray(), GAIN * Math.sqrt(3 / l.inputSize));
        assert.ok(l.b!.toArray().every((v) => v === 0));
      }
      assertRowNorms('Gaussian head', a3!.W.toArray(), { fanIn: 64, fanOut: 8, layout: 'in-out' }, 1);
      assert.ok(a3!.b!.toArray().every((v) => v === 0));
      assert.ok([...c3.W.toArray(), ...c3.b!.toArray()].every((v) => Math.abs(v) <= 1 / 8) && c3.b!.item() !== 0);
    }
  });
});

describe('MetaPolicy shapes, sizes and errors', () => {
  for (const architecture of ['standard', 'hypernetwork', 'film'] as const) {
    it(`${architecture}: mean [B, d_a], value [B, 1], log-std [d_a] = log initStd, floored at log 1e-6`, () => {
      const e = e64();
      const policy = new MetaPolicy(e, new Xoshiro128Rng(1), { architecture, stateDim: 3, conditioningDim: 4, actionDim: 2, embeddingDim: 5, stateEmbedding: 6, hidden: [7, 5], initStd: 0.5 });
      e.scope(() => {
        const out = policy.forward(e.tensor(values(9, 2), [3, 3]), e.tensor(values(12, 3), [3, 4]));
        assert.deepEqual([out.mean.shape, out.value.shape, out.logStd.shape], [[3, 2], [3, 1], [2]]);
        assert.deepEqual(out.logStd.toArray(), [Math.log(0.5), Math.log(0.5)]);
        e.write(policy.logStd, [-30, 0]);
        assert.deepEqual(policy.forward(e.tensor(values(3, 2), [1, 3]), e.tensor(values(4, 3), [1, 4])).logStd.toArray(), [Math.log(META_POLICY_MIN_STD), 0]);
        assert.throws(() => policy.forward(e.tensor(values(8, 2), [2, 4]), e.tensor(values(8, 3), [2, 4])), /obs must be \[B, 3\], got \[2, 4\]/);
        assert.throws(() => policy.forward(e.tensor(values(6, 2), [2, 3]), e.tensor(values(12, 3), [3, 4])), /conditioning must be \[2, 4\] \(one row per observation\), got \[3, 4\]/);
      });
    });
  }

  it("has spec B.3's sizes at HalfCheetah-Dir's XL setting (obs 20, action 6, VariBAD latent 5)", () => {
    const e = new Engine(createBackend('js'));
    const make = (architecture: 'standard' | 'hypernetwork', embeddingDim: number) => new MetaPolicy(e, new Xoshiro128Rng(1), { architecture, stateDim: 20, conditioningDim: 10, actionDim: 6, embeddingDim }).describe();
    const generated = (256 * 256 + 256) + (256 * 128 + 128) + (128 * 6 + 6) + (256 * 256 + 256) + (256 * 128 + 128) + (128 + 1);
    assert.equal(generated, 198_279);
    const encoders = (dl: number): number => 20 * 256 + 256 + 10 * dl + dl;
    for (const [dl, millions] of [[10, 2.19], [25, 5.16]] as const) {
      const d = make('hypernetwork', dl);
      assert.equal(d.generatedPerSample, generated);
      assert.equal(d.parameters, encoders(dl) + (dl + 1) * generated + 6);
      assert.equal(Math.round(d.parameters / 1e4) / 100, millions);
    }
    for (const [dl, thousands] of [[10, 209], [25, 217]] as const) {
      const d = make('standard', dl);
      const mlp = (out: number): number => (256 + dl) * 256 + 256 + 256 * 128 + 128 + 128 * out + out;
      assert.equal(d.parameters, encoders(dl) + mlp(6) + mlp(1) + 6);
      assert.equal(Math.round(d.parameters / 1000), thousands);
      assert.equal(d.generatedPerSample, 0);
    }
    assert.deepEqual(META_POLICY_SIZES.XL, { stateEmbedding: 256, hidden: [256, 128] });
  });

  it('rejects bad dimensions, architectures and initStd, naming them', () => {
    const e = e64();
    const base = { stateDim: 3, conditioningDim: 4, actionDim: 2 };
    assert.throws(() => new MetaPolicy(e, new Xoshiro128Rng(1), { ...base, actionDim: 0, architecture: 'standard' }), /actionDim must be a positive integer, got 0/);
    assert.throws(() => new MetaPolicy(e, new Xoshiro128Rng(1), { ...base, architecture: 'mlp' as never }), /unknown architecture 'mlp'/);
    assert.throws(() => new MetaPolicy(e, new Xoshiro128Rng(1), { ...base, architecture: 'standard', initStd: 0 }), /initStd must be a positive number, got 0/);
    assert.throws(() => new MetaPolicy(e, new Xoshiro128Rng(1), { ...base, architecture: 'standard', baseInit: 'xavier' as never }), /unknown baseInit 'xavier'/);
  });
});

describe('MetaPolicy gradients (float64 finite differences, tiny instances)', () => {
  const tiny = { stateDim: 3, conditioningDim: 2, actionDim: 2, embeddingDim: 3, stateEmbedding: 4, hidden: [4, 3] };
  const cases: [string, MetaPolicyOptions][] = [
    ['standard', { ...tiny, architecture: 'standard' }],
    ['hypernetwork, Bias-HyperInit (head weights start at 0)', { ...tiny, architecture: 'hypernetwork' }],
    ['hypernetwork, naive Kaiming', { ...tiny, architecture: 'hypernetwork', hyperInit: 'naive', baseInit: 'kaiming' }],
    ['FiLM, naive normc', { ...tiny, architecture: 'film', hyperInit: 'naive' }],
  ];

  for (const [name, opts] of cases) {
    it(`${name}: the gradient of log π + V reaches every parameter, heads included, and matches central differences`, () => {
      const e = e64();
      const policy = new MetaPolicy(e, new Xoshiro128Rng(3), opts);
      const objective = (): Tensor => {
        const { mean, logStd, value } = policy.forward(e.tensor(values(12, 4), [4, 3]), e.tensor(values(8, 5, 2), [4, 2]));
        return add(sum(gaussianLogProb(mean, logStd, e.tensor(values(8, 6), [4, 2]))), sum(mul(value, e.tensor(values(4, 7), [4, 1]))));
      };
      const grads = e.scope(() => e.grad(objective(), policy.parameters()).map((g) => g.toArray()));
      const names = policy.namedParameters().map(([n]) => n);
      const rng = makeRng(8), d = e.backend.arena.data;
      // Bias-HyperInit's heads start independent of e (W = 0), so nothing flows into the conditioning encoder yet.
      const independentOfE = opts.architecture === 'hypernetwork' && (opts.hyperInit ?? 'bias-hyperinit') === 'bias-hyperinit';
      policy.parameters().forEach((p, k) => {
        if (independentOfE && names[k]!.startsWith('conditioningEncoder.')) assert.ok(grads[k]!.every((v) => v === 0), `${names[k]}: nonzero gradient`);
        else assert.ok(grads[k]!.some((v) => v !== 0), `${names[k]}: zero gradient`);
        for (let trial = 0; trial < 3; trial++) {
          const j = rng.int(0, p.size - 1), at = p.offset + j, save = d[at]!;
          d[at] = save + 1e-6; const up = e.scope(() => objective().item());
          d[at] = save - 1e-6; const down = e.scope(() => objective().item());
          d[at] = save;
          const numeric = (up - down) / 2e-6;
          assert.ok(Math.abs(grads[k]![j]! - numeric) <= 1e-6 * (1 + Math.abs(numeric)), `${names[k]}[${j}]: ${grads[k]![j]} vs ${numeric}`);
        }
      });
    });
  }
});

describe('MetaPolicy equivalences', () => {
  const sizes = { stateDim: 3, conditioningDim: 4, actionDim: 2, embeddingDim: null, stateEmbedding: 5, hidden: [6, 4] } as const;

  /** Write a Linear's parameters from an (out×in) weight function and a bias function. */
  function setLinear(e: Engine, l: Linear, w: (o: number, i: number) => number, b: (o: number) => number): void {
    e.write(l.W, Array.from({ length: l.inputSize * l.outputSize }, (_, k) => w(k % l.outputSize, Math.floor(k / l.outputSize))));
    e.write(l.b!, Array.from({ length: l.outputSize }, (_, o) => b(o)));
  }

  it('a Standard policy is a hypernetwork whose first-layer bias is linear in e and whose weights are constant (Beck et al. §4.1)', () => {
    const e = e64();
    const standard = new MetaPolicy(e, new Xoshiro128Rng(1), { ...sizes, architecture: 'standard' });
    const hyper = new MetaPolicy(e, new Xoshiro128Rng(2), { ...sizes, architecture: 'hypernetwork' });
    hyper.stateEncoder.copyFrom(standard.stateEncoder);
    e.write(hyper.logStd, standard.logStd.toArray());
    for (const [from, to] of [[standard.actor, hyper.actor], [standard.critic, hyper.critic]] as const) {
      const layers = (from as ConcatenationNetwork).net.layers as Linear[];
      (to as GeneratedNetwork).heads.forEach((head, l) => {
        const src = layers[l]!, out = src.outputSize, inp = l === 0 ? sizes.stateEmbedding : src.inputSize;
        const W = src.W.toArray(), B = src.b!.toArray(); // in×out; the first layer's inputs are [state embedding | e]
        // Head columns [W (out×in) | c]: W constant (head weights 0, head bias = the layer's state weights);
        // c = (e-part of W)ᵀ·e + b on the first layer, the constant bias elsewhere.
        setLinear(e, head,
          (p, k) => (l === 0 && p >= out * inp ? W[(inp + k) * out + (p - out * inp)]! : 0),
          (p) => (p < out * inp ? W[(p % inp) * out + Math.floor(p / inp)]! : B[p - out * inp]!));
      });
    }
    e.scope(() => {
      const obs = e.tensor(values(15, 3), [5, 3]), cond = e.tensor(values(20, 4, 3), [5, 4]);
      const a = standard.forward(obs, cond), b = hyper.forward(obs, cond);
      for (const k of ['mean', 'value'] as const) a[k].toArray().forEach((v, i) => assert.ok(Math.abs(v - b[k].toArray()[i]!) < 1e-12, `${k}[${i}]: ${v} vs ${b[k].toArray()[i]}`));
    });
  });

  it('a FiLM layer is a generated layer with W(e) = diag(s(e))·W and c(e) = t(e)', () => {
    const e = e64();
    const film = new MetaPolicy(e, new Xoshiro128Rng(3), { ...sizes, architecture: 'film', hyperInit: 'naive' });
    const hyper = new MetaPolicy(e, new Xoshiro128Rng(4), { ...sizes, architecture: 'hypernetwork' });
    hyper.stateEncoder.copyFrom(film.stateEncoder);
    e.scope(() => {
      const obs = e.tensor(values(9, 5), [3, 3]), cond = e.tensor(values(4, 6, 2), [1, 4]);
      for (const [from, to] of [[film.actor, hyper.actor], [film.critic, hyper.critic]] as const) {
        const f = from as FilmNetwork;
        f.generate(cond).forEach((st, l) => {
          const base = f.base[l]!, out = base.outputSize, inp = base.inputSize, W = base.W.toArray(), s = st.toArray();
          setLinear(e, (to as GeneratedNetwork).heads[l]!, () => 0, (p) => (p < out * inp ? s[Math.floor(p / inp)]! * W[(p % inp) * out + Math.floor(p / inp)]! : s[out + p - out * inp]!));
        });
      }
      const rows = e.tensor([...cond.toArray(), ...cond.toArray(), ...cond.toArray()], [3, 4]);
      const a = film.forward(obs, rows), b = hyper.forward(obs, rows);
      for (const k of ['mean', 'value'] as const) a[k].toArray().forEach((v, i) => assert.ok(Math.abs(v - b[k].toArray()[i]!) < 1e-12, `${k}[${i}]: ${v} vs ${b[k].toArray()[i]}`));
    });
  });
});
