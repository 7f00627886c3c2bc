/**
 * Meta-RL actor-critics conditioned on a task embedding (Beck, Jackson, Vuorio &
 * Whiteson, "Hypernetworks in Meta-Reinforcement Learning", CoRL 2022; code
 * jacooba/hyper, models/policy.py; hyperrl's spec Part B.2–B.3).
 *
 *   obs  → Linear(d_s → S) + act                      state encoder, never generated
 *   cond → Linear(d_c → d_l) + act                    conditioning encoder (e), optional
 *   actor : S → H₁ → H₂ → d_a (Gaussian mean)   critic: S → H₁ → H₂ → 1 (value)
 *
 * The conditioning input is whatever the task is inferred or given as: VariBAD's
 * (mean, logvar) of the latent (normalised by the caller's running statistics), a
 * recurrent encoder's output (RL², RNN+HN), or the true task vector (Multi+HN, the
 * upper bound). Architectures:
 * - 'standard': the actor and critic are MLPs over concat(state embedding, e).
 * - 'hypernetwork': every actor and critic layer is generated, per sample, by a head
 *   that is a linear map of e (separate heads for actor and critic, heads with
 *   biases), and applied by the fused dynamic-layer kernel: y = act(W(e)·x + c(e)).
 * - 'film': base weights are ordinary parameters (no biases) and heads generate a
 *   per-unit scale s(e) and shift t(e): y = act(s ⊙ (W x) + t).
 * Initialisations (spec B.2), with the gains of the authors' code: `baseInit` f is
 * the base network's own init (normc, orthogonal or Kaiming), `hyperInit` how the
 * heads are set: naive (f applied to the head itself), HFI, Weight-, Bias- or both
 * HyperInit. docs/meta-policies.md gives every formula.
 *
 * The Gaussian's log-std is one free vector (init log initStd), its std floored at
 * 1e-6; action means are not squashed. Memory: a hypernetwork generates its whole
 * base network for every sample (198,279 values per sample at the XL size for
 * HalfCheetah), so a batch of B samples holds B times that in the forward pass and
 * again in the backward.
 */
import type { Engine } from '../tensor/engine.js';
import { Act, type ActName } from '../tensor/kernels.js';
import { dynamicLinear, dynamicParamCount } from '../tensor/ops/dynamic.js';
import { activation, add, maximum, mul } from '../tensor/ops/elementwise.js';
import { concat, slice } from '../tensor/ops/shape.js';
import { fmtShape, type Tensor } from '../tensor/tensor.js';
import {
  biasHyperInit, combinedHeadInit, filmHyperInit, hyperfanInHeadInit, naiveFilmHeadInit, naiveHeadInit, weightAndBiasHyperInit,
  weightHyperInit, allocateHead, type FilmHeadScheme, type HeadScheme, type HeadSpec,
} from './hyper-init.js';
import { fillUniform, gainFor, kaimingUniform, normc, orthogonal, pytorchLinearBias, pytorchLinearWeight, zerosInit, type ParamInit } from './init.js';
import { Linear, Sequential } from './layers.js';
import { Module } from './module.js';
import type { Rng } from '../core/random.js';

export type MetaPolicyArchitecture = 'standard' | 'hypernetwork' | 'film';
/** The base network's own init f (Beck et al.'s `policy_initialisation`). */
export type BaseInit = 'normc' | 'orthogonal' | 'kaiming';
/** How the heads are initialised (spec B.2). */
export type HyperInit = 'naive' | 'hyperfan-in' | 'weight-hyperinit' | 'bias-hyperinit' | 'weight-and-bias-hyperinit';

/** (state embedding S, hidden widths) of Beck et al.'s `make_pol_size` presets; XL is their default. */
export const META_POLICY_SIZES = {
  XS: { stateEmbedding: 64, hidden: [64, 32] },
  S: { stateEmbedding: 128, hidden: [64, 64] },
  M: { stateEmbedding: 128, hidden: [128, 64] },
  L: { stateEmbedding: 256, hidden: [128, 128] },
  XL: { stateEmbedding: 256, hidden: [256, 128] },
  XXL: { stateEmbedding: 1024, hidden: [512, 512] },
} as const satisfies Record<string, { stateEmbedding: number; hidden: readonly number[] }>;

