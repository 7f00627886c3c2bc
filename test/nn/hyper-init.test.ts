/**
 * Statistics of the weights a hypernetwork head generates at init, per scheme,
 * against each scheme's formula. The generated values φ = e·W + b are computed
 * here with plain loops, for many random embeddings e.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128Rng, type Rng } from '../../src/core/random.js';
import { gainFor, kaimingUniform, normc, orthogonal, weightIndex, type LayerShape } from '../../src/nn/init.js';
import {
  allocateHead, biasHyperInit, filmHyperInit, generatedCount, hyperfanInHeadInit, hypeRlHeadInit, naiveHeadInit, weightAndBiasHyperInit,
  weightHyperInit, type HeadKind, type HeadParams, type HeadScheme, type HeadSpec,
} from '../../src/nn/hyper-init.js';
import { assertUniform, assertWithinStandardErrors } from '../helpers/moments.js';

const GAIN = gainFor('tanh');
const SPEC: HeadSpec = { embeddingDim: 16, base: { fanIn: 32, fanOut: 64, layout: 'out-in' } };

/** N embeddings with i.i.d. N(0, 1) entries (the normalised-latent input HFI assumes), N×d_l row-major. */
function gaussianEmbeddings(rng: Rng, count: number, dim: number): Float64Array {
  const e = new Float64Array(count * dim);
  for (let i = 0; i < e.length; i++) e[i] = rng.normal();
  return e;
}

/** φ[n, p] = Σ_k e[n, k]·W[k, p] + b[p] for each of the N embeddings. */
function generate(head: HeadParams, embeddings: Float64Array, dim: number): Float64Array[] {
  const count = head.bias.length;
  const out: Float64Array[] = [];
  for (let n = 0; n < embeddings.length / dim; n++) {
    const phi = Float64Array.from(head.bias);
    for (let k = 0; k < dim; k++) {
      const ek = embeddings[n * dim + k]!;
      for (let p = 0; p < count; p++) phi[p]! += ek * head.weight[k * count + p]!;
    }
    out.push(phi);
  }
  return out;
}

function initHead(scheme: HeadScheme, kind: HeadKind, spec: HeadSpec, rng: Rng): HeadParams {
  const head = allocateHead(spec, kind);
  (kind === 'weight' ? scheme.weightHead : scheme.biasHead)(head, spec, rng);
  return head;
}

/**
 * E[φ²] pooled over R independent (head, N embeddings) replicates, and its
 * standard error relative to the expected value T. With Ŝ the sample second
 * moment matrix of e and C = (1/P)·Σ_p W[:,p]W[:,p]ᵀ ≈ (T/d_l)·I, the estimate
 * is tr(Ŝ·C). Its relative variance per replicate is 2/(d_l·N) (diagonal of Ŝ)
 * + 1/(N·P) (off-diagonal) + c/(d_l·P) (tr C), where c = Var(W²)/Var(W)² is
 * 0.8 for uniform head entries and 0 when head columns have fixed norms.
 */
function generatedSecondMoment(scheme: HeadScheme, kind: HeadKind, seed: number, c: number, replicates = 4, contexts = 1500): { moment: number; relativeSE: number } {
  const dim = SPEC.embeddingDim, count = generatedCount(SPEC, kind);
  let sum = 0;
  for (let r = 0; r < replicates; r++) {
    const rng = new Xoshiro128Rng(seed * 1000 + r);
    const head = initHead(scheme, kind, SPEC, rng);
    for (const phi of generate(head, gaussianEmbeddings(rng, contexts, dim), dim)) for (const v of phi) sum += v * v;
  }
  const relativeVariance = (2 / (dim * contexts) + 1 / (contexts * count) + c / (dim * count)) / replicates;
  return { moment: sum / (replicates * contexts * count), relativeSE: Math.sqrt(relativeVariance) };
}

function assertSecondMoment(label: string, got: { moment: number; relativeSE: number }, expected: number): void {
  assertWithinStandardErrors(label, got.moment, expected, got.relativeSE * expected);
}

/** Each output unit's incoming weight vector of a generated base layer has L2 norm `norm`. */
function assertRowNorms(label: string, phi: ArrayLike<number>, base: LayerShape, norm: number): void {
  for (let o = 0; o < base.fanOut; o++) {
    let sumSq = 0;
    for (let i = 0; i < base.fanIn; i++) sumSq += phi[weightIndex(base, o, i)]! ** 2;
    assert.ok(Math.abs(Math.sqrt(sumSq) - norm) < 1e-12, `${label}: unit ${o} has norm ${Math.sqrt(sumSq)}, expected ${norm}`);
  }
}

