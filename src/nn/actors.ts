/**
 * Policies over a Box action space. Networks work in [−1, 1]; `ActionScaler`
 * maps to the env's [low, high] (a = scale·u + bias), as CleanRL does.
 */
import type { Engine } from '../tensor/engine.js';
import { add, clamp, mul } from '../tensor/ops/elementwise.js';
import { slice } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { MLP, type MlpOptions } from './layers.js';
import { Module } from './module.js';
import { HYPE_RL_HEAD_SIGMA, type ParamInit } from './init.js';
import { calibrateToPaper, HYPER_PRESET_GEOMETRY, primaryNetwork } from './critics.js';
import { hypeRlHeadInit } from './hyper-init.js';
import { HyperNetwork } from './hypernetwork.js';
import type { Rng } from '../core/random.js';

export class ActionScaler {
  readonly scale: Tensor;
  readonly bias: Tensor;
  readonly low: Tensor;
  readonly high: Tensor;

  constructor(engine: Engine, readonly lowValues: readonly number[], readonly highValues: readonly number[]) {
    if (lowValues.length !== highValues.length) throw new RangeError('ActionScaler: low and high differ in length');
    lowValues.forEach((l, i) => {
      const h = highValues[i]!;
      if (!Number.isFinite(l) || !Number.isFinite(h) || !(h > l)) throw new RangeError(`ActionScaler: action bound ${i} must be finite with low < high, got [${l}, ${h}]`);
    });
    this.scale = engine.persistent([lowValues.length], lowValues.map((l, i) => (highValues[i]! - l) / 2));
    this.bias = engine.persistent([lowValues.length], lowValues.map((l, i) => (highValues[i]! + l) / 2));
    this.low = engine.persistent([lowValues.length], lowValues);
    this.high = engine.persistent([lowValues.length], highValues);
  }

  /** [−1, 1] → [low, high]. */
  toEnv(u: Tensor): Tensor {
    return add(mul(u, this.scale), this.bias);
  }
}

export interface ActorOptions {
  obsDim: number;
  actionDim: number;
  hidden?: readonly number[];
  weightInit?: ParamInit;
  /** Bias and output-layer inits (PEARL's rlkit networks); PyTorch's nn.Linear by default. */
  init?: Pick<MlpOptions, 'biasInit' | 'outputWeightInit' | 'outputBiasInit'>;
}

/** TD3's actor: MLP with ReLU hidden layers and a tanh output in [−1, 1]. */
export class DeterministicActor extends Module {
  readonly net: MLP;

  constructor(engine: Engine, rng: Rng, opts: ActorOptions) {
    super(engine);
    this.net = this.child('net', new MLP(engine, [opts.obsDim, ...(opts.hidden ?? [256, 256]), opts.actionDim], rng, { outputAct: 'tanh', weightInit: opts.weightInit }));
  }

  forward(obs: Tensor): Tensor {
    return this.net.forward(obs);
  }
}

/** SAC's actor: an MLP emitting the mean and log-std of a Gaussian (squashed by tanh outside). */
export class GaussianActor extends Module {
  readonly net: MLP;

  constructor(engine: Engine, rng: Rng, opts: ActorOptions, readonly logStdMin = -20, readonly logStdMax = 2) {
    super(engine);
    this.net = this.child('net', new MLP(engine, [opts.obsDim, ...(opts.hidden ?? [256, 256]), 2 * opts.actionDim], rng, { ...opts.init, weightInit: opts.weightInit }));
  }

  forward(obs: Tensor): { mean: Tensor; logStd: Tensor } {
    const out = this.net.forward(obs);
    const d = out.shape[1]! / 2;
    return { mean: slice(out, 1, 0, d), logStd: clamp(slice(out, 1, d, 2 * d), this.logStdMin, this.logStdMax) };
  }
}

/**
 * HypeRL's hyper policy network (MAML's Hyper_Policy, PEARL's hyper_policy.py): the meta input
 * (task vector or latent z) → primary ResNet → a generated 2-layer network of the state:
 * ReLU hidden layer (head σ 0.05), linear output with gains (head σ per output unit: 0.008
 * for means, PEARL's 0.001 for log-stds). `paper` and `compact` sizes as the HyperCritic's
 * (HYPER_PRESET_GEOMETRY), compact calibrated to the paper's generated-weight scale; TD3's
 * primary init rule, which HypeRL's MAML and PEARL use.
 */
export function hypeRlPolicyNetwork(engine: Engine, rng: Rng, opts: { metaDim: number; stateDim: number; outputSize: number; preset: 'paper' | 'compact'; outputSigma: (outputUnit: number) => number }): HyperNetwork {
  const geometry = HYPER_PRESET_GEOMETRY[opts.preset];
  const { firstWeightScale, headSigmaScale } = calibrateToPaper(opts.metaDim, geometry, 'td3');
  return new HyperNetwork(engine, primaryNetwork(engine, opts.metaDim, geometry, 'td3', firstWeightScale, rng), [
    { inputSize: opts.stateDim, outputSize: geometry.dynamicHidden, act: 'relu', headInit: hypeRlHeadInit(HYPE_RL_HEAD_SIGMA.firstDynamicLayer * headSigmaScale) },
    { inputSize: geometry.dynamicHidden, outputSize: opts.outputSize, act: 'identity', headInit: hypeRlHeadInit((o) => opts.outputSigma(o) * headSigmaScale) },
  ], rng);
}
