/**
 * Q-function critics Q(s, a), interchangeable in TD3 and SAC: the usual
 * concatenation MLP, and the hypernetwork critic (SA-Hyper: the state generates
 * the weights of a small network of the action; AS-Hyper is the reverse ablation).
 */
import type { Engine } from '../tensor/engine.js';
import { concat, reshape, slice } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { HYPE_RL_HEAD_SIGMA, hypeRlPrimaryBound, hypeRlPrimaryWeight, pytorchLinearBias, type HypeRlPrimaryRule, type ParamInit } from './init.js';
import { hypeRlHeadInit } from './hyper-init.js';
import { HyperNetwork } from './hypernetwork.js';
import { EnsembleMLP, Linear, ResBlock, Sequential, type Layer, type MlpOptions, type StateValues } from './layers.js';
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
  /** Bias and output-layer inits (PEARL's rlkit networks); PyTorch's nn.Linear by default. */
  init?: Pick<MlpOptions, 'biasInit' | 'outputWeightInit' | 'outputBiasInit'>;
}

/**
 * Q(s, a) = MLP(concat(s, a)), hidden 256-256 by default, twin by default. The Qs are one
 * EnsembleMLP (each layer's weights stacked [Q, in, out], parameters `qs.<l>.W`, `qs.<l>.b`):
 * the twin critics are computed by one batched GEMM per layer, whose members the native backend
 * runs on different threads, with the numbers of separate MLPs.
 */
export class MlpCritic extends Module implements Critic {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly qs: EnsembleMLP;

  constructor(engine: Engine, rng: Rng, opts: MlpCriticOptions) {
    super(engine);
    checkDims('MlpCritic', opts.stateDim, opts.actionDim);
    this.stateDim = opts.stateDim;
    this.actionDim = opts.actionDim;
    const sizes = [opts.stateDim + opts.actionDim, ...(opts.hidden ?? [256, 256]), 1];
    this.qs = this.child('qs', new EnsembleMLP(engine, opts.twin === false ? 1 : 2, sizes, rng, { ...opts.init, weightInit: opts.weightInit }));
  }

  forward(s: Tensor, a: Tensor): Tensor[] {
    const batch = s.shape[0]!;
    const q = this.qs.forward(concat([s, a], 1));
    return Array.from({ length: this.qs.members }, (_, e) => reshape(slice(q, 0, e, e + 1), [batch, 1]));
  }

  q1ForActor(s: Tensor, a: Tensor): Tensor {
    return this.qs.forwardMember(concat([s, a], 1), 0);
  }

  qsForActor(s: Tensor, a: Tensor): Tensor[] {
    return this.forward(s, a);
  }

  /** Also reads checkpoints written before the ensemble layout: one MLP per Q (`q1.<l>.W`, `q2.<l>.W`, …). */
  override loadStateDict(state: StateValues): void {
    if (!Object.keys(state).some((k) => k.startsWith('q1.'))) {
      super.loadStateDict(state);
      return;
    }
    const perQ = Array.from({ length: this.qs.members }, (_, e) => Object.fromEntries(Object.entries(state)
      .filter(([k]) => k.startsWith(`q${e + 1}.`)).map(([k, v]) => [k.slice(`q${e + 1}.`.length), v])));
    const unknown = Object.keys(state).filter((k) => !/^q\d+\./.test(k) || Number(k.slice(1, k.indexOf('.'))) > this.qs.members);
    if (unknown.length > 0) throw new Error(`loadStateDict: unexpected parameters ${unknown.join(', ')}`);
    super.loadStateDict(Object.fromEntries(Object.entries(this.qs.stackMemberStates(perQ)).map(([k, v]) => [`qs.${k}`, v])));
  }

  describe(): CriticDescription {
    const { qs } = this;
    return {
      kind: `mlp ${qs.sizes.join('-')}${qs.members > 1 ? ' twin' : ''}`,
      parametersPerQ: qs.parameterCount() / qs.members, parameters: this.parameterCount(), flopsPerSamplePerQ: qs.flopsPerSample(),
    };
  }
}