describe('Bias-HyperInit', () => {
  it('generates the same base weights for every embedding, with zero base biases', () => {
    const scheme = biasHyperInit(normc(GAIN));
    const rng = new Xoshiro128Rng(1);
    const weightHead = initHead(scheme, 'weight', SPEC, rng), biasHead = initHead(scheme, 'bias', SPEC, rng);
    const embeddings = gaussianEmbeddings(rng, 200, SPEC.embeddingDim);
    for (let i = 0; i < 16; i++) embeddings[i] = 1e6 * (i - 8); // far outside any training distribution
    const weights = generate(weightHead, embeddings, SPEC.embeddingDim);
    for (const phi of weights) assert.deepEqual(phi, weights[0]);
    for (const phi of generate(biasHead, embeddings, SPEC.embeddingDim)) assert.ok(phi.every((v) => v === 0));
    assert.ok(weightHead.weight.every((v) => v === 0) && biasHead.weight.every((v) => v === 0));
    // ...and those weights are a normc draw: every output unit's incoming weights have norm = gain.
    assertRowNorms('Bias-HyperInit(normc)', weights[0]!, SPEC.base, GAIN);
  });

  it("generates weights distributed as the base layer's own init f (Kaiming uniform)", () => {
    const spec: HeadSpec = { embeddingDim: 8, base: { fanIn: 64, fanOut: 400, layout: 'out-in' } };
    const rng = new Xoshiro128Rng(2);
    const head = initHead(biasHyperInit(kaimingUniform(GAIN)), 'weight', spec, rng);
    const weights = generate(head, gaussianEmbeddings(rng, 20, 8), 8);
    for (const phi of weights) assert.deepEqual(phi, weights[0]);
    assertUniform('generated weights', weights[0]!, GAIN * Math.sqrt(3 / 64));
  });
});

describe('Weight-HyperInit', () => {
  it('generates an independent draw of f for each one-hot embedding, zero biases, and zeros for e = 0', () => {
    const scheme = weightHyperInit(normc(GAIN));
    const rng = new Xoshiro128Rng(3);
    const dim = SPEC.embeddingDim;
    const weightHead = initHead(scheme, 'weight', SPEC, rng), biasHead = initHead(scheme, 'bias', SPEC, rng);
    const oneHots = new Float64Array(dim * dim);
    for (let k = 0; k < dim; k++) oneHots[k * dim + k] = 1;
    const weights = generate(weightHead, oneHots, dim);
    weights.forEach((phi, k) => assertRowNorms(`task ${k}`, phi, SPEC.base, GAIN));
    for (let k = 1; k < dim; k++) assert.notDeepEqual(weights[k], weights[0]);
    assert.ok(generate(weightHead, new Float64Array(dim), dim)[0]!.every((v) => v === 0));
    for (const phi of generate(biasHead, oneHots, dim)) assert.ok(phi.every((v) => v === 0));
  });
});

describe('Weight-and-Bias-HyperInit ("both")', () => {
  it('generates ½·(task draw of f) + ½·(shared draw of f) for one-hot embeddings', () => {
    const scheme = weightAndBiasHyperInit(normc(GAIN));
    const rng = new Xoshiro128Rng(4);
    const dim = SPEC.embeddingDim;
    const head = initHead(scheme, 'weight', SPEC, rng);
    const count = generatedCount(SPEC, 'weight');
    assertRowNorms('shared half', head.bias, SPEC.base, GAIN / 2);
    for (let k = 0; k < dim; k++) assertRowNorms(`task half ${k}`, head.weight.subarray(k * count, (k + 1) * count), SPEC.base, GAIN / 2);
    assert.ok(initHead(scheme, 'bias', SPEC, rng).bias.every((v) => v === 0));
  });
});

describe('hyperfan-in (HFI)', () => {
  it('generates weights of variance gain²/(2·fan_in) and biases of variance gain²/2 for unit-variance embeddings', () => {
    const scheme = hyperfanInHeadInit(GAIN);
    assertSecondMoment('HFI weights', generatedSecondMoment(scheme, 'weight', 5, 0.8), GAIN ** 2 / (2 * SPEC.base.fanIn));
    assertSecondMoment('HFI biases', generatedSecondMoment(scheme, 'bias', 6, 0.8), GAIN ** 2 / 2);
  });

  it('draws head weights U(±gain·√(3/(2·d_l·fan_in))) and U(±gain·√(3/(2·d_l))) with zero head biases', () => {
    const scheme = hyperfanInHeadInit(GAIN);
    const big: HeadSpec = { embeddingDim: 16, base: { fanIn: 32, fanOut: 2500, layout: 'out-in' } };
    const rng = new Xoshiro128Rng(7);
    const weightHead = initHead(scheme, 'weight', big, rng), biasHead = initHead(scheme, 'bias', big, rng);
    assertUniform('weight head', weightHead.weight, GAIN * Math.sqrt(3 / (2 * 16 * 32)));
    assertUniform('bias head', biasHead.weight, GAIN * Math.sqrt(3 / (2 * 16)));
    assert.ok(weightHead.bias.every((v) => v === 0) && biasHead.bias.every((v) => v === 0));
  });
});

