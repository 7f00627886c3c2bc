/**
 * The short run the kill-point tests enumerate: Pendulum with 10-step episodes, 20 steps, a
 * checkpoint at both episode ends (the second with an older generation to replace), a log row
 * and evaluations at steps 0 and 20, updates from step 10 on tiny networks. Every kind of file
 * operation of a run occurs in it, and one run takes milliseconds.
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

/** Start the tiny run in `dir`, or continue it the way the experiment runner does: resume if it has a configuration, else start again. */
export function runTiny(dir: string, files: RunFiles = nodeRunFiles): Promise<TrainResult> {
  return existsSync(join(dir, 'config.json'))
    ? train({ config: readRunConfig(dir), resumeDir: dir, quiet: true, files })
    : train({ config: resolveTrainConfig(TINY), runDir: dir, quiet: true, files });
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
    checkpoint = { meta, ...Object.fromEntries(['params', 'optim', 'replay'].map((f) => [f, sha(readFileSync(join(newest.dir, `${f}.safetensors`)))])) };
  }
  // TensorBoard's event file is named after its creation time and host.
  const entries = (d: string): string[] => (existsSync(d) ? readdirSync(d).map((n) => n.replace(/^(events\.out\.tfevents\.).*/, '$1*')).sort() : []);
  return JSON.stringify({ entries: withEntries ? entries(dir) : null, generations: entries(join(dir, 'checkpoints')).length, config: text('config.json'), jsonl, csv, checkpoint }, null, 1);
}
