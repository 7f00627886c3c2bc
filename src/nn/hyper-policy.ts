/**
 * HyperPolicy π(a | s, c): a primary network of the task/context c generates the
 * weights of a policy network over the state. Weights are generated once per task
 * and shared by all of that task's states (Sarafian et al.'s variance argument;
 * Beck et al.'s meta-RL hypernetworks), and initialised with Bias-HyperInit by
 * default, so at the start every context yields the same, correctly initialised policy.
 */
import type { Engine } from '../tensor/engine.js';
import { Act, type ActName } from '../tensor/kernels.js';
import { activation, add, addScalar, clamp, mul } from '../tensor/ops/elementwise.js';
import { matmul } from '../tensor/ops/matmul.js';
import { concat, reshape, slice } from '../tensor/ops/shape.js';
import { fmtShape, type Tensor } from '../tensor/tensor.js';
import { biasHyperInit, type HeadScheme } from './hyper-init.js';
import { HyperNetwork } from './hypernetwork.js';
import { gainFor, normc } from './init.js';
import { MLP } from './layers.js';
import { Module } from './module.js';
import type { Rng } from '../core/random.js';

export type PolicyDistribution = 'gaussian' | 'tanh-gaussian';

export interface HyperPolicyOptions {
  contextDim: number;
  stateDim: number;
  actionDim: number;
  /** Hidden widths of the generated policy network. */
  hidden?: readonly number[];
  /** Widths of the primary network c → … → z (its last entry is the embedding size d_l). */
  embedding?: readonly number[];
  /** Activation of the generated network's hidden layers. */
  act?: 'tanh' | 'relu';
  /** 'gaussian': state-independent learned log-std; 'tanh-gaussian': generated log-std, clamped to [−20, 2]. */
  distribution?: PolicyDistribution;
  /** Head initialisation of hidden layers and of the output layer (defaults: Bias-HyperInit with normc). */
  hiddenHeadInit?: HeadScheme;
  outputHeadInit?: HeadScheme;
}

export interface PolicyOutput {
  mean: Tensor;
  /** [B, actionDim] (generated) or [actionDim] (learned, broadcasts). */
  logStd: Tensor;
}

export class HyperPolicy extends Module {
  readonly hyper: HyperNetwork;
  readonly logStdParam: Tensor | null;
  readonly distribution: PolicyDistribution;
  readonly contextDim: number;
  readonly stateDim: number;
  readonly actionDim: number;

  constructor(engine: Engine, rng: Rng, opts: HyperPolicyOptions) {
    super(engine);
    for (const k of ['contextDim', 'stateDim', 'actionDim'] as const) {
      if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new RangeError(`HyperPolicy: ${k} must be a positive integer, got ${opts[k]}`);
    }
    this.contextDim = opts.contextDim;
    this.stateDim = opts.stateDim;
    this.actionDim = opts.actionDim;
    this.distribution = opts.distribution ?? 'gaussian';
    const act: ActName = opts.act ?? 'tanh';
    const hidden = opts.hidden ?? [256, 256];
    const outputs = this.distribution === 'tanh-gaussian' ? 2 * opts.actionDim : opts.actionDim;
    const sizes = [opts.stateDim, ...hidden, outputs];
    // Beck et al.'s base init: normc with the activation's gain for hidden layers, gain 1 for the Gaussian head.
    const hiddenInit = opts.hiddenHeadInit ?? biasHyperInit(normc(gainFor(act)));
    const outputInit = opts.outputHeadInit ?? biasHyperInit(normc(1));
    const primary = new MLP(engine, [opts.contextDim, ...(opts.embedding ?? [64])], rng, { hiddenAct: 'relu', outputAct: 'relu' });
    this.hyper = this.child('hyper', new HyperNetwork(engine, primary, sizes.slice(0, -1).map((inp, l) => ({
      inputSize: inp, outputSize: sizes[l + 1]!, act: l === sizes.length - 2 ? 'identity' : act,
      headInit: l === sizes.length - 2 ? outputInit : hiddenInit,
    })), rng));
    this.logStdParam = this.distribution === 'gaussian' ? this.param('logStd', [opts.actionDim], new Float32Array(opts.actionDim)) : null;
  }

  /**
   * contexts: [T, contextDim], one row per task; states: [T·n, stateDim], task t's
   * n states in rows t·n … t·n + n − 1. Each task's weights are generated once.
   */
  forward(contexts: Tensor, states: Tensor): PolicyOutput {
    const tasks = contexts.shape[0]!;
    if (contexts.rank !== 2 || contexts.shape[1] !== this.contextDim) throw new RangeError(`HyperPolicy: contexts must be [T, ${this.contextDim}], got ${fmtShape(contexts.shape)}`);
    if (states.rank !== 2 || states.shape[1] !== this.stateDim || states.shape[0]! % tasks !== 0) {
      throw new RangeError(`HyperPolicy: states must be [T·n, ${this.stateDim}] with T = ${tasks} tasks, got ${fmtShape(states.shape)}`);
    }
    const perTask = states.shape[0]! / tasks;
    const generated = this.hyper.generate(contexts);
    const outs: Tensor[] = [];
    for (let t = 0; t < tasks; t++) {
      let x = tasks === 1 ? states : slice(states, 0, t * perTask, (t + 1) * perTask);
      this.hyper.dynamicLayers.forEach((l, i) => {
        const row = tasks === 1 ? generated[i]! : slice(generated[i]!, 0, t, t + 1);
        const wn = l.outputSize * l.inputSize;
        const w = reshape(slice(row, 1, 0, wn), [l.outputSize, l.inputSize]);
        const c = slice(row, 1, wn, wn + l.outputSize);
        const gain = addScalar(slice(row, 1, wn + l.outputSize, wn + 2 * l.outputSize), 1);
        x = activation(add(mul(matmul(x, w, false, true), gain), c), Act[l.act]);
      });
      outs.push(x);
    }
    const out = outs.length === 1 ? outs[0]! : concat(outs, 0);
    if (this.logStdParam !== null) return { mean: out, logStd: this.logStdParam };
    return { mean: slice(out, 1, 0, this.actionDim), logStd: clamp(slice(out, 1, this.actionDim, 2 * this.actionDim), -20, 2) };
  }

  flopsPerSample(): number {
    return this.hyper.dynamicLayers.reduce((s, l) => s + 2 * l.inputSize * l.outputSize, 0);
  }
}
