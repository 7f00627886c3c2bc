/**
 * Parameter initialisers for a dense layer, working on plain typed arrays so
 * that Module code (and the hypernetwork head schemes) can call them on any
 * parameter buffer.
 *
 * Layout. A layer maps fanIn inputs to fanOut outputs. Its weight matrix is
 * flattened row-major in one of two layouts, named by `LayerShape.layout`:
 * - 'in-out': W[i, o] at i·fanOut + o. hyperrl's `Linear` (y = xW + b, a plain GEMM).
 * - 'out-in': W[o, i] at o·fanIn + i. The dynamic-layer kernel's per-sample
 *   generated weights (y = W·x), and PyTorch's `nn.Linear.weight`.
 * Elementwise i.i.d. initialisers do not care; normc (per-output-unit norms)
 * and orthogonal (rows vs columns) do, so the layout is always explicit.
 *
 * Every initialiser is a `ParamInit`: it fills a target for a layer of a given
 * shape, fanIn·fanOut entries for weights and fanOut for biases, drawing from
 * the `Rng` it is handed. The formulas follow PyTorch's `torch.nn.init`
 * (fan_in = number of inputs, fan_out = number of outputs of the layer).
 */
import type { Rng } from '../core/random.js';

import type { FloatArray } from '../core/types.js';
export type { FloatArray };
export type WeightLayout = 'in-out' | 'out-in';

export interface LayerShape {
  fanIn: number;
  fanOut: number;
  layout: WeightLayout;
}

/** Fills `target`: the layer's weights (fanIn·fanOut entries) or its biases (fanOut entries). */
export type ParamInit = (target: FloatArray, layer: LayerShape, rng: Rng) => void;

/** Flat index of weight W[o, i] (output unit o, input i) in the layer's layout. */
export function weightIndex(layer: LayerShape, o: number, i: number): number {
  return layer.layout === 'in-out' ? i * layer.fanOut + o : o * layer.fanIn + i;
}

// --- gains ----------------------------------------------------------------

export type Nonlinearity = 'identity' | 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu';

/**
 * The gain that keeps activation variance stable through a layer followed by
 * this nonlinearity (PyTorch `calculate_gain`): identity/linear/sigmoid 1,
 * tanh 5/3, relu √2, leaky ReLU √(2 / (1 + slope²)).
 */
export function gainFor(nonlinearity: Nonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'identity': case 'linear': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
  }
}

// --- fill primitives -------------------------------------------------------

export function fillUniform(target: FloatArray, low: number, high: number, rng: Rng): void {
  const width = high - low;
  for (let k = 0; k < target.length; k++) target[k] = low + width * rng.uniform();
}

export function fillNormal(target: FloatArray, std: number, rng: Rng): void {
  for (let k = 0; k < target.length; k++) target[k] = std * rng.normal();
}

function expectWeights(name: string, target: FloatArray, layer: LayerShape): void {
  if (!(layer.fanIn > 0 && layer.fanOut > 0 && Number.isInteger(layer.fanIn) && Number.isInteger(layer.fanOut))) {
    throw new RangeError(`${name}: fanIn and fanOut must be positive integers, got ${layer.fanIn}×${layer.fanOut}`);
  }
  if (target.length !== layer.fanIn * layer.fanOut) {
    throw new RangeError(`${name}: target has ${target.length} entries, a ${layer.fanIn}×${layer.fanOut} weight matrix needs ${layer.fanIn * layer.fanOut}`);
  }
}

function expectBiases(name: string, target: FloatArray, layer: LayerShape): void {
  if (!(layer.fanIn > 0 && Number.isInteger(layer.fanIn))) throw new RangeError(`${name}: fanIn must be a positive integer, got ${layer.fanIn}`);
  if (target.length !== layer.fanOut) throw new RangeError(`${name}: target has ${target.length} entries, the layer has ${layer.fanOut} biases`);
}

// --- elementwise constants and uniforms ------------------------------------

/** Every entry = value (any target length). */
export const constantInit = (value: number): ParamInit => (target) => { target.fill(value); };

export const zerosInit: ParamInit = constantInit(0);

