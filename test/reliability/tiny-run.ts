/**
 * The short runs the kill-point tests enumerate, one per training loop, on Pendulum with 10-step
 * episodes: two checkpoints (the second with an older generation to replace), an evaluation at
 * the start and the end, tiny networks. Every kind of file operation of a run occurs in them, and
 * one run takes milliseconds.
 *   TD3 (off-policy): 20 steps, checkpoints at both episode ends, a log row at step 20, updates
 *     from step 10 (the replay buffer in the checkpoint).
 *   PPO (on-policy): two envs × two 10-step rollouts (one episode each), the episodes' returns and
 *     a row of losses logged per rollout, a checkpoint between the rollouts (the observation and
 *     reward statistics in its metadata).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PendulumEnv, register, registeredIds } from '../../src/envs/index.js';
import { findCheckpoint } from '../../src/train/checkpoint-store.js';
import { nodeRunFiles, type RunFiles } from '../../src/train/run-files.js';
import type { TrainResult } from '../../src/train/run-context.js';
import { readRunConfig, resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';

export const TINY_ENV = 'PendulumTen-v0';
if (!registeredIds().includes(TINY_ENV)) register(TINY_ENV, { create: () => new PendulumEnv(), maxEpisodeSteps: 10 });

export const TINY = {
  env: TINY_ENV, totalSteps: 20, checkpointEvery: 10, logEvery: 20, evalEvery: 20, evalEpisodes: 1,
  learningStarts: 10, randomSteps: 10, batchSize: 4, bufferSize: 100, actorHidden: [4], criticHidden: [4], seed: 7,
};

export const TINY_PPO = {
  algo: 'ppo', env: TINY_ENV, totalSteps: 40, checkpointEvery: 20, evalEvery: 40, evalEpisodes: 1,
  numEnvs: 2, numSteps: 10, numMinibatches: 2, updateEpochs: 1, actorHidden: [4], criticHidden: [4], seed: 7,
};

/** Start the tiny run (`settings`: TINY or TINY_PPO) in `dir`, or continue it the way the experiment runner does: resume if it has a configuration, else start again. */
export function runTiny(dir: string, files: RunFiles = nodeRunFiles, settings: Record<string, unknown> = TINY): Promise<TrainResult> {
  return existsSync(join(dir, 'config.json'))
    ? train({ config: readRunConfig(dir), resumeDir: dir, quiet: true, files })
    : train({ config: resolveTrainConfig(settings), runDir: dir, quiet: true, files });
}

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex').slice(0, 16);

/**
 * Everything a run folder says about the run, without wall-clock values (perf/sps, elapsed,
 * savedAt) and generation numbers: equal for two folders exactly when one run continued the
 * other bit-identically. Leftovers (a second generation, a partial one, a temporary file, a
 * lock) are listed, so they make folders differ too (unless `withEntries` is false: the
 * experiment runner adds files of its own).
 */
export function fingerprint(dir: string, withEntries = true): string {
  const text = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const jsonl = text('metrics.jsonl').split('\n').map((l) => {
    if (l === '') return l;
    const row = JSON.parse(l) as Record<string, unknown>;
    delete row['perf/sps'];
    return JSON.stringify(row);
  });
  const csv = text('metrics.csv').split('\n').filter((l) => !l.includes(',perf/sps,'));
  const newest = findCheckpoint(nodeRunFiles, dir).newest;
  let checkpoint: Record<string, unknown> | null = null;
  if (newest !== null) {
    const meta = JSON.parse(readFileSync(join(newest.dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    delete meta.elapsed;
    delete meta.savedAt;
    // The logs' byte counts include the perf/sps values' digits.
    for (const extent of Object.values(meta.metrics as Record<string, { bytes?: number }>)) delete extent.bytes;
    // An on-policy run has no replay buffer.
    const stored = ['params', 'optim', 'replay'].filter((f) => existsSync(join(newest.dir, `${f}.safetensors`)));
    checkpoint = { meta, ...Object.fromEntries(stored.map((f) => [f, sha(readFileSync(join(newest.dir, `${f}.safetensors`)))])) };
  }
  // TensorBoard's event file is named after its creation time and host.
  const entries = (d: string): string[] => (existsSync(d) ? readdirSync(d).map((n) => n.replace(/^(events\.out\.tfevents\.).*/, '$1*')).sort() : []);
  return JSON.stringify({ entries: withEntries ? entries(dir) : null, generations: entries(join(dir, 'checkpoints')).length, config: text('config.json'), jsonl, csv, checkpoint }, null, 1);
}