/**
 * `paper`: HypeRL's critic. `compact`: a smaller primary network calibrated to the paper's
 * generated-parameter scale (see `calibrateToPaper`). `compact-uncalibrated`: the same geometry
 * with head σ·√(1024/z) and no first-layer rescaling, as used by results/hyperl/reproduction
 * (its generated weights were 5-12× the paper's at initialisation).
 */
export type HyperCriticPreset = 'paper' | 'compact' | 'compact-uncalibrated';
export const HYPER_CRITIC_PRESETS: readonly HyperCriticPreset[] = ['compact', 'paper', 'compact-uncalibrated'];

export interface HyperCriticOptions {
  stateDim: number;
  actionDim: number;
  /** 'paper': HypeRL's ResNet primary (z = 1024, dynamic 256); 'compact': z = 256, dynamic 64, calibrated to the paper's scale. */
  preset?: HyperCriticPreset;
  twin?: boolean;
  /** HypeRL's primary-weight rule: TD3 U(±1/(2√fan_in)), SAC U(±1/√(2 fan_in)). */
  initRule?: HypeRlPrimaryRule;
  /** AS-Hyper ablation: the action generates the weights of a network of the state. */
  reverse?: boolean;
}

/** Primary widths (each a Linear followed by ResBlocks) and ResBlocks per width. */
export interface PrimaryGeometry {
  widths: readonly number[];
  resBlocks: number;
}

/** Preset geometry: the primary network and the dynamic hidden width (shared with the MAML hyper policy). */
export const HYPER_PRESET_GEOMETRY: Record<HyperCriticPreset, PrimaryGeometry & { dynamicHidden: number }> = {
  paper: { widths: [256, 512, 1024], resBlocks: 2, dynamicHidden: 256 },
  compact: { widths: [256], resBlocks: 1, dynamicHidden: 64 },
  'compact-uncalibrated': { widths: [256], resBlocks: 1, dynamicHidden: 64 },
};

/** The width of the embedding z a primary network ends in. */
const embeddingWidth = (geometry: PrimaryGeometry): number => geometry.widths[geometry.widths.length - 1]!;

/**
 * The primary network's mean-field map at initialisation: an input whose components have
 * mean square q gives an embedding whose units have expected square α + β·q (expectation over
 * the random init). Exact in expectation: zero-mean weights make every pre-activation
 * zero-mean and symmetric, so a ReLU halves its mean square, and a residual branch adds with
 * no cross term. A Linear(n → m) maps q to n·Var(w)·q + Var(b); a ResBlock x + B(relu(A(relu x)))
 * of width w maps q to q(1 + c²/4) + c·v/2 + v with c = w·Var(w), v = Var(b). `firstWeightScale`
 * multiplies the first Linear's weight bound (so its variance by the square).
 */
export function primaryMeanSquare(inputDim: number, geometry: PrimaryGeometry, rule: HypeRlPrimaryRule, firstWeightScale = 1): { alpha: number; beta: number } {
  // Weights U(±bound) have variance bound²/3; PyTorch-default biases U(±1/√fan_in) have 1/(3·fan_in).
  const weightGain = (fanIn: number): number => (fanIn * hypeRlPrimaryBound(rule, fanIn) ** 2) / 3;
  const biasVar = (fanIn: number): number => 1 / (3 * fanIn);
  let alpha = 0, beta = 1, fanIn = inputDim;
  geometry.widths.forEach((w, i) => {
    const c = weightGain(fanIn) * (i === 0 ? firstWeightScale ** 2 : 1);
    alpha = c * alpha + biasVar(fanIn);
    beta *= c;
    for (let r = 0; r < geometry.resBlocks; r++) {
      const cw = weightGain(w), v = biasVar(w);
      alpha = alpha * (1 + (cw * cw) / 4) + (cw * v) / 2 + v;
      beta *= 1 + (cw * cw) / 4;
    }
    fanIn = w;
  });
  return { alpha, beta };
}