interface MetaPolicyCommon {
  stateDim: number;
  /** d_c: 2·latent_dim for VariBAD's (mean, logvar), the recurrent state size, or the task dimension (Multi+HN). */
  conditioningDim: number;
  actionDim: number;
  /** d_l of the conditioning encoder Linear(d_c → d_l) + act; null feeds the conditioning input to the heads as is (d_l = d_c). Default 25. */
  embeddingDim?: number | null;
  /** S, the state encoder's width (default 256, XL). */
  stateEmbedding?: number;
  /** Hidden widths of actor and critic (default [256, 128], XL). */
  hidden?: readonly number[];
  /** Activation of every layer but the outputs (default tanh, Beck et al.'s MuJoCo setting). */
  act?: 'tanh' | 'relu';
  /** f (default normc, Beck et al.'s MuJoCo default). */
  baseInit?: BaseInit;
  /** Initial standard deviation of the Gaussian (default 1). */
  initStd?: number;
}

export type MetaPolicyOptions = MetaPolicyCommon & (
  | { architecture: 'standard' }
  | {
    architecture: 'hypernetwork';
    /** Default bias-hyperinit (Beck et al.'s proposal). */
    hyperInit?: HyperInit;
    /**
     * Beck et al.'s code gives the head of the critic's output bias a U(−1, 1) bias under
     * the Weight/Bias/both HyperInits (a fan-in computed on an (H, 1) tensor). Default false:
     * that bias starts at 0 like every other generated bias.
     */
    criticOutputBiasQuirk?: boolean;
  }
  | { architecture: 'film'; hyperInit?: Exclude<HyperInit, 'hyperfan-in'>; criticOutputBiasQuirk?: boolean }
);

export interface MetaPolicyOutput {
  /** [B, d_a] Gaussian means (not squashed). */
  mean: Tensor;
  /** [d_a] log-std, shared by every sample (broadcasts against mean). */
  logStd: Tensor;
  /** [B, 1] state values. */
  value: Tensor;
}

/** What an on-policy algorithm needs from a conditioned Gaussian actor-critic. */
export interface ConditionedActorCritic extends Module {
  readonly stateDim: number;
  readonly conditioningDim: number;
  readonly actionDim: number;
  /** obs [B, d_s], conditioning [B, d_c] → means, log-std and values. */
  forward(obs: Tensor, conditioning: Tensor): MetaPolicyOutput;
}

/** Smallest standard deviation of the Gaussian (Beck et al.'s min_std). */
export const META_POLICY_MIN_STD = 1e-6;

/** torch.nn.init.kaiming_uniform_'s default gain (a = 0, leaky_relu): Beck et al.'s matched Kaiming ignores the activation's gain. */
const MATCHED_KAIMING_GAIN = Math.SQRT2;

const baseInitFn = (f: BaseInit, gain: number): ParamInit =>
  f === 'normc' ? normc(gain) : f === 'orthogonal' ? orthogonal(gain) : kaimingUniform(gain);

/** The layer roles whose inits differ in Beck et al.'s code. */
type Role = 'hidden' | 'actorOutput' | 'criticOutput';

/** A head scheme whose bias head gets biases U(−1, 1) (the critic-output quirk). */
function withUniformBiasHeadBias(scheme: HeadScheme): HeadScheme {
  return {
    name: `${scheme.name}+criticBiasQuirk`,
    weightHead: scheme.weightHead,
    biasHead(head, spec, rng) { scheme.biasHead(head, spec, rng); fillUniform(head.bias, -1, 1, rng); },
  };
}

/**
 * The head scheme of a generated layer (spec B.2 with models/policy.py's gains):
 * naive: f with the activation's gain on every head, outputs included (the code's init_);
 * HFI: the activation's gain for hidden layers, 1 for both outputs (dist_gain, linear value);
 * matched inits: f with the activation's gain for hidden layers, normc(1) for the Gaussian
 * head, Kaiming for the value head; matched Kaiming uses gain √2 throughout.
 */
function hyperHeadScheme(role: Role, f: BaseInit, init: HyperInit, hiddenGain: number, quirk: boolean): HeadScheme {
  if (init === 'naive') return naiveHeadInit(baseInitFn(f, hiddenGain));
  if (init === 'hyperfan-in') return hyperfanInHeadInit(role === 'hidden' ? hiddenGain : 1);
  const matched = init === 'weight-hyperinit' ? weightHyperInit : init === 'bias-hyperinit' ? biasHyperInit : weightAndBiasHyperInit;
  const baseF = role === 'criticOutput' || f === 'kaiming' ? kaimingUniform(MATCHED_KAIMING_GAIN)
    : role === 'actorOutput' ? normc(1) : baseInitFn(f, hiddenGain);
  const scheme = matched(baseF);
  return role === 'criticOutput' && quirk ? withUniformBiasHeadBias(scheme) : scheme;
}

