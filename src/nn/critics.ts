/**
 * Q-function critics Q(s, a), interchangeable in TD3 and SAC: the usual
 * concatenation MLP, and the hypernetwork critic (SA-Hyper: the state generates
 * the weights of a small network of the action; AS-Hyper is the reverse ablation).
 */
import type { Engine } from '../tensor/engine.js';
import { concat } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { HYPE_RL_HEAD_SIGMA, hypeRlPrimaryWeight, pytorchLinearBias, type HypeRlPrimaryRule, type ParamInit } from './init.js';
import { hypeRlHeadInit } from './hyper-init.js';
import { HyperNetwork } from './hypernetwork.js';
import { Linear, MLP, ResBlock, Sequential, type Layer } from './layers.js';
import { Module } from './module.js';
import type { Rng } from '../core/random.js';

export interface CriticDescription {
  kind: string;
  /** Parameters of one Q-network (a twin critic has two). */
  parametersPerQ: number;
  parameters: number;
  /** Forward FLOPs per sample of one Q-network. */
  flopsPerSamplePerQ: number;
}

export interface Critic extends Module {
  readonly stateDim: number;
  readonly actionDim: number;
  /** [Q1] or [Q1, Q2], each [B, 1]. */
  forward(s: Tensor, a: Tensor): Tensor[];
  /** Q1(s, a) for the actor update: the cheapest graph that still gives ∇ₐQ1. */
  q1ForActor(s: Tensor, a: Tensor): Tensor;
  /** Every Q(s, a) through the same cheapest path (SAC's min over the twin). */
  qsForActor(s: Tensor, a: Tensor): Tensor[];
  describe(): CriticDescription;
}

