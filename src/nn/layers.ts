/** Dense building blocks: Linear, MLP, pre-activation ResBlock, Sequential. */
import type { Engine } from '../tensor/engine.js';
import { Act, type ActName } from '../tensor/kernels.js';
import { add, activation } from '../tensor/ops/elementwise.js';
import { linear } from '../tensor/ops/matmul.js';
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
    const shape: LayerShape = { fanIn: inputSize, fanOut: outputSize, layout: 'in-out' };
    this.act = opts.act ?? 'identity';
    this.W = this.param('W', [inputSize, outputSize], initValues(opts.weightInit ?? pytorchLinearWeight, inputSize * outputSize, shape, rng));
    this.b = opts.bias === false ? null : this.param('b', [outputSize], initValues(opts.biasInit ?? pytorchLinearBias, outputSize, shape, rng));
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
    const last = sizes.length - 2;
    super(engine, sizes.slice(0, -1).map((inp, l) => new Linear(engine, inp, sizes[l + 1]!, rng, {
      act: l === last ? opts.outputAct ?? 'identity' : opts.hiddenAct ?? 'relu',
      weightInit: l === last ? opts.outputWeightInit ?? opts.weightInit : opts.weightInit,
      biasInit: l === last ? opts.outputBiasInit ?? opts.biasInit : opts.biasInit,
    })));
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