function filmHeadScheme(role: Role, f: BaseInit, init: Exclude<HyperInit, 'hyperfan-in'>, hiddenGain: number, quirk: boolean): FilmHeadScheme {
  if (init === 'naive') return naiveFilmHeadInit(baseInitFn(f, hiddenGain));
  const scheme = filmHyperInit({ weight: init !== 'bias-hyperinit', bias: init !== 'weight-hyperinit' });
  if (role !== 'criticOutput' || !quirk) return scheme;
  return { ...scheme, shiftHead(head, spec, rng) { scheme.shiftHead(head, spec, rng); fillUniform(head.bias, -1, 1, rng); } };
}

/** A network of the state embedding x [B, S] conditioned on e [B, d_l]. */
export interface ConditionedNetwork extends Module {
  forward(x: Tensor, e: Tensor): Tensor;
  /** Values the heads generate per sample (0 for the standard MLP). */
  readonly generatedPerSample: number;
  flopsPerSample(): number;
}

/** sizes[0] → … → sizes[n]: the layer widths, with the activation on all but the last layer. */
const layerAct = (sizes: readonly number[], l: number, act: ActName): ActName => (l === sizes.length - 2 ? 'identity' : act);

/** Standard: an MLP over concat(x, e); hidden weights f, biases 0; the output layer's init is the caller's. */
export class ConcatenationNetwork extends Module implements ConditionedNetwork {
  readonly net: Sequential;
  readonly generatedPerSample = 0;

  constructor(engine: Engine, sizes: readonly number[], embeddingDim: number, act: ActName, hiddenInit: ParamInit, output: { weightInit: ParamInit; biasInit: ParamInit }, rng: Rng) {
    super(engine);
    const widths = [sizes[0]! + embeddingDim, ...sizes.slice(1)];
    this.net = this.child('net', new Sequential(engine, widths.slice(0, -1).map((inp, l) => new Linear(engine, inp, widths[l + 1]!, rng,
      l === widths.length - 2 ? { ...output, act: 'identity' } : { act, weightInit: hiddenInit, biasInit: zerosInit }))));
  }

  forward(x: Tensor, e: Tensor): Tensor {
    return this.net.forward(concat([x, e], 1));
  }

  flopsPerSample(): number {
    return this.net.flopsPerSample();
  }
}

/** Hypernetwork: per layer one head Linear(d_l → out·in + out) generating [W (out×in) | c]. */
export class GeneratedNetwork extends Module implements ConditionedNetwork {
  readonly heads: Linear[];
  readonly generatedPerSample: number;

  constructor(engine: Engine, readonly sizes: readonly number[], embeddingDim: number, readonly act: ActName, schemes: readonly HeadScheme[], rng: Rng) {
    super(engine);
    this.heads = sizes.slice(0, -1).map((inp, l) => {
      const spec: HeadSpec = { embeddingDim, base: { fanIn: inp, fanOut: sizes[l + 1]!, layout: 'out-in' } };
      const init = combinedHeadInit(schemes[l]!, spec, ['weight', 'bias'], rng);
      return this.child(String(l), new Linear(engine, embeddingDim, dynamicParamCount(inp, sizes[l + 1]!, false), rng, {
        weightInit: (target) => target.set(init.weight), biasInit: (target) => target.set(init.bias),
      }));
    });
    this.generatedPerSample = this.heads.reduce((n, h) => n + h.outputSize, 0);
  }

  /** Each layer's generated [W | c] rows for a batch of embeddings: [B, out·in + out]. */
  generate(e: Tensor): Tensor[] {
    return this.heads.map((h) => h.forward(e));
  }

  forward(x: Tensor, e: Tensor): Tensor {
    let h = x;
    this.heads.forEach((head, l) => { h = dynamicLinear(h, head.forward(e), this.sizes[l + 1]!, Act[layerAct(this.sizes, l, this.act)], false); });
    return h;
  }

  flopsPerSample(): number {
    let f = 0;
    this.heads.forEach((head, l) => { f += head.flopsPerSample() + 2 * this.sizes[l]! * this.sizes[l + 1]!; });
    return f;
  }
}

/** FiLM: per layer a bias-free base Linear and one head Linear(d_l → 2·out) generating [scale | shift]. */
export class FilmNetwork extends Module implements ConditionedNetwork {
  readonly base: Linear[];
  readonly heads: Linear[];
  readonly generatedPerSample: number;