/** U(−bound, +bound) (any target length). */
export const uniformInit = (bound: number): ParamInit => (target, _layer, rng) => fillUniform(target, -bound, bound, rng);

// --- PyTorch defaults ------------------------------------------------------

/**
 * PyTorch's default `nn.Linear` weight: kaiming_uniform_ with a = √5, whose gain
 * √(2/(1+a²)) = √(1/3) turns the Kaiming bound gain·√(3/fan_in) into 1/√fan_in.
 */
export const pytorchLinearWeight: ParamInit = (target, layer, rng) => {
  expectWeights('pytorchLinearWeight', target, layer);
  const bound = 1 / Math.sqrt(layer.fanIn);
  fillUniform(target, -bound, bound, rng);
};

/** PyTorch's default `nn.Linear` bias: U(±1/√fan_in). */
export const pytorchLinearBias: ParamInit = (target, layer, rng) => {
  expectBiases('pytorchLinearBias', target, layer);
  const bound = 1 / Math.sqrt(layer.fanIn);
  fillUniform(target, -bound, bound, rng);
};

// --- Xavier / Glorot and Kaiming / He --------------------------------------

/** Glorot & Bengio 2010: U(±gain·√(6/(fan_in + fan_out))), variance gain²·2/(fan_in + fan_out). */
export const xavierUniform = (gain = 1): ParamInit => (target, layer, rng) => {
  expectWeights('xavierUniform', target, layer);
  const bound = gain * Math.sqrt(6 / (layer.fanIn + layer.fanOut));
  fillUniform(target, -bound, bound, rng);
};

/** Glorot & Bengio 2010: N(0, std²) with std = gain·√(2/(fan_in + fan_out)). */
export const xavierNormal = (gain = 1): ParamInit => (target, layer, rng) => {
  expectWeights('xavierNormal', target, layer);
  fillNormal(target, gain * Math.sqrt(2 / (layer.fanIn + layer.fanOut)), rng);
};

export type FanMode = 'fanIn' | 'fanOut';

const fan = (layer: LayerShape, mode: FanMode): number => (mode === 'fanIn' ? layer.fanIn : layer.fanOut);

/** He et al. 2015: U(±gain·√(3/fan)), variance gain²/fan. Pass gainFor(activation). */
export const kaimingUniform = (gain: number, mode: FanMode = 'fanIn'): ParamInit => (target, layer, rng) => {
  expectWeights('kaimingUniform', target, layer);
  const bound = gain * Math.sqrt(3 / fan(layer, mode));
  fillUniform(target, -bound, bound, rng);
};

/** He et al. 2015: N(0, gain²/fan). Pass gainFor(activation). */
export const kaimingNormal = (gain: number, mode: FanMode = 'fanIn'): ParamInit => (target, layer, rng) => {
  expectWeights('kaimingNormal', target, layer);
  fillNormal(target, gain / Math.sqrt(fan(layer, mode)), rng);
};

// --- structured: orthogonal and normc ---------------------------------------

/**
 * Saxe et al. 2014: the fanOut×fanIn matrix M is gain × a random semi-orthogonal
 * matrix: M·Mᵀ = gain²·I when fanOut ≤ fanIn (orthonormal rows), Mᵀ·M = gain²·I
 * otherwise (orthonormal columns). It is drawn as the Q factor of a Gaussian
 * matrix; Gram–Schmidt yields R with a positive diagonal, which is the sign
 * convention that makes Q uniformly (Haar) distributed, as PyTorch's
 * `orthogonal_` does by fixing the signs of its QR. Each vector is
 * orthogonalised twice ("twice is enough", Giraud et al. 2005) so the result
 * is orthonormal to rounding even for large matrices.
 */
