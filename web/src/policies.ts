/**
 * Policies the viewer can play: a hyperrl run folder (config.json + checkpoint/params.safetensors,
 * with the observation statistics of checkpoint/meta.json), an ONNX file (onnxruntime-web), or the
 * actor just trained in this tab.
 */
import {
  Box, decodeSafetensors, make, normalizedActor, ObservationNormalizer, resolveConfig, Sac, SAC_SCHEMA, Td3, TD3_SCHEMA,
  type AgentSpec, type Engine, type OffPolicyAgent, type SafeTensor,
} from 'hyperrl/browser';
import type { Policy } from './viewer.js';

interface RunConfigFile { run: { env: string; algo: string; seed: number }; agent: Record<string, unknown> }
interface CheckpointMetaFile { step: number; obsNormalizer?: { mean: number[]; var: number[]; count: number } }

/** A TD3/SAC agent of `algo` with `agentConfig`, its actor loaded from `actor.<param>` tensors. */
export function agentWithActor(engine: Engine, algo: string, agentConfig: Record<string, unknown>, spec: AgentSpec, tensors: Record<string, SafeTensor>, source: string): Td3 | Sac {
  const agent = algo === 'td3' ? new Td3(engine, spec, resolveConfig('td3', TD3_SCHEMA, agentConfig), 0)
    : algo === 'sac' ? new Sac(engine, spec, resolveConfig('sac', SAC_SCHEMA, agentConfig), 0)
      : null;
  if (agent === null) throw new Error(`${source}: algorithm '${algo}' is not one the page can run (td3, sac)`);
  const state: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name] of agent.actor.namedParameters()) {
    const t = tensors[`actor.${name}`];
    if (t === undefined) throw new Error(`${source}: missing actor parameter 'actor.${name}'`);
    state[name] = { shape: t.shape, data: t.data as Float32Array };
  }
  agent.actor.loadStateDict(state);
  return agent;
}

/** The deterministic policy of an agent as a viewer policy. */
export function agentPolicy(agent: Pick<OffPolicyAgent, 'act'>, label: string): Policy {
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
  let actor: Pick<OffPolicyAgent, 'act'> = agent;
  if (meta.obsNormalizer !== undefined) {
    const normalizer = new ObservationNormalizer(agent.spec.obsDim);
    normalizer.setState(meta.obsNormalizer);
    actor = normalizedActor(agent, normalizer);
  }
  return { envId, policy: agentPolicy(actor, `${config.run.algo.toUpperCase()} ${String(config.agent.critic ?? 'mlp')} critic, step ${meta.step}`) };
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
