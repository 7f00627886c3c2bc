/**
 * What a checkpoint holds: everything an exact resume needs, as data only —
 *   meta.json            step counters, the agent's generator state, how far each metrics file
 *                        had got, the last evaluation, versions
 *   params.safetensors   every module's parameters (targets included), `<module>.<param>`
 *   optim.safetensors    Adam moments `<opt>.m.<param>`, `<opt>.v.<param>`; step counts in the metadata
 *   replay.safetensors   the replay buffer (off-policy runs)
 *   agent.safetensors    the agent's other state, if it has any (`Agent.extraState`: VariBAD's trial buffer)
 * How it is stored (generations, checksums, recovery after a kill) is checkpoint-store.ts.
 * Loading checks everything it reads (metadata fields, tensor names, finite numbers) and
 * names the file of any problem.
 */
import { join } from 'node:path';
import type { Agent } from '../algos/agent.js';
import { describeValue, firstNonFinite } from '../core/non-finite.js';
import type { RngState } from '../core/random.js';
import type { RewardNormalizerState } from '../core/reward-normalizer.js';
import type { RunningMeanStdState } from '../core/running-mean-std.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensorsAtomic, type SafeTensor } from '../nn/safetensors.js';
import type { ReplayBuffer } from '../replay/replay-buffer.js';
import { CheckpointError, commitGeneration, findCheckpoint, readCheckpointFiles, type FoundCheckpoint } from './checkpoint-store.js';
import type { EvalResult } from './evaluate.js';
import { checkAgentFinite } from './finite-check.js';
import type { MetricsExtent } from './metrics.js';
import { nodeRunFiles, type RunFiles } from './run-files.js';

export interface CheckpointMeta {
  /** 1: before generations (no metrics extent or last evaluation); 2: current. */
  format: 1 | 2;
  step: number;
  episode: number;
  /** Gradient updates (off-policy) or rollout iterations (on-policy) done. */
  updates: number;
  agentRng: RngState;
  /** Wall-clock seconds of training before this checkpoint (for steps/s across resumes). */
  elapsed: number;
  savedAt: string;
  versions: Record<string, string>;
  /** Observation statistics of a run that normalises observations. */
  obsNormalizer?: RunningMeanStdState;
  /** How far each metrics file had got: a resume cuts the files back to it. */
  metrics?: MetricsExtent;
  /** The last evaluation at or before `step`, with the step it was taken at. */
  lastEval?: EvalResult & { step: number };
  /** Reward statistics and running returns of a run that normalises rewards. */
  rewardNormalizer?: RewardNormalizerState;
}

/** Every module's parameters (targets included) as `<module>.<param>`. */
function agentParamTensors(agent: Pick<Agent, 'modules'>): Record<string, SafeTensor> {
  const params: Record<string, SafeTensor> = {};
  for (const [m, module] of Object.entries(agent.modules())) {
    for (const [n, t] of Object.entries(module.stateDict())) params[`${m}.${n}`] = { dtype: 'F32', shape: t.shape, data: t.data };
  }
  return params;
}