  constructor(engine: Engine, readonly sizes: readonly number[], embeddingDim: number, readonly act: ActName, baseInits: readonly ParamInit[], schemes: readonly FilmHeadScheme[], rng: Rng) {
    super(engine);
    this.base = sizes.slice(0, -1).map((inp, l) => this.child(`base${l}`, new Linear(engine, inp, sizes[l + 1]!, rng, { bias: false, weightInit: baseInits[l] })));
    this.heads = sizes.slice(1).map((out, l) => {
      const spec: HeadSpec = { embeddingDim, base: { fanIn: sizes[l]!, fanOut: out, layout: 'out-in' } };
      const scale = allocateHead(spec, 'bias', Float32Array), shift = allocateHead(spec, 'bias', Float32Array);
      schemes[l]!.scaleHead(scale, spec, rng);
      schemes[l]!.shiftHead(shift, spec, rng);
      const weight = new Float32Array(embeddingDim * 2 * out);
      for (let k = 0; k < embeddingDim; k++) {
        weight.set(scale.weight.subarray(k * out, (k + 1) * out), k * 2 * out);
        weight.set(shift.weight.subarray(k * out, (k + 1) * out), k * 2 * out + out);
      }
      const bias = new Float32Array(2 * out);
      bias.set(scale.bias, 0);
      bias.set(shift.bias, out);
      return this.child(`head${l}`, new Linear(engine, embeddingDim, 2 * out, rng, { weightInit: (t) => t.set(weight), biasInit: (t) => t.set(bias) }));
    });
    this.generatedPerSample = this.heads.reduce((n, h) => n + h.outputSize, 0);
  }

  /** Each layer's generated [scale | shift] rows for a batch of embeddings: [B, 2·out]. */
  generate(e: Tensor): Tensor[] {
    return this.heads.map((h) => h.forward(e));
  }

  forward(x: Tensor, e: Tensor): Tensor {
    let h = x;
    this.base.forEach((layer, l) => {
      const out = this.sizes[l + 1]!, st = this.heads[l]!.forward(e);
      h = activation(add(mul(layer.forward(h), slice(st, 1, 0, out)), slice(st, 1, out, 2 * out)), Act[layerAct(this.sizes, l, this.act)]);
    });
    return h;
  }

  flopsPerSample(): number {
    let f = 0;
    this.base.forEach((layer, l) => { f += layer.flopsPerSample() + this.heads[l]!.flopsPerSample() + 2 * this.sizes[l + 1]!; });
    return f;
  }
}

export interface MetaPolicyDescription {
  kind: string;
  parameters: number;
  /** Values the heads generate per sample (actor + critic). */
  generatedPerSample: number;
  /** Forward multiply-adds ×2 per sample, encoders and heads included. */
  flopsPerSample: number;
}

export class MetaPolicy extends Module implements ConditionedActorCritic {
  readonly stateDim: number;
  readonly conditioningDim: number;
  readonly actionDim: number;
  readonly architecture: MetaPolicyArchitecture;
  readonly stateEncoder: Linear;
  /** null: the conditioning input is the embedding e. */
  readonly conditioningEncoder: Linear | null;
  readonly actor: ConditionedNetwork;
  readonly critic: ConditionedNetwork;
  /** The Gaussian's log-std parameter [d_a] (before the 1e-6 floor on the std). */
  readonly logStd: Tensor;
  private readonly initName: string;

