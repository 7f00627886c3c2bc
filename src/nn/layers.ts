/** Dense building blocks: Linear, MLP, pre-activation ResBlock, Sequential. */
import type { Engine } from '../tensor/engine.js';
import { Act, type ActName } from '../tensor/kernels.js';
import { add, activation } from '../tensor/ops/elementwise.js';
import { batchedLinear, linear } from '../tensor/ops/matmul.js';
import { reshape, slice } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { pytorchLinearBias, pytorchLinearWeight, type LayerShape, type ParamInit } from './init.js';
import { Module } from './module.js';
import type { Rng } from '../core/random.js';

/** Anything that maps a batch [B, in] to [B, out] and can say what it costs. */
export interface Layer extends Module {
  readonly inputSize: number;
  readonly outputSize: number;
  forward(x: Tensor): Tensor;
  /** Multiply-adds ×2 per sample of one forward pass. */
  flopsPerSample(): number;
}

export interface LinearOptions {
  bias?: boolean;
  act?: ActName;
  weightInit?: ParamInit;
  biasInit?: ParamInit;
}

/** Draw a parameter's initial values with an init scheme. */
export function initValues(init: ParamInit, n: number, layer: LayerShape, rng: Rng): Float32Array {
  const v = new Float32Array(n);
  init(v, layer, rng);
  return v;
}

/** A Linear's initial W (in×out) and b (or null without a bias), drawn in that order. */
function linearInitValues(inputSize: number, outputSize: number, rng: Rng, opts: LinearOptions): { W: Float32Array; b: Float32Array | null } {
  const shape: LayerShape = { fanIn: inputSize, fanOut: outputSize, layout: 'in-out' };
  const W = initValues(opts.weightInit ?? pytorchLinearWeight, inputSize * outputSize, shape, rng);
  return { W, b: opts.bias === false ? null : initValues(opts.biasInit ?? pytorchLinearBias, outputSize, shape, rng) };
}

/** y = act(x·W + b), W stored in×out. Defaults: PyTorch's nn.Linear initialisation. */
export class Linear extends Module implements Layer {
  readonly W: Tensor;
  readonly b: Tensor | null;
  readonly act: ActName;

  constructor(engine: Engine, readonly inputSize: number, readonly outputSize: number, rng: Rng, opts: LinearOptions = {}) {
    super(engine);
    for (const [k, v] of [['inputSize', inputSize], ['outputSize', outputSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    this.act = opts.act ?? 'identity';
    const init = linearInitValues(inputSize, outputSize, rng, opts);
    this.W = this.param('W', [inputSize, outputSize], init.W);
    this.b = init.b === null ? null : this.param('b', [outputSize], init.b);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.resolve(this.W), this.b === null ? null : this.resolve(this.b), Act[this.act]);
  }

  flopsPerSample(): number {
    return 2 * this.inputSize * this.outputSize;
  }
}

/** Layers applied in order. */
export class Sequential extends Module implements Layer {
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(engine: Engine, readonly layers: readonly Layer[]) {
    super(engine);
    if (layers.length === 0) throw new RangeError('Sequential: no layers');
    layers.forEach((l, i) => {
      if (i > 0 && layers[i - 1]!.outputSize !== l.inputSize) {
        throw new RangeError(`Sequential: layer ${i} expects ${l.inputSize} inputs but layer ${i - 1} gives ${layers[i - 1]!.outputSize}`);
      }
      this.child(String(i), l);
    });
    this.inputSize = layers[0]!.inputSize;
    this.outputSize = layers[layers.length - 1]!.outputSize;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    return h;
  }

  flopsPerSample(): number {
    return this.layers.reduce((s, l) => s + l.flopsPerSample(), 0);
  }
}

export interface MlpOptions {
  hiddenAct?: ActName;
  outputAct?: ActName;
  weightInit?: ParamInit;
  biasInit?: ParamInit;
  /** Init for the last layer only (e.g. small output weights). */
  outputWeightInit?: ParamInit;
  /** Bias init for the last layer only (rlkit's U(±3e-3) output layer). */
  outputBiasInit?: ParamInit;
}

/** sizes[0] → sizes[1] → … → sizes[n−1], hiddenAct between layers, outputAct at the end. */
export class MLP extends Sequential {
  declare readonly layers: readonly Linear[];

  constructor(engine: Engine, readonly sizes: readonly number[], rng: Rng, opts: MlpOptions = {}) {
    if (sizes.length < 2) throw new RangeError(`MLP: need at least input and output sizes, got [${sizes.join(', ')}]`);
    super(engine, sizes.slice(0, -1).map((inp, l) => new Linear(engine, inp, sizes[l + 1]!, rng, mlpLayerOptions(sizes, l, opts))));
  }
}

/** Layer l of an MLP of these sizes: hiddenAct and the hidden inits, or the output ones for the last layer. */
function mlpLayerOptions(sizes: readonly number[], l: number, opts: MlpOptions): LinearOptions {
  const last = l === sizes.length - 2;
  return {
    act: last ? opts.outputAct ?? 'identity' : opts.hiddenAct ?? 'relu',
    weightInit: last ? opts.outputWeightInit ?? opts.weightInit : opts.weightInit,
    biasInit: last ? opts.outputBiasInit ?? opts.biasInit : opts.biasInit,
  };
}

/** One layer of an EnsembleMLP: every member's W stacked [E, in, out], biases [E, out]. */
class EnsembleLinear extends Module {
  readonly W: Tensor;
  readonly b: Tensor;

  constructor(engine: Engine, readonly members: number, readonly inputSize: number, readonly outputSize: number, readonly act: ActName,
    weights: Float32Array, biases: Float32Array) {
    super(engine);
    this.W = this.param('W', [members, inputSize, outputSize], weights);
    this.b = this.param('b', [members, outputSize], biases);
  }

  /** x: [B, in] shared by every member, or [E, B, in]; gives [E, B, out]. */
  forward(x: Tensor): Tensor {
    return batchedLinear(x, this.resolve(this.W), this.resolve(this.b), Act[this.act]);
  }

  /** Member e alone (x: [B, in] or [1, B, in]; gives [1, B, out]), with gradients into its slice of W and b. */
  forwardMember(x: Tensor, e: number): Tensor {
    return batchedLinear(x, slice(this.resolve(this.W), 0, e, e + 1), slice(this.resolve(this.b), 0, e, e + 1), Act[this.act]);
  }
}

/** Parameter values as stored by Module.stateDict. */
export type StateValues = Record<string, { shape: readonly number[]; data: ArrayLike<number> }>;

/**
 * E independent MLPs of the same sizes (the twin critics) computed as one: layer l of every
 * member is one [E, in, out] weight, so each layer is one batchedLinear call, which the native
 * backend runs with the members on different threads, forward and backward, and one Adam
 * step covers all members. Member e computes exactly what an `MLP` with its weights computes,
 * and is initialised as the e-th of E MLPs constructed in turn from the same rng (the same
 * draws in the same order), so an ensemble gives the numbers of separate MLPs.
 */
export class EnsembleMLP extends Module {
  readonly layers: readonly EnsembleLinear[];

  constructor(engine: Engine, readonly members: number, readonly sizes: readonly number[], rng: Rng, opts: MlpOptions = {}) {
    super(engine);
    if (!Number.isInteger(members) || members < 1) throw new RangeError(`EnsembleMLP: members must be a positive integer, got ${members}`);
    if (sizes.length < 2) throw new RangeError(`EnsembleMLP: need at least input and output sizes, got [${sizes.join(', ')}]`);
    const layerOpts = sizes.slice(0, -1).map((_, l) => mlpLayerOptions(sizes, l, opts));
    const weights = layerOpts.map((_, l) => new Float32Array(members * sizes[l]! * sizes[l + 1]!));
    const biases = layerOpts.map((_, l) => new Float32Array(members * sizes[l + 1]!));
    for (let e = 0; e < members; e++) {
      layerOpts.forEach((o, l) => {
        const init = linearInitValues(sizes[l]!, sizes[l + 1]!, rng, o);
        weights[l]!.set(init.W, e * init.W.length);
        biases[l]!.set(init.b!, e * init.b!.length);
      });
    }
    this.layers = layerOpts.map((o, l) => this.child(String(l), new EnsembleLinear(engine, members, sizes[l]!, sizes[l + 1]!, o.act!, weights[l]!, biases[l]!)));
  }

  /** x: [B, in], fed to every member; gives [E, B, out]. */
  forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    return h;
  }

  /** Member e alone: [B, in] → [B, out]. */
  forwardMember(x: Tensor, e: number): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forwardMember(h, e);
    return reshape(h, [x.shape[0]!, this.sizes[this.sizes.length - 1]!]);
  }

