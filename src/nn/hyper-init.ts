/**
 * Initialisation schemes for the heads of a hypernetwork.
 *
 * A head is a linear map from the embedding e ∈ R^{d_l} (the hypernetwork's last
 * hidden activation) to P generated parameters of one base (dynamic) layer:
 *   φ = e·W + b,   W is d_l×P ('in-out', W[k, p] at k·P + p, like hyperrl's Linear), b ∈ R^P.
 * Each generated layer has a weight head (P = fanIn·fanOut; φ is the base weight
 * matrix flattened in `base.layout`) and a bias head (P = fanOut). HypeRL's gain
 * head has the bias head's shape and is initialised like it.
 *
 * Schemes, with the variance of φ they produce at init for an embedding with
 * i.i.d. entries of second moment E[e²]:
 * - naive(f): f applied to each head as if it were an ordinary Linear(d_l → P),
 *   head biases 0 (Beck et al.'s "naive Kaiming/Normc/Orthogonal"). With Kaiming
 *   or normc, Var(W) ≈ gain²/d_l, so Var(φ) ≈ gain²·E[e²]: about fan_in·E[e²]
 *   times the base init's gain²/fan_in. With orthogonal (P ≥ d_l, orthonormal
 *   columns) Var(φ) = gain²·E[e²]·d_l/P.
 * - hyperfanIn(gain): Chang et al. 2020 as implemented by Beck et al.: weight
 *   heads U with Var = gain²/(2·d_l·fan_in), bias heads Var = gain²/(2·d_l),
 *   head biases 0. For E[e²] = 1 the generated weights have variance
 *   gain²/(2·fan_in) and the biases gain²/2, so weights and biases each carry
 *   half of the pre-activation variance a Kaiming layer would (hence the 2).
 * - weightHyperInit(f): every row W[k, :] of a weight head is an independent
 *   draw of f, so a one-hot e = 1_k generates exactly an f-initialised layer;
 *   head biases 0; bias heads all 0.
 * - biasHyperInit(f) (Beck et al.'s proposal): weight heads W = 0 and b = one
 *   draw of f; bias heads W = 0, b = 0. Every embedding generates the same,
 *   correctly initialised base layer with zero biases.
 *   (Beck et al.'s code gives the critic-output bias head a U(−1, 1) bias, from
 *   a fan-in computed on a (H, 1) tensor; that quirk is not reproduced.)
 * - weightAndBiasHyperInit(f): the "both" ablation, 0.5 × weightHyperInit's W and
 *   0.5 × biasHyperInit's b.
 * - hypeRl(σ_h): Sarafian et al.'s code: every head weight U(±σ_h), head biases 0;
 *   Var(φ) = d_l·σ_h²/3·E[e²].
 *
 * FiLM heads (Beck et al.'s FiLM policies) generate a per-unit scale s and shift t
 * of a base layer whose weights are ordinary parameters: y = act(s ⊙ (W x) + t).
 * - naiveFilm(f): both heads initialised by f as ordinary layers d_l → fanOut, biases 0.
 * - filmHyperInit: the shift head is all zero; the scale head has W = 1 (Weight-HyperInit:
 *   a one-hot e gives s = 1), b = 1 (Bias-HyperInit: s = 1 for every e), or both halved.
 *
 * Facts: formulas from Beck, Jackson, Vuorio & Whiteson, "Hypernetworks in
 * Meta-Reinforcement Learning" (CoRL 2022) and their code (jacooba/hyper,
 * models/policy.py); Chang, Flokas & Lipson, "Principled weight initialization
 * for hypernetworks" (ICLR 2020); HypeRL's code (keynans/HypeRL).
 */
import { fillUniform, type FloatArray, type LayerShape, type ParamInit } from './init.js';
import type { Rng } from '../core/random.js';

/** The parameters of one head: W is d_l×P row-major ('in-out'), b has P entries. */
export interface HeadParams {
  weight: FloatArray;
  bias: FloatArray;
}

export interface HeadSpec {
  /** d_l, the size of the embedding the heads read. */
  embeddingDim: number;
  /** The generated layer; its layout is the layout of the weight head's flat output. */
  base: LayerShape;
}

export type HeadKind = 'weight' | 'bias';

export interface HeadScheme {
  readonly name: string;
  /** Fills the head that generates the base layer's fanIn·fanOut weights. */
  weightHead(head: HeadParams, spec: HeadSpec, rng: Rng): void;
  /** Fills the head that generates the base layer's fanOut biases. */
  biasHead(head: HeadParams, spec: HeadSpec, rng: Rng): void;
}

/** P, the number of values a head of this kind generates. */
export function generatedCount(spec: HeadSpec, kind: HeadKind): number {
  return kind === 'weight' ? spec.base.fanIn * spec.base.fanOut : spec.base.fanOut;
}