  constructor(engine: Engine, rng: Rng, opts: MetaPolicyOptions) {
    super(engine);
    for (const k of ['stateDim', 'conditioningDim', 'actionDim'] as const) {
      if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new RangeError(`MetaPolicy: ${k} must be a positive integer, got ${opts[k]}`);
    }
    if (!['standard', 'hypernetwork', 'film'].includes(opts.architecture)) throw new RangeError(`MetaPolicy: unknown architecture '${String(opts.architecture)}'; expected standard, hypernetwork or film`);
    const hyperInit: HyperInit = opts.architecture === 'standard' ? 'naive' : opts.hyperInit ?? 'bias-hyperinit';
    if (opts.architecture === 'film' && hyperInit === 'hyperfan-in') throw new RangeError('MetaPolicy: hyperfan-in initialises generated weights; a FiLM policy generates none (Beck et al.\'s code asserts the same)');
    const initStd = opts.initStd ?? 1;
    if (!(initStd > 0 && Number.isFinite(initStd))) throw new RangeError(`MetaPolicy: initStd must be a positive number, got ${initStd}`);
    this.stateDim = opts.stateDim;
    this.conditioningDim = opts.conditioningDim;
    this.actionDim = opts.actionDim;
    this.architecture = opts.architecture;
    const act: ActName = opts.act ?? 'tanh';
    const f: BaseInit = opts.baseInit ?? 'normc';
    if (!['normc', 'orthogonal', 'kaiming'].includes(f)) throw new RangeError(`MetaPolicy: unknown baseInit '${f}'; expected normc, orthogonal or kaiming`);
    const stateEmbedding = opts.stateEmbedding ?? META_POLICY_SIZES.XL.stateEmbedding;
    const hidden = opts.hidden ?? META_POLICY_SIZES.XL.hidden;
    const embeddingDim = opts.embeddingDim === undefined ? 25 : opts.embeddingDim;
    const quirk = opts.architecture !== 'standard' && (opts.criticOutputBiasQuirk ?? false);
    const gain = gainFor(act);

    // Encoders keep PyTorch's nn.Linear init, as in VariBAD's FeatureExtractor.
    this.stateEncoder = this.child('stateEncoder', new Linear(engine, opts.stateDim, stateEmbedding, rng, { act }));
    this.conditioningEncoder = embeddingDim === null ? null : this.child('conditioningEncoder', new Linear(engine, opts.conditioningDim, embeddingDim, rng, { act }));
    const dl = embeddingDim ?? opts.conditioningDim;
    const actorSizes = [stateEmbedding, ...hidden, opts.actionDim], criticSizes = [stateEmbedding, ...hidden, 1];
    const roles = (sizes: readonly number[], out: Role): Role[] => sizes.slice(1).map((_, l) => (l === sizes.length - 2 ? out : 'hidden'));
    const make = (sizes: readonly number[], out: Role): ConditionedNetwork => {
      switch (opts.architecture) {
        case 'standard':
          // VariBAD's DiagGaussian head is normc(1) with zero bias; the value head keeps nn.Linear's init.
          return new ConcatenationNetwork(engine, sizes, dl, act, baseInitFn(f, gain),
            out === 'actorOutput' ? { weightInit: normc(1), biasInit: zerosInit } : { weightInit: pytorchLinearWeight, biasInit: pytorchLinearBias }, rng);
        case 'hypernetwork':
          return new GeneratedNetwork(engine, sizes, dl, act, roles(sizes, out).map((r) => hyperHeadScheme(r, f, hyperInit, gain, quirk)), rng);
        case 'film':
          return new FilmNetwork(engine, sizes, dl, act,
            roles(sizes, out).map((r) => (r === 'hidden' ? baseInitFn(f, gain) : r === 'actorOutput' ? normc(1) : pytorchLinearWeight)),
            roles(sizes, out).map((r) => filmHeadScheme(r, f, hyperInit as Exclude<HyperInit, 'hyperfan-in'>, gain, quirk)), rng);
      }
    };
    this.actor = this.child('actor', make(actorSizes, 'actorOutput'));
    this.critic = this.child('critic', make(criticSizes, 'criticOutput'));
    this.logStd = this.param('logStd', [opts.actionDim], new Array<number>(opts.actionDim).fill(Math.log(initStd)));
    this.initName = opts.architecture === 'standard' ? f : `${f}, ${hyperInit}`;
  }

  /** e [B, d_l] for conditioning [B, d_c]. */
  embed(conditioning: Tensor): Tensor {
    return this.conditioningEncoder === null ? conditioning : this.conditioningEncoder.forward(conditioning);
  }

  forward(obs: Tensor, conditioning: Tensor): MetaPolicyOutput {
    if (obs.rank !== 2 || obs.shape[1] !== this.stateDim) throw new RangeError(`MetaPolicy: obs must be [B, ${this.stateDim}], got ${fmtShape(obs.shape)}`);
    if (conditioning.rank !== 2 || conditioning.shape[1] !== this.conditioningDim || conditioning.shape[0] !== obs.shape[0]) {
      throw new RangeError(`MetaPolicy: conditioning must be [${obs.shape[0]}, ${this.conditioningDim}] (one row per observation), got ${fmtShape(conditioning.shape)}`);
    }
    const x = this.stateEncoder.forward(obs), e = this.embed(conditioning);
    return { mean: this.actor.forward(x, e), logStd: maximum(this.resolve(this.logStd), this.engine.constant(Math.log(META_POLICY_MIN_STD))), value: this.critic.forward(x, e) };
  }

  describe(): MetaPolicyDescription {
    const encoders = this.stateEncoder.flopsPerSample() + (this.conditioningEncoder?.flopsPerSample() ?? 0);
    return {
      kind: `${this.architecture} (${this.initName})`,
      parameters: this.parameterCount(),
      generatedPerSample: this.actor.generatedPerSample + this.critic.generatedPerSample,
      flopsPerSample: encoders + this.actor.flopsPerSample() + this.critic.flopsPerSample(),
    };
  }
}
