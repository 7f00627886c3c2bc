/**
 * PEARL's probabilistic context encoder (Rakelly et al. 2019; rlkit's
 * `ProbabilisticContextEncoder`, kept in HypeRL's PEARL fork, spec A.6): an MLP maps each
 * transition (s, a, r) of a task's context to a Gaussian factor N(μᵢ, σᵢ²) over the latent
 * z (σᵢ² = softplus of the second half of its output, floored at 1e-7), and the posterior
 * is their product:
 *   σ² = 1 / Σᵢ σᵢ⁻²,   μ = σ² · Σᵢ μᵢ σᵢ⁻²
 * The KL term of PEARL's loss is KL(N(μ, σ²) ‖ N(0, I)).
 */
import type { Engine } from '../tensor/engine.js';
import { addScalar, clamp, div, log, mul, scale, softplus, square, sub, sum, add } from '../tensor/ops/elementwise.js';
import { reshape, slice } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { MLP } from './layers.js';
import { Module } from './module.js';
import type { Rng } from '../core/random.js';

/** rlkit's floor on each factor's variance. */
const MIN_FACTOR_VARIANCE = 1e-7;

/** A diagonal Gaussian over the latent: mean and variance, each [1, L] (or [T, L]: one per task). */
export interface LatentGaussian {
  mean: Tensor;
  variance: Tensor;
}

/**
 * The product of the Gaussian factors N(means[i], variances[i]) along `axis` (default 0:
 * [N, L] → [1, L]; axis 1 of [T, N, L]: T tasks' products at once → [T, 1, L]), normalised:
 * precision-weighted mean, variance 1 / Σ precisions.
 */
export function productOfGaussians(means: Tensor, variances: Tensor, axis = 0): LatentGaussian {
  const e = means.engine;
  const precisions = div(e.constant(1), clamp(variances, MIN_FACTOR_VARIANCE, Infinity));
  const variance = div(e.constant(1), sum(precisions, axis, true));
  return { mean: mul(variance, sum(mul(means, precisions), axis, true)), variance };
}

/** KL(N(μ, σ²) ‖ N(0, I)) summed over the latent dimensions: ½ Σ (σ² + μ² − 1 − log σ²) → [1, 1] ([T, 1] for T posteriors). */
export function klToStandardNormal(g: LatentGaussian): Tensor {
  return scale(sum(addScalar(sub(add(g.variance, square(g.mean)), log(g.variance)), -1), -1, true), 0.5);
}

export interface ContextEncoderOptions {
  /** Width of one context entry: |s| + |a| + 1 (reward). */
  inputDim: number;
  /** Latent size L (PEARL: 5). */
  latentDim: number;
  /** Hidden widths (PEARL: [200, 200, 200]). */
  hidden?: readonly number[];
}

export class ContextEncoder extends Module {
  readonly net: MLP;
  readonly latentDim: number;

  constructor(engine: Engine, rng: Rng, opts: ContextEncoderOptions) {
    super(engine);
    this.latentDim = opts.latentDim;
    this.net = this.child('net', new MLP(engine, [opts.inputDim, ...(opts.hidden ?? [200, 200, 200]), 2 * opts.latentDim], rng, { hiddenAct: 'relu' }));
  }

  /** The posterior over z given one task's context [N, inputDim]. */
  posterior(context: Tensor): LatentGaussian {
    return this.posteriors(context, 1);
  }

  /** The posteriors of `tasks` tasks whose contexts are stacked, N rows each ([tasks·N, inputDim]): [tasks, L] each. */
  posteriors(context: Tensor, tasks: number): LatentGaussian {
    const out = this.net.forward(context);
    const L = this.latentDim, n = context.shape[0]! / tasks;
    if (!Number.isInteger(n)) throw new RangeError(`ContextEncoder.posteriors: ${context.shape[0]} context rows do not split into ${tasks} tasks`);
    const g = productOfGaussians(reshape(slice(out, 1, 0, L), [tasks, n, L]), reshape(softplus(slice(out, 1, L, 2 * L)), [tasks, n, L]), 1);
    return { mean: reshape(g.mean, [tasks, L]), variance: reshape(g.variance, [tasks, L]) };
  }
}