/** The checkpoint's files by name (no replay file for a loop without a buffer). */
export function encodeCheckpoint(agent: Agent, replay: ReplayBuffer | null, meta: CheckpointMeta): Record<string, Uint8Array> {
  const optim: Record<string, SafeTensor> = {};
  const steps: Record<string, string> = {};
  for (const [o, { module, optimizer }] of Object.entries(agent.optimizers())) {
    const s = optimizer.state();
    module.namedParameters().forEach(([n, p], i) => {
      optim[`${o}.m.${n}`] = { dtype: 'F32', shape: [...p.shape], data: s.m[i]! };
      optim[`${o}.v.${n}`] = { dtype: 'F32', shape: [...p.shape], data: s.v[i]! };
    });
    steps[`${o}.step`] = String(s.step);
  }
  const contents: Record<string, Uint8Array> = {
    'meta.json': new TextEncoder().encode(JSON.stringify(meta, null, 2) + '\n'),
    'params.safetensors': encodeSafetensors(agentParamTensors(agent)),
    'optim.safetensors': encodeSafetensors(optim, steps),
  };
  if (replay !== null) {
    const r = replay.state();
    const rows = (data: Float32Array, width: number): SafeTensor => ({ dtype: 'F32', shape: [r.size, width], data: data as Float32Array<ArrayBuffer> });
    contents['replay.safetensors'] = encodeSafetensors({
      obs: rows(r.obs, replay.obsDim), nextObs: rows(r.nextObs, replay.obsDim), actions: rows(r.actions, replay.actionDim),
      rewards: rows(r.rewards, 1), terminated: { dtype: 'U8', shape: [r.size], data: r.terminated as Uint8Array<ArrayBuffer> },
    }, { size: String(r.size), next: String(r.next) });
  }
  if (agent.extraState !== undefined) {
    const extra = agent.extraState();
    contents['agent.safetensors'] = encodeSafetensors(extra.tensors, extra.metadata);
  }
  return contents;
}

/**
 * Write a checkpoint as a new generation of the run folder, after checking that every
 * parameter and optimiser moment is finite (a poisoned agent is never checkpointed).
 */
export function saveCheckpoint(files: RunFiles, runDir: string, agent: Agent, replay: ReplayBuffer | null, meta: CheckpointMeta): string {
  checkAgentFinite(agent, `at step ${meta.step}`);
  return commitGeneration(files, runDir, meta.step, encodeCheckpoint(agent, replay, meta));
}

/** Every module's parameters (targets included) as `<module>.<param>` in one safetensors file, written atomically. */
export async function writeAgentParams(file: string, agent: Pick<Agent, 'modules'>, metadata?: Record<string, string>): Promise<void> {
  await writeSafetensorsAtomic(file, agentParamTensors(agent), metadata);
}

/** A stored tensor's values, or an error naming the file, the tensor and the element when one is not finite. */
function finiteValues(t: SafeTensor, name: string, source: string): ArrayLike<number> {
  const data = t.data as Float32Array;
  const i = firstNonFinite(data);
  if (i >= 0) throw new CheckpointError(`${source}: '${name}'[${i}] is ${describeValue(data[i]!)}: the checkpoint holds a non-finite number`);
  return data;
}

/** Load decoded parameters (`<module>.<param>`) into the agent; `source` names the file in errors. */
function loadAgentParams(params: Record<string, SafeTensor>, agent: Pick<Agent, 'modules'>, source: string): void {
  for (const [m, module] of Object.entries(agent.modules())) {
    const state: Record<string, { shape: readonly number[]; data: ArrayLike<number> }> = {};
    for (const [n] of module.namedParameters()) {
      const t = params[`${m}.${n}`];
      if (t === undefined) throw new CheckpointError(`${source}: missing parameter '${m}.${n}'`);
      state[n] = { shape: t.shape, data: finiteValues(t, `${m}.${n}`, source) };
    }
    try {
      module.loadStateDict(state);
    } catch (e) {
      throw new CheckpointError(`${source}: ${(e as Error).message} (module '${m}')`);
    }
  }
}

/** Load a file written by `writeAgentParams` into the agent; returns the file's metadata. */
export async function readAgentParams(file: string, agent: Pick<Agent, 'modules'>): Promise<Record<string, string>> {
  const params = await readSafetensors(file);
  loadAgentParams(params.tensors, agent, file);
  return params.metadata;
}

const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;

