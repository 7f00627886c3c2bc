/**
 * GRU: one recurrent layer with PyTorch's nn.GRU equations, parameters and default
 * initialisation, run over whole sequences (training, truncated BPTT) or one step at a
 * time (acting). Both go through the `gru` op: a fused cell kernel per step on every
 * backend (see src/tensor/ops/gru.ts).
 */
import type { Rng } from '../core/random.js';
import type { Engine } from '../tensor/engine.js';
import { gru, type GruParams } from '../tensor/ops/gru.js';
import { reshape, slice } from '../tensor/ops/shape.js';
import { fmtShape, type Tensor } from '../tensor/tensor.js';
import { uniformInit, type LayerShape, type ParamInit } from './init.js';
import { initValues } from './layers.js';
import { Module } from './module.js';

export interface GruOptions {
  /** Init of W_ih and W_hh (each as one out-in matrix, 3H rows); default PyTorch's U(±1/√H). */
  weightInit?: ParamInit;
  /** Init of b_ih and b_hh; default PyTorch's U(±1/√H). */
  biasInit?: ParamInit;
}

/** The result of a sequence: every hidden state, and the last one (to carry into the next segment). */
export interface GruOutput {
  /** [T, B, H]: h_1 … h_T. */
  outputs: Tensor;
  /** [B, H]: h_T. */
  last: Tensor;
}

/**
 * Parameters (PyTorch's names and layout, gates [r | z | n] along 3H):
 * W_ih [3H, in], W_hh [3H, H], b_ih [3H], b_hh [3H], drawn in that order.
 */
export class GRU extends Module {
  readonly Wih: Tensor;
  readonly Whh: Tensor;
  readonly bih: Tensor;
  readonly bhh: Tensor;

  constructor(engine: Engine, readonly inputSize: number, readonly hiddenSize: number, rng: Rng, opts: GruOptions = {}) {
    super(engine);
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`GRU: ${k} must be a positive integer, got ${v}`);
    }
    const H = hiddenSize;
    const pytorch = uniformInit(1 / Math.sqrt(H));
    const weightInit = opts.weightInit ?? pytorch, biasInit = opts.biasInit ?? pytorch;
    const ih: LayerShape = { fanIn: inputSize, fanOut: 3 * H, layout: 'out-in' };
    const hh: LayerShape = { fanIn: H, fanOut: 3 * H, layout: 'out-in' };
    this.Wih = this.param('W_ih', [3 * H, inputSize], initValues(weightInit, 3 * H * inputSize, ih, rng));
    this.Whh = this.param('W_hh', [3 * H, H], initValues(weightInit, 3 * H * H, hh, rng));
    this.bih = this.param('b_ih', [3 * H], initValues(biasInit, 3 * H, ih, rng));
    this.bhh = this.param('b_hh', [3 * H], initValues(biasInit, 3 * H, hh, rng));
  }

  /**
   * Run over x [T, B, in] from h0 [B, H]. resets [T, B] (optional; 0/1 flags, no gradient):
   * reset_t = 1 zeroes that row's hidden state before step t, i.e. step t starts a new
   * episode (it is the done flag of the transition before step t).
   */
  forward(x: Tensor, h0: Tensor, resets: Tensor | null = null): GruOutput {
    const outputs = gru(x, h0, this.params(), resets);
    const steps = x.shape[0]!;
    return { outputs, last: reshape(slice(outputs, 0, steps - 1, steps), h0.shape) };
  }

  /** One step for acting: x [B, in], h [B, H], resets [B] (optional, as in forward) → h' [B, H]. */
  step(x: Tensor, h: Tensor, resets: Tensor | null = null): Tensor {
    if (x.rank !== 2) throw new RangeError(`GRU.step: x must be [B, in], got ${fmtShape(x.shape)}`);
    if (resets !== null && resets.rank !== 1) throw new RangeError(`GRU.step: resets must be [B], got ${fmtShape(resets.shape)}`);
    const seq = gru(reshape(x, [1, ...x.shape]), h, this.params(), resets === null ? null : reshape(resets, [1, resets.size]));
    return reshape(seq, h.shape);
  }

  /** The four parameters as the op takes them, substituted inside `withParameters` (functional calls). */
  private params(): GruParams {
    return { Wih: this.resolve(this.Wih), Whh: this.resolve(this.Whh), bih: this.resolve(this.bih), bhh: this.resolve(this.bhh) };
  }
}
