/**
 * A run's deterministic policy as ONNX (src/nn/onnx.ts): TD3's actor, or SAC's tanh of the
 * Gaussian mean, scaled to the action bounds, or PPO's Gaussian mean clipped to them, with
 * the run's observation statistics (runs that normalise observations) as the graph's first
 * nodes — the same action `agent.act(obs, false)` gives, from raw observations.
 */
import type { Agent } from '../algos/agent.js';
import { MetaPpo } from '../algos/meta-ppo.js';
import { Ppo } from '../algos/ppo.js';
import { Sac } from '../algos/sac.js';
import { Td3 } from '../algos/td3.js';
import { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';
import { encodeDensePolicyOnnx, firstOutputs, mlpLayers, type DenseLayer, type DensePolicyGraph } from '../nn/onnx.js';
import { ObservationNormalizer } from './obs-normalizer.js';

export function deterministicPolicyGraph(agent: Agent, obsStatistics: RunningMeanStdState | undefined, metadata: Record<string, string>): DensePolicyGraph {
  const what = `ONNX export: the ${metadata.algo ?? 'run'}'s agent`;
  let layers: DenseLayer[], affine: DensePolicyGraph['affine'], bounds: DensePolicyGraph['bounds'], normalizer: RunningMeanStd;
  if (agent instanceof Td3 || agent instanceof Sac) {
    const { spec } = agent;
    layers = mlpLayers(agent.actor.net);
    // SAC's network emits [mean | log-std]; its deterministic action is tanh(mean).
    if (agent instanceof Sac) layers.push(firstOutputs(layers.pop()!, spec.actionLow.length, 'tanh'));
    affine = {
      scale: spec.actionLow.map((lo, i) => (spec.actionHigh[i]! - lo) / 2),
      bias: spec.actionLow.map((lo, i) => (spec.actionHigh[i]! + lo) / 2),
    };
    normalizer = new ObservationNormalizer(spec.obsDim);
  } else if (agent instanceof Ppo) {
    const { spec, config: c } = agent;
    if (!('actionLow' in spec)) throw new Error(`${what} chooses discrete actions; the export writes continuous policies`);
    // Recurrent policies carry a state, and RL² ones read their previous step: neither is a function of the observation alone.
    if (c.recurrentHidden > 0 || c.rl2Inputs) throw new Error(`${what} is ${c.recurrentHidden > 0 ? 'recurrent' : 'fed RL² inputs'}; the export writes policies of the observation alone`);
    layers = mlpLayers(agent.net.actor);
    bounds = { low: spec.actionLow, high: spec.actionHigh };
    // The on-policy loop's observation normaliser (train/loops/on-policy.ts): its epsilon and clip.
    normalizer = new RunningMeanStd(spec.obsDim, 1e-8, c.observationClip);
  } else if (agent instanceof MetaPpo) {
    // Beck et al.'s meta-RL policies: neither their conditioning nor (hyper, FiLM) their generated layers are a fixed MLP of the observation.
    const reads = { varibad: 'the VAE\'s belief about the task from the trial so far', rl2: 'a recurrent state over the trial so far', 'rnn-hn': 'a recurrent state over the trial so far', 'multi-hn': 'the true task vector' }[agent.method];
    throw new Error(`${what} is a meta-RL ${agent.config.policy} policy conditioned on ${reads}; the export writes MLP policies of the observation alone (TD3, SAC, PPO). Its networks are in the checkpoint's params.safetensors`);
  } else {
    throw new Error(`${what} has no deterministic MLP policy the export knows (TD3, SAC, PPO)`);
  }
  let normalize: DensePolicyGraph['normalize'];
  if (obsStatistics !== undefined) {
    normalizer.setState(obsStatistics);
    normalize = { mean: obsStatistics.mean, std: obsStatistics.var.map((v) => Math.sqrt(v + normalizer.epsilon)), clip: normalizer.clip };
  }
  return { layers, affine, bounds, normalize, metadata };
}

/** The ONNX model's bytes, and the widths of its input `obs` and output `action`. */
export function deterministicPolicyOnnx(agent: Agent, obsStatistics: RunningMeanStdState | undefined, metadata: Record<string, string>): { bytes: Uint8Array; obsDim: number; actionDim: number } {
  const graph = deterministicPolicyGraph(agent, obsStatistics, metadata);
  return { bytes: encodeDensePolicyOnnx(graph), obsDim: graph.layers[0]!.inputs, actionDim: graph.layers.at(-1)!.outputs };
}