/** The head itself as a dense layer d_l → P, in hyperrl's Linear layout. */
export function headLayer(spec: HeadSpec, kind: HeadKind): LayerShape {
  return { fanIn: spec.embeddingDim, fanOut: generatedCount(spec, kind), layout: 'in-out' };
}

/** Zeroed parameters of the right sizes for a head. */
export function allocateHead(spec: HeadSpec, kind: HeadKind, ArrayType: Float32ArrayConstructor | Float64ArrayConstructor = Float64Array): HeadParams {
  const count = generatedCount(spec, kind);
  return { weight: new ArrayType(spec.embeddingDim * count), bias: new ArrayType(count) };
}

function expectHead(scheme: string, head: HeadParams, spec: HeadSpec, kind: HeadKind): number {
  const count = generatedCount(spec, kind);
  if (!(Number.isInteger(spec.embeddingDim) && spec.embeddingDim > 0)) throw new RangeError(`${scheme}: embeddingDim must be a positive integer, got ${spec.embeddingDim}`);
  if (head.weight.length !== spec.embeddingDim * count || head.bias.length !== count) {
    throw new RangeError(`${scheme}: a ${kind} head for d_l = ${spec.embeddingDim} and a ${spec.base.fanIn}×${spec.base.fanOut} base layer needs ${spec.embeddingDim}×${count} weights and ${count} biases, got ${head.weight.length} and ${head.bias.length}`);
  }
  return count;
}

/** Fills each row W[k, :] of a weight head with an independent draw of f for the base layer. */
function fillRowsWithBaseInit(head: HeadParams, spec: HeadSpec, f: ParamInit, rng: Rng, count: number): void {
  for (let k = 0; k < spec.embeddingDim; k++) f(head.weight.subarray(k * count, (k + 1) * count), spec.base, rng);
}

function scale(values: FloatArray, factor: number): void {
  for (let i = 0; i < values.length; i++) values[i]! *= factor;
}

/** Both heads are all zero: the generated base biases start at 0, as in VariBAD. */
function zeroHead(scheme: string) {
  return (head: HeadParams, spec: HeadSpec): void => {
    expectHead(scheme, head, spec, 'bias');
    head.weight.fill(0);
    head.bias.fill(0);
  };
}

/** f applied to each head as an ordinary layer d_l → P, head biases 0. f is e.g. kaimingUniform(gain), normc(gain), orthogonal(gain). */
export function naiveHeadInit(f: ParamInit, name = 'naive'): HeadScheme {
  const init = (kind: HeadKind) => (head: HeadParams, spec: HeadSpec, rng: Rng): void => {
    expectHead(name, head, spec, kind);
    f(head.weight, headLayer(spec, kind), rng);
    head.bias.fill(0);
  };
  return { name, weightHead: init('weight'), biasHead: init('bias') };
}

/** Hyperfan-in (Chang et al. 2020) for a base layer whose weights and biases are both generated; `gain` is the base activation's gain. */
export function hyperfanInHeadInit(gain: number): HeadScheme {
  // U(±√3·std) has standard deviation std.
  const init = (kind: HeadKind) => (head: HeadParams, spec: HeadSpec, rng: Rng): void => {
    expectHead('hyperfanIn', head, spec, kind);
    const variance = (gain * gain) / (2 * spec.embeddingDim * (kind === 'weight' ? spec.base.fanIn : 1));
    const bound = Math.sqrt(3 * variance);
    fillUniform(head.weight, -bound, bound, rng);
    head.bias.fill(0);
  };
  return { name: 'hyperfanIn', weightHead: init('weight'), biasHead: init('bias') };
}

/** Weight-HyperInit: each weight-head row is a draw of the base init f; everything else 0. */
export function weightHyperInit(f: ParamInit): HeadScheme {
  return {
    name: 'weightHyperInit',
    weightHead(head, spec, rng) {
      const count = expectHead('weightHyperInit', head, spec, 'weight');
      fillRowsWithBaseInit(head, spec, f, rng, count);
      head.bias.fill(0);
    },
    biasHead: zeroHead('weightHyperInit'),
  };
}

/** Bias-HyperInit: weight-head W = 0 and b = a draw of the base init f; bias heads 0. */
export function biasHyperInit(f: ParamInit): HeadScheme {
  return {
    name: 'biasHyperInit',
    weightHead(head, spec, rng) {
      expectHead('biasHyperInit', head, spec, 'weight');
      head.weight.fill(0);
      f(head.bias, spec.base, rng);
    },
    biasHead: zeroHead('biasHyperInit'),
  };
}

