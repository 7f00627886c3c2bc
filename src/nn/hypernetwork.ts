/**
 * HyperNetwork (Sarafian et al. 2021): a primary network maps a meta input to an
 * embedding z; one linear head per dynamic layer maps z to that layer's generated
 * parameters [W (out×in) | c (out) | g (out)]; the dynamic network applies them,
 * per sample, to a base input:  x ← act((1 + g) ⊙ (W x) + c).
 */
import type { Engine } from '../tensor/engine.js';
import { Act, type ActName } from '../tensor/kernels.js';
import { dynamicLinear, dynamicParamCount } from '../tensor/ops/dynamic.js';
import { activation, add, addScalar, mul, repeatRows } from '../tensor/ops/elementwise.js';
import { matmul } from '../tensor/ops/matmul.js';
import { reshape, slice } from '../tensor/ops/shape.js';
import { fmtShape, type Tensor } from '../tensor/tensor.js';
import { Linear, type Layer } from './layers.js';
import { Module } from './module.js';
import { combinedHeadInit, type HeadScheme } from './hyper-init.js';
import type { Rng } from '../core/random.js';

export interface DynamicLayerSpec {
  inputSize: number;
  outputSize: number;
  act: ActName;
  /** How this layer's head is initialised; the gain head is initialised like the bias head. */
  headInit: HeadScheme;
}

export class HyperNetwork extends Module {
  readonly heads: Linear[];

  constructor(engine: Engine, readonly primary: Layer, readonly dynamicLayers: readonly DynamicLayerSpec[], rng: Rng) {
    super(engine);
    if (dynamicLayers.length === 0) throw new RangeError('HyperNetwork: at least one dynamic layer is needed');
    dynamicLayers.forEach((l, i) => {
      if (i > 0 && dynamicLayers[i - 1]!.outputSize !== l.inputSize) {
        throw new RangeError(`HyperNetwork: dynamic layer ${i} expects ${l.inputSize} inputs but layer ${i - 1} gives ${dynamicLayers[i - 1]!.outputSize}`);
      }
    });
    this.child('primary', primary);
    this.heads = dynamicLayers.map((l, i) => {
      const base = { fanIn: l.inputSize, fanOut: l.outputSize, layout: 'out-in' } as const;
      const init = combinedHeadInit(l.headInit, { embeddingDim: primary.outputSize, base }, ['weight', 'bias', 'bias'], rng);
      return this.child(`head${i}`, new Linear(engine, primary.outputSize, dynamicParamCount(l.inputSize, l.outputSize), rng, {
        weightInit: (target) => target.set(init.weight), biasInit: (target) => target.set(init.bias),
      }));
    });
  }

  get metaSize(): number {
    return this.primary.inputSize;
  }

  get baseSize(): number {
    return this.dynamicLayers[0]!.inputSize;
  }

  get outputSize(): number {
    return this.dynamicLayers[this.dynamicLayers.length - 1]!.outputSize;
  }

  /** The generated parameters of every dynamic layer for a batch of meta inputs: [B, width_l] each. */
  generate(meta: Tensor): Tensor[] {
    const z = this.primary.forward(meta);
    return this.heads.map((h) => h.forward(z));
  }

  /**
   * The generated parameters for meta inputs that each serve `rows` consecutive base inputs
   * (one per task, shared by the task's states): generated once per meta row [T, m], then
   * repeated to [T·rows, width_l]. Same values and gradients as generating per row, at 1/rows
   * of the primary network's cost.
   */
  generateRepeated(meta: Tensor, rows: number): Tensor[] {
    return this.generate(meta).map((g) => repeatRows(g, rows));
  }

  /** Run the dynamic network on base inputs with parameters from generate(). */
  applyDynamic(base: Tensor, generated: readonly Tensor[]): Tensor {
    let x = base;
    this.dynamicLayers.forEach((l, i) => { x = dynamicLinear(x, generated[i]!, l.outputSize, Act[l.act]); });
    return x;
  }

  /**
   * The dynamic network with one parameter set for every base input, generated from a single
   * meta row ([1, width_l] each, from `generate`): plain matrix products,
   * y = act((1 + g) ⊙ (x Wᵀ) + c), with no per-sample copy of the weights (Hyper-MAML's one
   * weight set per task: 4,000 states × 6,412 generated values would otherwise be copied per
   * task). Same values as `applyDynamic(base, generateRepeated(meta, N))`; differentiable twice.
   */
  applyDynamicShared(base: Tensor, generated: readonly Tensor[]): Tensor {
    let x = base;
    this.dynamicLayers.forEach((l, i) => {
      const h = generated[i]!, wAt = l.outputSize * l.inputSize;
      if (h.rank !== 2 || h.shape[0] !== 1) throw new RangeError(`HyperNetwork.applyDynamicShared: layer ${i} needs one generated row [1, ${h.shape[1]}], got ${fmtShape(h.shape)}`);
      const w = reshape(slice(h, 1, 0, wAt), [l.outputSize, l.inputSize]);
      const c = slice(h, 1, wAt, wAt + l.outputSize), g = slice(h, 1, wAt + l.outputSize, wAt + 2 * l.outputSize);
      const y = add(mul(matmul(x, w, false, true), addScalar(g, 1)), c);
      x = l.act === 'identity' ? y : activation(y, Act[l.act]);
    });
    return x;
  }

  forward(meta: Tensor, base: Tensor): Tensor {
    return this.applyDynamic(base, this.generate(meta));
  }

  /**
   * Output and gradient path through the dynamic network only: the primary network
   * and heads run without recording, so back-propagation touches only the base input
   * (HypeRL's actor-update trick: ∇ₐQ needs no gradient through z).
   */
  forwardDynamicOnly(meta: Tensor, base: Tensor): Tensor {
    const generated = this.engine.noGrad(() => this.generate(meta));
    return this.applyDynamic(base, generated);
  }

  flopsPerSample(): number {
    let f = this.primary.flopsPerSample();
    for (const h of this.heads) f += h.flopsPerSample();
    for (const l of this.dynamicLayers) f += 2 * l.inputSize * l.outputSize;
    return f;
  }
}
