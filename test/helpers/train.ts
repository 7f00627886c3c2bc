import '../../src/envs/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainResult } from '../../src/train/run-context.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';

/** A fresh runs folder under the OS temp dir. */
export const tempRuns = (tag: string): string => mkdtempSync(join(tmpdir(), `hyperrl-${tag}-`));

/** Train quietly with overrides on top of the defaults; runs go to a temp folder. */
export function quickTrain(overrides: Record<string, unknown>): Promise<TrainResult> {
  return train({ config: resolveTrainConfig({ runsDir: tempRuns('train'), ...overrides }), quiet: true });
}
