import '../../src/envs/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCheckpoint } from '../../src/train/checkpoint-store.js';
import type { TrainResult } from '../../src/train/run-context.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { nodeRunFiles } from '../../src/train/run-files.js';
import { train } from '../../src/train/run.js';

/** A fresh runs folder under the OS temp dir. */
export const tempRuns = (tag: string): string => mkdtempSync(join(tmpdir(), `hyperrl-${tag}-`));

/** Train quietly with overrides on top of the defaults; runs go to a temp folder. */
export function quickTrain(overrides: Record<string, unknown>): Promise<TrainResult> {
  return train({ config: resolveTrainConfig({ runsDir: tempRuns('train'), ...overrides }), quiet: true });
}

/** The step of a run folder's newest complete checkpoint (0 when it has none), as `train --resume` finds it. */
export const checkpointStep = (runDir: string): number => findCheckpoint(nodeRunFiles, runDir).newest?.step ?? 0;

/** A file of the run folder's newest complete checkpoint (e.g. 'params.safetensors'). */
export function checkpointFile(runDir: string, name: string): string {
  const newest = findCheckpoint(nodeRunFiles, runDir).newest;
  if (newest === null) throw new Error(`${runDir} has no checkpoint`);
  return join(newest.dir, name);
}