  /** Member e's parameters under an MLP's names and shapes (`<l>.W` [in, out], `<l>.b` [out]). */
  memberStateDict(e: number): Record<string, { shape: number[]; data: Float32Array<ArrayBuffer> }> {
    const out: Record<string, { shape: number[]; data: Float32Array<ArrayBuffer> }> = {};
    for (const [name, { shape, data }] of Object.entries(this.stateDict())) {
      const size = data.length / this.members;
      out[name] = { shape: shape.slice(1), data: data.slice(e * size, (e + 1) * size) };
    }
    return out;
  }

  /** The inverse of memberStateDict: one MLP-named state per member, stacked into this ensemble's names and shapes. */
  stackMemberStates(states: readonly StateValues[]): StateValues {
    if (states.length !== this.members) throw new RangeError(`EnsembleMLP: ${states.length} member states given for ${this.members} members`);
    const out: StateValues = {};
    for (const [name, p] of this.namedParameters()) {
      const data = new Float32Array(p.size), size = p.size / this.members;
      states.forEach((state, e) => {
        const s = state[name];
        if (s === undefined) throw new Error(`EnsembleMLP: member ${e} has no parameter '${name}'`);
        if (s.data.length !== size) throw new Error(`EnsembleMLP: member ${e}'s '${name}' has ${s.data.length} values, expected ${size}`);
        data.set(s.data, e * size);
      });
      out[name] = { shape: p.shape, data };
    }
    return out;
  }

  /** Multiply-adds ×2 per sample of one member's forward pass. */
  flopsPerSample(): number {
    return this.sizes.slice(0, -1).reduce((s, inp, l) => s + 2 * inp * this.sizes[l + 1]!, 0);
  }
}

/** Pre-activation residual block (HypeRL): x + Linear_b(ReLU(Linear_a(ReLU(x)))). */
export class ResBlock extends Module implements Layer {
  readonly a: Linear;
  readonly b: Linear;

  constructor(engine: Engine, readonly inputSize: number, rng: Rng, opts: Pick<LinearOptions, 'weightInit' | 'biasInit'> = {}) {
    super(engine);
    this.a = this.child('a', new Linear(engine, inputSize, inputSize, rng, { ...opts, act: 'relu' }));
    this.b = this.child('b', new Linear(engine, inputSize, inputSize, rng, opts));
  }

  get outputSize(): number {
    return this.inputSize;
  }

  forward(x: Tensor): Tensor {
    return add(x, this.b.forward(this.a.forward(activation(x, Act.relu))));
  }

  flopsPerSample(): number {
    return this.a.flopsPerSample() + this.b.flopsPerSample();
  }
}