/** The metadata, every field checked (a damaged or hand-edited file fails here, naming the field). */
function parseMeta(bytes: Uint8Array, path: string): CheckpointMeta {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes)) as CheckpointMeta;
  } catch (e) {
    throw new CheckpointError(`${path}: unreadable checkpoint metadata (${(e as Error).message})`);
  }
  const bad = (field: string, want: string): never => {
    throw new CheckpointError(`${path}: checkpoint metadata '${field}' must be ${want}, got ${JSON.stringify((meta as unknown as Record<string, unknown>)?.[field])}`);
  };
  if (typeof meta !== 'object' || meta === null) throw new CheckpointError(`${path}: checkpoint metadata is not a JSON object`);
  if (meta.format !== 1 && meta.format !== 2) bad('format', '1 or 2');
  for (const k of ['step', 'episode', 'updates'] as const) if (!isCount(meta[k])) bad(k, 'a non-negative integer');
  const rng = meta.agentRng;
  if (typeof rng !== 'object' || rng === null || !Array.isArray(rng.words) || rng.words.length !== 4 || !rng.words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)
    || !(rng.spareNormal === null || Number.isFinite(rng.spareNormal))) {
    bad('agentRng', 'the generator state { words: four 32-bit unsigned integers, spareNormal: a number or null }');
  }
  if (!(Number.isFinite(meta.elapsed) && meta.elapsed >= 0)) bad('elapsed', 'a non-negative number of seconds');
  if (meta.format === 2) {
    const ext = meta.metrics;
    const extentOk = (e: unknown): boolean => typeof e === 'object' && e !== null && isCount((e as { bytes: unknown }).bytes) && isCount((e as { rows: unknown }).rows);
    if (typeof ext !== 'object' || ext === null || !extentOk(ext.jsonl) || !extentOk(ext.csv)) bad('metrics', '{ jsonl: { bytes, rows }, csv: { bytes, rows } }');
    const ev = meta.lastEval;
    if (ev !== undefined && (typeof ev !== 'object' || ev === null || !isCount(ev.step) || !Number.isFinite(ev.mean) || !Number.isFinite(ev.std) || !Array.isArray(ev.returns))) {
      bad('lastEval', '{ step, mean, std, returns }');
    }
  }
  return meta;
}

/** A replay buffer column's first non-finite value, as an error naming the file, the row and the column. */
function checkReplayFinite(tensors: Record<string, SafeTensor>, path: string): void {
  for (const k of ['obs', 'nextObs', 'actions', 'rewards']) {
    const t = tensors[k]!;
    const data = t.data as Float32Array;
    const i = firstNonFinite(data);
    if (i >= 0) {
      const width = t.shape[1] ?? 1;
      throw new CheckpointError(`${path}: '${k}' of transition ${Math.floor(i / width)} is ${describeValue(data[i]!)}: the replay buffer holds a non-finite number`);
    }
  }
}