function checkDims(name: string, stateDim: number, actionDim: number): void {
  for (const [k, v] of [['stateDim', stateDim], ['actionDim', actionDim]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: ${k} must be a positive integer, got ${v}`);
  }
}

export interface MlpCriticOptions {
  stateDim: number;
  actionDim: number;
  hidden?: readonly number[];
  twin?: boolean;
  weightInit?: ParamInit;
}

/** Q(s, a) = MLP(concat(s, a)), hidden 256-256 by default, twin by default. */
export class MlpCritic extends Module implements Critic {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly qs: MLP[];

  constructor(engine: Engine, rng: Rng, opts: MlpCriticOptions) {
    super(engine);
    checkDims('MlpCritic', opts.stateDim, opts.actionDim);
    this.stateDim = opts.stateDim;
    this.actionDim = opts.actionDim;
    const sizes = [opts.stateDim + opts.actionDim, ...(opts.hidden ?? [256, 256]), 1];
    const n = opts.twin === false ? 1 : 2;
    this.qs = Array.from({ length: n }, (_, i) => this.child(`q${i + 1}`, new MLP(engine, sizes, rng, { weightInit: opts.weightInit })));
  }

  forward(s: Tensor, a: Tensor): Tensor[] {
    const sa = concat([s, a], 1);
    return this.qs.map((q) => q.forward(sa));
  }

  q1ForActor(s: Tensor, a: Tensor): Tensor {
    return this.qs[0]!.forward(concat([s, a], 1));
  }

  qsForActor(s: Tensor, a: Tensor): Tensor[] {
    return this.forward(s, a);
  }

  describe(): CriticDescription {
    const q = this.qs[0]!;
    return { kind: `mlp ${q.sizes.join('-')}${this.qs.length > 1 ? ' twin' : ''}`, parametersPerQ: q.parameterCount(), parameters: this.parameterCount(), flopsPerSamplePerQ: q.flopsPerSample() };
  }
}

export type HyperCriticPreset = 'paper' | 'compact';

export interface HyperCriticOptions {
  stateDim: number;
  actionDim: number;
  /** 'paper': HypeRL's ResNet primary (z = 1024, dynamic 256); 'compact': z = 256, dynamic 64. */
  preset?: HyperCriticPreset;
  twin?: boolean;
  /** HypeRL's primary-weight rule: TD3 U(±1/(2√fan_in)), SAC U(±1/√(2 fan_in)). */
  initRule?: HypeRlPrimaryRule;
  /** AS-Hyper ablation: the action generates the weights of a network of the state. */
  reverse?: boolean;
}

/** Preset geometry: primary widths (each followed by ResBlocks), ResBlocks per width, dynamic hidden width. */
const PRESETS: Record<HyperCriticPreset, { widths: number[]; resBlocks: number; dynamicHidden: number }> = {
  paper: { widths: [256, 512, 1024], resBlocks: 2, dynamicHidden: 256 },
  compact: { widths: [256], resBlocks: 1, dynamicHidden: 64 },
};

/** HypeRL's head σ_h (0.05 hidden, 0.008 output) are for this embedding width. */
const PAPER_Z = 1024;

function primaryNetwork(engine: Engine, inputDim: number, widths: readonly number[], resBlocks: number, rule: HypeRlPrimaryRule, rng: Rng): Layer {
  const init = { weightInit: hypeRlPrimaryWeight(rule), biasInit: pytorchLinearBias };
  const layers: Layer[] = [];
  let prev = inputDim;
  for (const w of widths) {
    layers.push(new Linear(engine, prev, w, rng, init));
    for (let r = 0; r < resBlocks; r++) layers.push(new ResBlock(engine, w, rng, init));
    prev = w;
  }
  return new Sequential(engine, layers);
}

/** Twin-capable hypernetwork critic (SA-Hyper by default). */
export class HyperCritic extends Module implements Critic {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly preset: HyperCriticPreset;
  readonly reverse: boolean;
  readonly qs: HyperNetwork[];

  constructor(engine: Engine, rng: Rng, opts: HyperCriticOptions) {
    super(engine);
    checkDims('HyperCritic', opts.stateDim, opts.actionDim);
    this.stateDim = opts.stateDim;
    this.actionDim = opts.actionDim;
    this.preset = opts.preset ?? 'compact';
    if (!(this.preset in PRESETS)) throw new RangeError(`HyperCritic: unknown preset '${this.preset}'; expected ${Object.keys(PRESETS).join(' or ')}`);
    this.reverse = opts.reverse ?? false;
    const { widths, resBlocks, dynamicHidden } = PRESETS[this.preset];
    const [metaDim, baseDim] = this.reverse ? [opts.actionDim, opts.stateDim] : [opts.stateDim, opts.actionDim];
    // HypeRL's σ_h are for z = 1024; a narrower z gets σ·√(1024/z) so the generated weights keep the paper's scale.
    const zDim = widths[widths.length - 1]!;
    const sigmaScale = Math.sqrt(PAPER_Z / zDim);
    const n = opts.twin === false ? 1 : 2;
    this.qs = Array.from({ length: n }, (_, i) => this.child(`q${i + 1}`, new HyperNetwork(
      engine,
      primaryNetwork(engine, metaDim, widths, resBlocks, opts.initRule ?? 'td3', rng),
      [
        { inputSize: baseDim, outputSize: dynamicHidden, act: 'relu', headInit: hypeRlHeadInit(HYPE_RL_HEAD_SIGMA.firstDynamicLayer * sigmaScale) },
        { inputSize: dynamicHidden, outputSize: 1, act: 'identity', headInit: hypeRlHeadInit(HYPE_RL_HEAD_SIGMA.outputLayer * sigmaScale) },
      ],
      rng,
    )));
  }

  forward(s: Tensor, a: Tensor): Tensor[] {
    const [meta, base] = this.reverse ? [a, s] : [s, a];
    return this.qs.map((q) => q.forward(meta, base));
  }

  q1ForActor(s: Tensor, a: Tensor): Tensor {
    return this.actorPath(this.qs[0]!, s, a);
  }

  qsForActor(s: Tensor, a: Tensor): Tensor[] {
    return this.qs.map((q) => this.actorPath(q, s, a));
  }

  /** SA-Hyper: the state only generates weights, so ∇ₐQ needs the dynamic network alone. */
  private actorPath(q: HyperNetwork, s: Tensor, a: Tensor): Tensor {
    return this.reverse ? q.forward(a, s) : q.forwardDynamicOnly(s, a);
  }

  describe(): CriticDescription {
    const q = this.qs[0]!;
    return {
      kind: `hyper ${this.preset}${this.reverse ? ' AS (reverse)' : ''}${this.qs.length > 1 ? ' twin' : ''}`,
      parametersPerQ: q.parameterCount(), parameters: this.parameterCount(), flopsPerSamplePerQ: q.flopsPerSample(),
    };
  }
}