describe('naive head init', () => {
  const kaimingVariance = GAIN ** 2 / SPEC.base.fanIn; // what the base layer's own Kaiming init would give

  it('Kaiming on the head generates weights ~fan_in times too large (variance gain²·E[e²])', () => {
    const got = generatedSecondMoment(naiveHeadInit(kaimingUniform(GAIN)), 'weight', 8, 0.8);
    assertSecondMoment('naive Kaiming', got, GAIN ** 2);
    assertWithinStandardErrors('ratio to base Kaiming', got.moment / kaimingVariance, SPEC.base.fanIn, got.relativeSE * SPEC.base.fanIn);
  });

  it('normc on the head generates weights ~fan_in times too large (variance gain²·E[e²])', () => {
    const got = generatedSecondMoment(naiveHeadInit(normc(GAIN)), 'weight', 9, 0);
    assertSecondMoment('naive normc', got, GAIN ** 2);
    assertWithinStandardErrors('ratio to base Kaiming', got.moment / kaimingVariance, SPEC.base.fanIn, got.relativeSE * SPEC.base.fanIn);
  });

  it('orthogonal on the head generates weights of variance gain²·d_l/P', () => {
    const count = generatedCount(SPEC, 'weight');
    assertSecondMoment('naive orthogonal', generatedSecondMoment(naiveHeadInit(orthogonal(GAIN)), 'weight', 10, 0), GAIN ** 2 * SPEC.embeddingDim / count);
  });

  it('initialises bias heads the same way, with zero head biases', () => {
    const head = initHead(naiveHeadInit(normc(GAIN)), 'bias', SPEC, new Xoshiro128Rng(11));
    assertRowNorms('bias head as a layer', head.weight, { fanIn: SPEC.embeddingDim, fanOut: SPEC.base.fanOut, layout: 'in-out' }, GAIN);
    assert.ok(head.bias.every((v) => v === 0));
  });
});

describe('HypeRL head init', () => {
  it('draws head weights U(±σ_h) with zero biases, generating variance d_l·σ_h²/3·E[e²]', () => {
    const sigma = 0.05;
    const scheme = hypeRlHeadInit(sigma);
    const head = initHead(scheme, 'weight', SPEC, new Xoshiro128Rng(12));
    assertUniform('head weights', head.weight, sigma);
    assert.ok(head.bias.every((v) => v === 0));
    const expected = SPEC.embeddingDim * sigma ** 2 / 3;
    assertSecondMoment('HypeRL weights', generatedSecondMoment(scheme, 'weight', 13, 0.8), expected);
    assertSecondMoment('HypeRL biases/gains', generatedSecondMoment(scheme, 'bias', 14, 0.8), expected);
  });
});

describe('head validation', () => {
  it('rejects head arrays of the wrong size, naming the expected sizes', () => {
    const wrong: HeadParams = { weight: new Float64Array(10), bias: new Float64Array(3) };
    assert.throws(() => biasHyperInit(normc()).weightHead(wrong, SPEC, new Xoshiro128Rng(1)), /needs 16×2048 weights and 2048 biases, got 10 and 3/);
    assert.throws(() => hyperfanInHeadInit(1).biasHead(wrong, SPEC, new Xoshiro128Rng(1)), /needs 16×64 weights and 64 biases/);
  });

  it('rejects a FiLM HyperInit that adjusts neither the weights nor the bias', () => {
    assert.throws(() => filmHyperInit({ weight: false, bias: false }), /adjust the weights, the bias or both/);
  });

  it('fills float32 parameter buffers', () => {
    const head = allocateHead(SPEC, 'weight', Float32Array);
    biasHyperInit(normc(GAIN)).weightHead(head, SPEC, new Xoshiro128Rng(1));
    assert.ok(head.bias instanceof Float32Array && head.weight.every((v) => v === 0));
    for (let o = 0; o < SPEC.base.fanOut; o++) {
      let sumSq = 0;
      for (let i = 0; i < SPEC.base.fanIn; i++) sumSq += head.bias[weightIndex(SPEC.base, o, i)]! ** 2;
      assert.ok(Math.abs(Math.sqrt(sumSq) - GAIN) < 1e-6);
    }
  });
});
