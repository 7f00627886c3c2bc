/**
 * Checkpoints: everything an exact resume needs, as data only —
 *   meta.json            step counters, the agent's generator state, versions
 *   params.safetensors   every module's parameters (targets included), `<module>.<param>`
 *   optim.safetensors    Adam moments `<opt>.m.<param>`, `<opt>.v.<param>`; step counts in the metadata
 *   replay.safetensors   the replay buffer (off-policy runs)
 * Written into a temporary folder that replaces the previous checkpoint by rename,
 * so a crash at any moment leaves a complete checkpoint (the new or the old one).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from '../algos/agent.js';
import type { RngState } from '../core/random.js';
import { readSafetensors, writeSafetensorsAtomic, type SafeTensor } from '../nn/safetensors.js';
import type { ReplayBuffer } from '../replay/replay-buffer.js';
import type { RewardNormalizerState } from '../core/reward-normalizer.js';
import type { RunningMeanStdState } from '../core/running-mean-std.js';

export interface CheckpointMeta {
  format: 1;
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
  /** Reward statistics and running returns of a run that normalises rewards. */
  rewardNormalizer?: RewardNormalizerState;
}

const CURRENT = 'checkpoint';

export const checkpointDir = (runDir: string): string => join(runDir, CURRENT);

/** Write the agent, its optimisers, the replay buffer (null: none, on-policy) and meta as the run's checkpoint. */
export async function saveCheckpoint(runDir: string, agent: Agent, replay: ReplayBuffer | null, meta: CheckpointMeta): Promise<void> {
  const tmp = join(runDir, `${CURRENT}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });

  await writeAgentParams(join(tmp, 'params.safetensors'), agent);
  await writeOptimizerState(join(tmp, 'optim.safetensors'), agent);

  if (replay !== null) {
    const r = replay.state();
    const rows = (data: Float32Array, width: number): SafeTensor => ({ dtype: 'F32', shape: [r.size, width], data: data as Float32Array<ArrayBuffer> });
    await writeSafetensorsAtomic(join(tmp, 'replay.safetensors'), {
      obs: rows(r.obs, replay.obsDim), nextObs: rows(r.nextObs, replay.obsDim), actions: rows(r.actions, replay.actionDim),
      rewards: rows(r.rewards, 1), terminated: { dtype: 'U8', shape: [r.size], data: r.terminated as Uint8Array<ArrayBuffer> },
    }, { size: String(r.size), next: String(r.next) });
  }

  writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  // Swap: current → .old, tmp → current, drop .old. A crash between renames leaves .old, which load falls back to.
  const dir = join(runDir, CURRENT), old = join(runDir, `${CURRENT}.old`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Every optimiser's Adam moments as `<opt>.m.<param>`, `<opt>.v.<param>`, step counts in the metadata, written atomically. */
export async function writeOptimizerState(file: string, agent: Pick<Agent, 'optimizers'>): Promise<void> {
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
  await writeSafetensorsAtomic(file, optim, steps);
}

/** Load a file written by `writeOptimizerState` into the agent's optimisers. */
export async function readOptimizerState(file: string, agent: Pick<Agent, 'optimizers'>): Promise<void> {
  const optim = await readSafetensors(file);
  for (const [o, { module, optimizer }] of Object.entries(agent.optimizers())) {
    const names = module.namedParameters().map(([n]) => n);
    const pick = (k: string): ArrayLike<number> => {
      const t = optim.tensors[k];
      if (t === undefined) throw new Error(`${file}: missing optimiser state '${k}'`);
      return t.data as ArrayLike<number>;
    };
    optimizer.loadState({ step: Number(optim.metadata[`${o}.step`]), m: names.map((n) => pick(`${o}.m.${n}`)), v: names.map((n) => pick(`${o}.v.${n}`)) });
  }
}

/** Every module's parameters (targets included) as `<module>.<param>` in one safetensors file, written atomically. */
export async function writeAgentParams(file: string, agent: Pick<Agent, 'modules'>, metadata?: Record<string, string>): Promise<void> {
  const params: Record<string, SafeTensor> = {};
  for (const [m, module] of Object.entries(agent.modules())) {
    for (const [n, t] of Object.entries(module.stateDict())) params[`${m}.${n}`] = { dtype: 'F32', shape: t.shape, data: t.data };
  }
  await writeSafetensorsAtomic(file, params, metadata);
}

/** Load a file written by `writeAgentParams` into the agent; returns the file's metadata. */
export async function readAgentParams(file: string, agent: Pick<Agent, 'modules'>): Promise<Record<string, string>> {
  const params = await readSafetensors(file);
  for (const [m, module] of Object.entries(agent.modules())) {
    const state: Record<string, { shape: readonly number[]; data: ArrayLike<number> }> = {};
    for (const [n] of module.namedParameters()) {
      const t = params.tensors[`${m}.${n}`];
      if (t === undefined) throw new Error(`${file}: missing parameter '${m}.${n}'`);
      state[n] = { shape: t.shape, data: t.data as ArrayLike<number> };
    }
    module.loadStateDict(state);
  }
  return params.metadata;
}

/** Restore agent (and replay, unless null: evaluation, or a loop without one) from the run's checkpoint; returns its meta. Errors name the file and the problem. */
export async function loadCheckpoint(runDir: string, agent: Agent, replay: ReplayBuffer | null): Promise<CheckpointMeta> {
  let dir = join(runDir, CURRENT);
  if (!existsSync(join(dir, 'meta.json'))) {
    const old = join(runDir, `${CURRENT}.old`);
    if (existsSync(join(old, 'meta.json'))) dir = old;
    else throw new Error(`${runDir}: no checkpoint to resume from (expected ${join(dir, 'meta.json')})`);
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new Error(`${join(dir, 'meta.json')}: unreadable checkpoint metadata (${(e as Error).message})`);
  }
  if (meta.format !== 1) throw new Error(`${join(dir, 'meta.json')}: unsupported checkpoint format ${String(meta.format)}`);

  await readAgentParams(join(dir, 'params.safetensors'), agent);
  await readOptimizerState(join(dir, 'optim.safetensors'), agent);

  agent.rng.setState(meta.agentRng);
  if (replay === null) return meta;
  const rep = await readSafetensors(join(dir, 'replay.safetensors'));
  const t = (k: string): SafeTensor => {
    const x = rep.tensors[k];
    if (x === undefined) throw new Error(`${join(dir, 'replay.safetensors')}: missing '${k}'`);
    return x;
  };
  replay.loadState({
    size: Number(rep.metadata.size), next: Number(rep.metadata.next),
    obs: t('obs').data as Float32Array, nextObs: t('nextObs').data as Float32Array, actions: t('actions').data as Float32Array,
    rewards: t('rewards').data as Float32Array, terminated: t('terminated').data as Uint8Array,
  });
  return meta;
}
