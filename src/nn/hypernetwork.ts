/**
 * HyperNetwork (Sarafian et al. 2021): a primary network maps a meta input to an
 * embedding z; one linear head per dynamic layer maps z to that layer's generated
 * parameters [W (out×in) | c (out) | g (out)]; the dynamic network applies them,
 * per sample, to a base input:  x ← act((1 + g) ⊙ (W x) + c).
 */
import type { Engine } from '../tensor/engine.js';
import { Act, type ActName } from '../tensor/kernels.js';
import { dynamicLinear, dynamicParamCount } from '../tensor/ops/dynamic.js';
import { activation, add, addScalar, mul } from '../tensor/ops/elementwise.js';
import { batchedMatmul, matmul } from '../tensor/ops/matmul.js';
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

  /** Run the dynamic network on base inputs with parameters from generate(). */
  applyDynamic(base: Tensor, generated: readonly Tensor[]): Tensor {
    let x = base;
    this.dynamicLayers.forEach((l, i) => { x = dynamicLinear(x, generated[i]!, l.outputSize, Act[l.act]); });
    return x;
  }

  /**
   * The dynamic network with one parameter set per group of consecutive base inputs: generated
   * rows [T, width_l] (from `generate`), each shared by N / T base rows (one weight set per task:
   * Hyper-MAML's T = 1, Hyper-PEARL's meta-batch). Plain matrix products, y = act((1 + g) ⊙ (x Wᵀ) + c),
   * one per group (batched for T > 1), with no per-sample copy of the weights (4,000 states × 6,412
   * generated values would otherwise be copied per task) and the weight gradient as one product
   * over the group's rows instead of a sum of per-sample outer products. The values of
   * `applyDynamic(base, generated rows repeated N / T times)` up to rounding; differentiable twice.
   */
  applyDynamicShared(base: Tensor, generated: readonly Tensor[]): Tensor {
    let x = base;
    this.dynamicLayers.forEach((l, i) => {
      const h = generated[i]!, groups = h.shape[0]!, rows = base.shape[0]! / groups, out = l.outputSize, wAt = out * l.inputSize;
      if (h.rank !== 2 || !Number.isInteger(rows)) throw new RangeError(`HyperNetwork.applyDynamicShared: layer ${i} needs generated rows [T, ${h.shape[1]}] with T dividing the ${base.shape[0]} base rows, got ${fmtShape(h.shape)}`);
      const c = slice(h, 1, wAt, wAt + out), g = slice(h, 1, wAt + out, wAt + 2 * out);
      // One group is a plain product (the GEMM kernels' small-width paths), several an ensemble of products.
      const y = groups === 1
        ? add(mul(matmul(x, reshape(slice(h, 1, 0, wAt), [out, l.inputSize]), false, true), addScalar(g, 1)), c)
        : reshape(add(mul(batchedMatmul(reshape(x, [groups, rows, l.inputSize]), reshape(slice(h, 1, 0, wAt), [groups, out, l.inputSize]), false, true),
          reshape(addScalar(g, 1), [groups, 1, out])), reshape(c, [groups, 1, out])), [groups * rows, out]);
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