/** The "both" ablation: half of Weight-HyperInit's W plus half of Bias-HyperInit's b. */
export function weightAndBiasHyperInit(f: ParamInit): HeadScheme {
  return {
    name: 'weightAndBiasHyperInit',
    weightHead(head, spec, rng) {
      const count = expectHead('weightAndBiasHyperInit', head, spec, 'weight');
      fillRowsWithBaseInit(head, spec, f, rng, count);
      f(head.bias, spec.base, rng);
      scale(head.weight, 0.5);
      scale(head.bias, 0.5);
    },
    biasHead: zeroHead('weightAndBiasHyperInit'),
  };
}

/**
 * The heads of one generated layer as a single Linear d_l → Σ parts, laid side by
 * side column-wise ([part 0 | part 1 | …]); part k is filled by the scheme's head of
 * kinds[k] (e.g. weight, bias, and HypeRL's gain, initialised like a bias head).
 */
export function combinedHeadInit(scheme: HeadScheme, spec: HeadSpec, kinds: readonly HeadKind[], rng: Rng): { weight: Float32Array; bias: Float32Array } {
  const parts = kinds.map((kind) => allocateHead(spec, kind, Float32Array));
  kinds.forEach((kind, k) => (kind === 'weight' ? scheme.weightHead : scheme.biasHead)(parts[k]!, spec, rng));
  const width = parts.reduce((n, p) => n + p.bias.length, 0);
  const weight = new Float32Array(spec.embeddingDim * width), bias = new Float32Array(width);
  let col = 0;
  for (const p of parts) {
    const n = p.bias.length;
    for (let k = 0; k < spec.embeddingDim; k++) weight.set(p.weight.subarray(k * n, (k + 1) * n), k * width + col);
    bias.set(p.bias, col);
    col += n;
  }
  return { weight, bias };
}

/** A FiLM layer's two heads, each d_l → fanOut: the per-unit scale s and shift t of y = act(s ⊙ (W x) + t). */
export interface FilmHeadScheme {
  readonly name: string;
  scaleHead(head: HeadParams, spec: HeadSpec, rng: Rng): void;
  shiftHead(head: HeadParams, spec: HeadSpec, rng: Rng): void;
}

/** Both FiLM heads initialised by f as ordinary layers d_l → fanOut, head biases 0 (Beck et al.'s "FiLM Normc"). */
export function naiveFilmHeadInit(f: ParamInit): FilmHeadScheme {
  const { biasHead } = naiveHeadInit(f, 'naiveFilm');
  return { name: 'naiveFilm', scaleHead: biasHead, shiftHead: biasHead };
}

/**
 * Beck et al.'s FiLM init: shift heads all zero; scale heads with W = 1 (`weight`: a one-hot
 * embedding gives scale 1), b = 1 (`bias`: scale 1 for every embedding), or both at ½.
 */
export function filmHyperInit(adjust: { weight: boolean; bias: boolean }): FilmHeadScheme {
  if (!adjust.weight && !adjust.bias) throw new RangeError('filmHyperInit: adjust the weights, the bias or both');
  const share = adjust.weight && adjust.bias ? 0.5 : 1;
  return {
    name: adjust.weight && adjust.bias ? 'weightAndBiasFilmHyperInit' : adjust.weight ? 'weightFilmHyperInit' : 'biasFilmHyperInit',
    scaleHead(head, spec) {
      expectHead('filmHyperInit', head, spec, 'bias');
      head.weight.fill(adjust.weight ? share : 0);
      head.bias.fill(adjust.bias ? share : 0);
    },
    shiftHead: zeroHead('filmHyperInit'),
  };
}

/**
 * HypeRL's heads: weights U(±σ_h) (see HYPE_RL_HEAD_SIGMA), biases 0; use biasHead for the gain head too.
 * `sigma` is one bound, or a bound per generated output unit: the Hyper-PEARL policy's last
 * dynamic layer generates [μ | log-std], whose heads are U(±0.008) and U(±0.001).
 */
export function hypeRlHeadInit(sigma: number | ((outputUnit: number) => number)): HeadScheme {
  const sigmaOf = typeof sigma === 'number' ? () => sigma : sigma;
  const init = (kind: HeadKind) => (head: HeadParams, spec: HeadSpec, rng: Rng): void => {
    const count = expectHead('hypeRl', head, spec, kind);
    for (let k = 0; k < spec.embeddingDim; k++) {
      for (let p = 0; p < count; p++) {
        // The generated value p belongs to output unit o: weights in the base layout, biases and gains by index.
        const o = kind === 'bias' ? p : spec.base.layout === 'out-in' ? Math.floor(p / spec.base.fanIn) : p % spec.base.fanOut;
        const s = sigmaOf(o);
        head.weight[k * count + p] = -s + 2 * s * rng.uniform();
      }
    }
    head.bias.fill(0);
  };
  return { name: 'hypeRl', weightHead: init('weight'), biasHead: init('bias') };
}