/**
 * How a preset's initialisation is scaled so that its generated weights, biases and gains have
 * the `paper` critic's statistics for every input: a generated parameter is a head row · z, with
 * head weights U(±σ), so its variance is σ²/3 · |z|² = σ²/3 · z_dim · (α + β·q). Matching that
 * for every q takes two factors: the first Linear's weights × √k, with k chosen so that α/(kβ)
 * equals the paper's α/β (the state's share of |z|² is then the paper's), and the head σ × s
 * with s² = (1024·α_paper) / (z_dim·α). For `paper` itself both are 1. On Gymnasium states the
 * generated statistics agree within a few percent (test/nn/critics.test.ts).
 */
export function calibrateToPaper(inputDim: number, geometry: PrimaryGeometry, rule: HypeRlPrimaryRule): { firstWeightScale: number; headSigmaScale: number } {
  const paper = primaryMeanSquare(inputDim, HYPER_PRESET_GEOMETRY.paper, rule);
  const own = primaryMeanSquare(inputDim, geometry, rule);
  const k = (own.alpha * paper.beta) / (own.beta * paper.alpha);
  return { firstWeightScale: Math.sqrt(k), headSigmaScale: Math.sqrt((embeddingWidth(HYPER_PRESET_GEOMETRY.paper) * paper.alpha) / (embeddingWidth(geometry) * own.alpha)) };
}

export function primaryNetwork(engine: Engine, inputDim: number, geometry: PrimaryGeometry, rule: HypeRlPrimaryRule, firstWeightScale: number, rng: Rng): Layer {
  const layers: Layer[] = [];
  let prev = inputDim;
  geometry.widths.forEach((w, i) => {
    const init = { weightInit: hypeRlPrimaryWeight(rule), biasInit: pytorchLinearBias };
    // Only the first Linear is rescaled: the mean-field rule of calibrateToPaper assumes exactly that.
    layers.push(new Linear(engine, prev, w, rng, { ...init, weightInit: hypeRlPrimaryWeight(rule, i === 0 ? firstWeightScale : 1) }));
    for (let r = 0; r < geometry.resBlocks; r++) layers.push(new ResBlock(engine, w, rng, init));
    prev = w;
  });
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
    if (!(this.preset in HYPER_PRESET_GEOMETRY)) throw new RangeError(`HyperCritic: unknown preset '${this.preset}'; expected ${Object.keys(HYPER_PRESET_GEOMETRY).join(' or ')}`);
    this.reverse = opts.reverse ?? false;
    const geometry = HYPER_PRESET_GEOMETRY[this.preset];
    const [metaDim, baseDim] = this.reverse ? [opts.actionDim, opts.stateDim] : [opts.stateDim, opts.actionDim];
    const rule = opts.initRule ?? 'td3';
    const { firstWeightScale, headSigmaScale } = this.preset === 'compact-uncalibrated'
      ? { firstWeightScale: 1, headSigmaScale: Math.sqrt(embeddingWidth(HYPER_PRESET_GEOMETRY.paper) / embeddingWidth(geometry)) }
      : calibrateToPaper(metaDim, geometry, rule);
    const n = opts.twin === false ? 1 : 2;
    this.qs = Array.from({ length: n }, (_, i) => this.child(`q${i + 1}`, new HyperNetwork(
      engine,
      primaryNetwork(engine, metaDim, geometry, rule, firstWeightScale, rng),
      [
        { inputSize: baseDim, outputSize: geometry.dynamicHidden, act: 'relu', headInit: hypeRlHeadInit(HYPE_RL_HEAD_SIGMA.firstDynamicLayer * headSigmaScale) },
        { inputSize: geometry.dynamicHidden, outputSize: 1, act: 'identity', headInit: hypeRlHeadInit(HYPE_RL_HEAD_SIGMA.outputLayer * headSigmaScale) },
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