export const orthogonal = (gain = 1): ParamInit => (target, layer, rng) => {
  expectWeights('orthogonal', target, layer);
  const { fanIn, fanOut } = layer;
  const long = Math.max(fanIn, fanOut), count = Math.min(fanIn, fanOut);
  const basis: Float64Array[] = [];
  while (basis.length < count) {
    const v = new Float64Array(long);
    let initialSumSq = 0;
    for (let k = 0; k < long; k++) {
      v[k] = rng.normal();
      initialSumSq += v[k]! * v[k]!;
    }
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let dot = 0;
        for (let k = 0; k < long; k++) dot += q[k]! * v[k]!;
        for (let k = 0; k < long; k++) v[k]! -= dot * q[k]!;
      }
    }
    let sumSq = 0;
    for (let k = 0; k < long; k++) sumSq += v[k]! * v[k]!;
    // A draw (almost) inside the span of the previous ones has probability ~0; draw again.
    if (sumSq <= 1e-12 * initialSumSq) continue;
    const norm = Math.sqrt(sumSq);
    for (let k = 0; k < long; k++) v[k]! /= norm;
    basis.push(v);
  }
  // basis[j][k]: with fanOut ≥ fanIn they are M's columns (j = input, k = output); else M's rows.
  const columns = fanOut >= fanIn;
  for (let o = 0; o < fanOut; o++) {
    for (let i = 0; i < fanIn; i++) {
      target[weightIndex(layer, o, i)] = gain * (columns ? basis[i]![o]! : basis[o]![i]!);
    }
  }
};

/**
 * "normc" (OpenAI baselines, used by VariBAD and Beck et al.): N(0, 1) weights,
 * then each output unit's incoming weight vector is rescaled to L2 norm = gain.
 */
export const normc = (gain = 1): ParamInit => (target, layer, rng) => {
  expectWeights('normc', target, layer);
  const { fanIn, fanOut } = layer;
  const row = new Float64Array(fanIn);
  for (let o = 0; o < fanOut; o++) {
    let sumSq = 0;
    for (let i = 0; i < fanIn; i++) {
      row[i] = rng.normal();
      sumSq += row[i]! * row[i]!;
    }
    const scale = gain / Math.sqrt(sumSq);
    for (let i = 0; i < fanIn; i++) target[weightIndex(layer, o, i)] = row[i]! * scale;
  }
};

// --- HypeRL (Sarafian et al. 2021) code constants ---------------------------

/**
 * Which HypeRL code base's primary-network weight rule: 'td3' (also MAML and
 * PEARL) U(±1/(2√fan_in)); 'sac' U(±1/√(2·fan_in)). Primary biases keep the
 * PyTorch default (`pytorchLinearBias`).
 */
export type HypeRlPrimaryRule = 'td3' | 'sac';

/** The bound b of a primary weight's U(±b) under a rule. */
export const hypeRlPrimaryBound = (rule: HypeRlPrimaryRule, fanIn: number): number =>
  rule === 'td3' ? 1 / (2 * Math.sqrt(fanIn)) : 1 / Math.sqrt(2 * fanIn);

/** HypeRL's primary weights, optionally times `scale` (the calibrated `compact` critic's first layer). */
export const hypeRlPrimaryWeight = (rule: HypeRlPrimaryRule, scale = 1): ParamInit => (target, layer, rng) => {
  expectWeights('hypeRlPrimaryWeight', target, layer);
  const bound = scale * hypeRlPrimaryBound(rule, layer.fanIn);
  fillUniform(target, -bound, bound, rng);
};

/**
 * HypeRL's head weight bounds σ_h: heads draw U(±σ_h) and have zero biases.
 * firstDynamicLayer 0.05, outputLayer 0.008, PEARL policy log-std head 0.001.
 */
export const HYPE_RL_HEAD_SIGMA = { firstDynamicLayer: 0.05, outputLayer: 0.008, pearlLogStd: 0.001 } as const;

// --- rlkit (PEARL's code base) ----------------------------------------------

/**
 * rlkit's `fanin_init`, PEARL's hidden-layer weights: U(±1/√size[0]) of the PyTorch weight
 * tensor, which is (out, in), so the bound is 1/√fan_out despite the name. Kept as written.
 */
export const rlkitFaninWeight: ParamInit = (target, layer, rng) => {
  expectWeights('rlkitFaninWeight', target, layer);
  const bound = 1 / Math.sqrt(layer.fanOut);
  fillUniform(target, -bound, bound, rng);
};
