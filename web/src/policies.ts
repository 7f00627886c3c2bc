/**
 * Policies the viewer can play: a hyperrl run folder of TD3, SAC or PPO (config.json + checkpoint/params.safetensors,
 * with the observation statistics of checkpoint/meta.json), an ONNX file (onnxruntime-web), or the
 * actor just trained in this tab.
 */
import {
  Box, decodeSafetensors, make, normalizedActor, ObservationNormalizer, Ppo, PPO_SCHEMA, resolveConfig, Sac, SAC_SCHEMA, Td3, TD3_SCHEMA,
  type Agent, type AgentSpec, type Engine, type Module, type SafeTensor,
} from 'hyperrl/browser';
import type { ObservationStatistics } from './protocol.js';
import type { Policy } from './viewer.js';

interface RunConfigFile { run: { env: string; algo: string; seed: number }; agent: Record<string, unknown> }
interface CheckpointMetaFile { step: number; obsNormalizer?: ObservationStatistics }

export type PolicyAgent = Td3 | Sac | Ppo;

/** An agent of `algo` with `agentConfig` (continuous actions), its parameters untrained. */
export function makeAgent(engine: Engine, algo: string, agentConfig: Record<string, unknown>, spec: AgentSpec, source: string): PolicyAgent {
  switch (algo) {
    case 'td3': return new Td3(engine, spec, resolveConfig('td3', TD3_SCHEMA, agentConfig), 0);
    case 'sac': return new Sac(engine, spec, resolveConfig('sac', SAC_SCHEMA, agentConfig), 0);
    case 'ppo': return new Ppo(engine, spec, resolveConfig('ppo', PPO_SCHEMA, agentConfig), 0);
    default: throw new Error(`${source}: algorithm '${algo}' is not one the page can run (td3, sac, ppo)`);
  }
}

/** The network acting deterministically, and the prefix of its parameters in a checkpoint's params.safetensors. */
export function policyNetwork(agent: PolicyAgent): { module: Module; prefix: string } {
  return agent instanceof Ppo ? { module: agent.net.actor, prefix: 'agent.actor.' } : { module: agent.actor, prefix: 'actor.' };
}

/** An agent whose policy network is loaded from checkpoint-named tensors (`policyNetwork`'s prefix). */
export function agentWithActor(engine: Engine, algo: string, agentConfig: Record<string, unknown>, spec: AgentSpec, tensors: Record<string, SafeTensor>, source: string): PolicyAgent {
  const agent = makeAgent(engine, algo, agentConfig, spec, source);
  const { module, prefix } = policyNetwork(agent);
  const state: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name] of module.namedParameters()) {
    const t = tensors[`${prefix}${name}`];
    if (t === undefined) throw new Error(`${source}: missing policy parameter '${prefix}${name}'`);
    state[name] = { shape: t.shape, data: t.data as Float32Array };
  }
  module.loadStateDict(state);
  return agent;
}

/** The agent acting on observations standardised with a run's statistics (PPO's clip is its config's). */
export function withObservationStatistics(agent: PolicyAgent, statistics: ObservationStatistics | undefined): Pick<Agent, 'act'> {
  if (statistics === undefined) return agent;
  const normalizer = agent instanceof Ppo ? new ObservationNormalizer(agent.spec.obsDim, agent.config.observationClip) : new ObservationNormalizer(agent.spec.obsDim);
  normalizer.setState(statistics);
  return normalizedActor(agent, normalizer);
}

/** The deterministic policy of an agent as a viewer policy. */
export function agentPolicy(agent: Pick<Agent, 'act'>, label: string): Policy {
  return { label, act: (obs, out) => agent.act(obs, false, out) };
}

async function specOf(envId: string): Promise<AgentSpec> {
  const env = await make(envId);
  const space = env.actionSpace;
  env.close();
  if (!(space instanceof Box)) throw new Error(`${envId}: not a continuous-action env`);
  return { obsDim: env.observationSpace.size, actionLow: [...space.low], actionHigh: [...space.high] };
}

/** A run folder chosen with a directory picker (or its three files): its env and policy. */
export async function runFolderPolicy(engine: Engine, files: File[]): Promise<{ envId: string; policy: Policy }> {
  // A folder picker gives relative paths (<run-id>/checkpoint/meta.json); a multi-file picker only names.
  const find = (suffix: string): File => {
    const file = files.find((f) => (f.webkitRelativePath !== '' ? f.webkitRelativePath.endsWith(`/${suffix}`) : suffix.endsWith(f.name)));
    if (file === undefined) throw new Error(`the run folder has no ${suffix} (choose the folder runs/<run-id>)`);
    return file;
  };
  const config = JSON.parse(await find('config.json').text()) as RunConfigFile;
  const meta = JSON.parse(await find('checkpoint/meta.json').text()) as CheckpointMetaFile;
  const params = decodeSafetensors(new Uint8Array(await find('checkpoint/params.safetensors').arrayBuffer()), 'checkpoint/params.safetensors');
  const envId = config.run.env;
  const agent = agentWithActor(engine, config.run.algo, config.agent, await specOf(envId), params.tensors, 'checkpoint/params.safetensors');
  const critic = agent instanceof Ppo ? '' : ` ${String(config.agent.critic ?? 'mlp')} critic,`;
  return { envId, policy: agentPolicy(withObservationStatistics(agent, meta.obsNormalizer), `${config.run.algo.toUpperCase()}${critic} step ${meta.step}`) };
}

/** An exported ONNX policy (input obs [batch, obs_dim] → action), run by onnxruntime-web on one thread. */
export async function onnxPolicy(file: File, envId: string): Promise<Policy> {
  const [ort, { default: ortWasmUrl }] = await Promise.all([import('onnxruntime-web/wasm'), import('onnxruntime-web/ort-wasm-simd-threaded.wasm?url')]);
  ort.env.wasm.wasmPaths = { wasm: ortWasmUrl };
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new Uint8Array(await file.arrayBuffer()));
  const spec = await specOf(envId);
  const input = session.inputNames[0]!, output = session.outputNames[0]!;
  const obs32 = new Float32Array(spec.obsDim);
  return {
    label: `ONNX ${file.name}`,
    async act(obs, out) {
      obs32.set(obs);
      const result = await session.run({ [input]: new ort.Tensor('float32', obs32, [1, spec.obsDim]) });
      const action = result[output]!.data as Float32Array;
      if (action.length !== out.length) throw new Error(`${file.name}: the model gives ${action.length} actions, ${envId} takes ${out.length}`);
      out.set(action);
    },
  };
}
