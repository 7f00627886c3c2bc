/**
 * How long a cell's run will take, from the wall time of the finished runs of the same
 * env × algo × critic in the experiment folder (other seeds). The runner uses it under a
 * time limit: a run that cannot finish in the time left is not started, since work past the
 * limit is only worth its checkpoint where the checkpoint outlives the job.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readGradReport } from '../diagnostics/grad-report.js';
import { readMetricsRows } from '../train/metrics.js';
import { cellRunDir, type Cell } from './spec.js';

/** Wall time a run spent on its steps: Σ over its `perf/sps` log lines of (steps since the last line) / sps. */
export interface RunWallTime {
  steps: number;
  seconds: number;
}

/**
 * A run's wall time from its metrics: every `perf/sps` line covers the wall clock since the
 * previous one (evaluations and checkpoints included), so their sum is the training time
 * whatever the resumes; the gradient diagnostic's seconds are added from its report.
 */
export function runWallTime(runDir: string): RunWallTime | null {
  const file = join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) return null;
  let steps = 0, seconds = 0, previous = 0;
  for (const row of readMetricsRows(runDir)) {
    if (row['perf/sps'] === undefined) continue;
    const covered = row.step - previous;
    previous = row.step;
    if (covered <= 0 || !(row['perf/sps'] > 0)) continue;
    steps += covered;
    seconds += covered / row['perf/sps'];
  }
  if (steps === 0) return null;
  const diagnostic = readGradReport(runDir)?.checkpoints.reduce((a, c) => a + (c.seconds ?? 0), 0) ?? 0;
  return { steps, seconds: seconds + diagnostic };
}

/**
 * Estimated seconds for `cell` to go from `fromStep` to its last step (and its diagnostic),
 * at the mean seconds per step of the finished runs of the same env × algo × critic; null
 * when none has finished yet.
 */
export function estimateSeconds(experimentDir: string, cell: Cell, fromStep: number, all: readonly Cell[]): number | null {
  let steps = 0, seconds = 0;
  for (const other of all) {
    if (other.env !== cell.env || other.algo !== cell.algo || other.critic !== cell.critic) continue;
    const dir = cellRunDir(experimentDir, other);
    if (!existsSync(join(dir, 'done.json'))) continue;
    const t = runWallTime(dir);
    if (t === null) continue;
    steps += t.steps;
    seconds += t.seconds;
  }
  return steps === 0 ? null : (seconds / steps) * Math.max(0, cell.totalSteps - fromStep);
}