/** Restore the agent (and the replay buffer, unless null) from a checkpoint's files; returns its metadata. */
function restoreCheckpoint(found: FoundCheckpoint, contents: Record<string, Uint8Array>, agent: Agent, replay: ReplayBuffer | null): CheckpointMeta {
  const file = (name: string): { path: string; bytes: Uint8Array } => {
    const bytes = contents[name];
    if (bytes === undefined) throw new CheckpointError(`${join(found.dir, name)}: missing from the checkpoint`);
    return { path: join(found.dir, name), bytes };
  };
  const decode = (name: string): ReturnType<typeof decodeSafetensors> & { path: string } => {
    const { path, bytes } = file(name);
    return { ...decodeSafetensors(bytes, path), path };
  };
  const metaFile = file('meta.json');
  const meta = parseMeta(metaFile.bytes, metaFile.path);

  const params = decode('params.safetensors');
  loadAgentParams(params.tensors, agent, params.path);

  const optim = decode('optim.safetensors');
  for (const [o, { module, optimizer }] of Object.entries(agent.optimizers())) {
    const names = module.namedParameters().map(([n]) => n);
    const pick = (k: string): ArrayLike<number> => {
      const t = optim.tensors[k];
      if (t === undefined) throw new CheckpointError(`${optim.path}: missing optimiser state '${k}'`);
      return finiteValues(t, k, optim.path);
    };
    const step = Number(optim.metadata[`${o}.step`]);
    if (!isCount(step)) throw new CheckpointError(`${optim.path}: optimiser step count '${o}.step' is ${JSON.stringify(optim.metadata[`${o}.step`])}, not a non-negative integer`);
    optimizer.loadState({ step, m: names.map((n) => pick(`${o}.m.${n}`)), v: names.map((n) => pick(`${o}.v.${n}`)) });
  }
  agent.rng.setState(meta.agentRng);
  if (agent.loadExtraState !== undefined) {
    if (contents['agent.safetensors'] === undefined) throw new CheckpointError(`${join(found.dir, 'agent.safetensors')}: missing from the checkpoint; this run's agent keeps its other state (VariBAD's trial buffer) there`);
    const extra = decode('agent.safetensors');
    agent.loadExtraState({ tensors: extra.tensors, metadata: extra.metadata });
  }
  if (replay === null) return meta; // evaluation needs the networks only, and a loop without a buffer has none

  const rep = decode('replay.safetensors');
  for (const k of ['obs', 'nextObs', 'actions', 'rewards', 'terminated']) if (rep.tensors[k] === undefined) throw new CheckpointError(`${rep.path}: missing '${k}'`);
  checkReplayFinite(rep.tensors, rep.path);
  const size = Number(rep.metadata.size), next = Number(rep.metadata.next);
  if (!isCount(size) || !isCount(next) || (size > 0 && next >= replay.capacity)) {
    throw new CheckpointError(`${rep.path}: replay size ${JSON.stringify(rep.metadata.size)} / next ${JSON.stringify(rep.metadata.next)} do not fit a buffer of ${replay.capacity}`);
  }
  try {
    replay.loadState({
      size, next,
      obs: rep.tensors.obs!.data as Float32Array, nextObs: rep.tensors.nextObs!.data as Float32Array, actions: rep.tensors.actions!.data as Float32Array,
      rewards: rep.tensors.rewards!.data as Float32Array, terminated: rep.tensors.terminated!.data as Uint8Array,
    });
  } catch (e) {
    throw new CheckpointError(`${rep.path}: ${(e as Error).message}`);
  }
  return meta;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /** The checkpoint's folder. */
  dir: string;
  /** Newer-looking checkpoints passed over as damaged, each with the reason (for a warning). */
  skipped: string[];
}

/**
 * Restore agent (and replay, unless null) from the run's newest usable checkpoint; returns its
 * metadata and folder, or null when the run has no checkpoint at all. Errors name the file and
 * the problem. A checkpoint replaced by a newer one while being read (a run in progress) is
 * looked up again. Read-only: a resume prunes what else the folder holds (`pruneCheckpoints`).
 */
export function loadCheckpoint(runDir: string, agent: Agent, replay: ReplayBuffer | null, files: RunFiles = nodeRunFiles): LoadedCheckpoint | null {
  for (let attempt = 1; ; attempt++) {
    const { newest: found, damaged } = findCheckpoint(files, runDir);
    if (found === null && damaged.length > 0) throw new CheckpointError(`${runDir}: no usable checkpoint: ${damaged.join('; ')}`);
    if (found === null) return null;
    let contents: Record<string, Uint8Array>;
    try {
      contents = readCheckpointFiles(files, found);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 3) continue;
      throw e;
    }
    return { meta: restoreCheckpoint(found, contents, agent, replay), dir: found.dir, skipped: damaged };
  }
}

/** `loadCheckpoint` for callers that need one: no checkpoint is an error naming the run folder. */
export function requireCheckpoint(runDir: string, agent: Agent, replay: ReplayBuffer | null, files: RunFiles = nodeRunFiles): CheckpointMeta {
  const loaded = loadCheckpoint(runDir, agent, replay, files);
  if (loaded === null) throw new CheckpointError(`${runDir}: no checkpoint (the run stopped before its first one, or this is not a run folder)`);
  return loaded.meta;
}
