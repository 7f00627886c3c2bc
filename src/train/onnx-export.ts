/**
 * A run's deterministic policy as ONNX (src/nn/onnx.ts): TD3's actor, or SAC's tanh of the
 * Gaussian mean, scaled to the action bounds, with the run's observation statistics (runs
 * with normalizeObs) as the graph's first nodes — the same action `agent.act(obs, false)`
 * gives, from raw observations.
 */
import type { Agent } from '../algos/agent.js';
import { Sac } from '../algos/sac.js';
import { Td3 } from '../algos/td3.js';
import type { RunningMeanStdState } from '../core/running-mean-std.js';
import { encodeDensePolicyOnnx, firstOutputs, mlpLayers, type DensePolicyGraph } from '../nn/onnx.js';
import { ObservationNormalizer } from './obs-normalizer.js';

export function deterministicPolicyGraph(agent: Agent, obsStatistics: RunningMeanStdState | undefined, metadata: Record<string, string>): DensePolicyGraph {
  if (!(agent instanceof Td3 || agent instanceof Sac)) throw new Error(`ONNX export: the ${metadata.algo ?? 'run'}'s agent has no deterministic MLP policy the export knows (TD3, SAC)`);
  const { spec } = agent;
  const actionDim = spec.actionLow.length;
  const layers = mlpLayers(agent.actor.net);
  // SAC's network emits [mean | log-std]; its deterministic action is tanh(mean).
  if (agent instanceof Sac) layers.push(firstOutputs(layers.pop()!, actionDim, 'tanh'));
  const affine = {
    scale: spec.actionLow.map((lo, i) => (spec.actionHigh[i]! - lo) / 2),
    bias: spec.actionLow.map((lo, i) => (spec.actionHigh[i]! + lo) / 2),
  };
  let normalize: DensePolicyGraph['normalize'];
  if (obsStatistics !== undefined) {
    // The training run's normaliser: its epsilon and clip.
    const normalizer = new ObservationNormalizer(spec.obsDim);
    normalizer.setState(obsStatistics);
    normalize = { mean: obsStatistics.mean, std: obsStatistics.var.map((v) => Math.sqrt(v + normalizer.epsilon)), clip: normalizer.clip };
  }
  return { layers, affine, normalize, metadata };
}

export function deterministicPolicyOnnx(agent: Agent, obsStatistics: RunningMeanStdState | undefined, metadata: Record<string, string>): Uint8Array {
  return encodeDensePolicyOnnx(deterministicPolicyGraph(agent, obsStatistics, metadata));
}
