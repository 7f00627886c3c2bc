/**
 * Parameter snapshots along a run, for analyses that need the networks at many
 * points in training (the gradient-quality diagnostic): `snapshots/step-<n>.safetensors`
 * holds every module's parameters (targets included), nothing else. Checkpoints keep
 * only the latest state; snapshots are never replaced except by the same step.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from '../algos/agent.js';
import { readAgentParams, writeAgentParams } from './checkpoint.js';
import type { RunningMeanStdState } from '../core/running-mean-std.js';

export const snapshotsDir = (runDir: string): string => join(runDir, 'snapshots');
export const snapshotPath = (runDir: string, step: number): string => join(snapshotsDir(runDir), `step-${step}.safetensors`);

const SNAPSHOT_FILE = /^step-(\d+)\.safetensors$/;

/**
 * Write the agent's parameters at `step` (atomic: a crash leaves no partial file), with the
 * observation statistics of a run that normalises observations (JSON in the file's metadata).
 */
export async function saveSnapshot(runDir: string, agent: Agent, step: number, obsNormalizer?: RunningMeanStdState): Promise<void> {
  mkdirSync(snapshotsDir(runDir), { recursive: true });
  const metadata: Record<string, string> = { step: String(step) };
  if (obsNormalizer !== undefined) metadata.obsNormalizer = JSON.stringify(obsNormalizer);
  await writeAgentParams(snapshotPath(runDir, step), agent, metadata);
}

/** Load the snapshot taken at `step` into the agent; returns its observation statistics, if any. */
export async function loadSnapshot(runDir: string, agent: Agent, step: number): Promise<RunningMeanStdState | undefined> {
  const metadata = await readAgentParams(snapshotPath(runDir, step), agent);
  const stats = metadata?.obsNormalizer;
  return stats === undefined ? undefined : JSON.parse(stats) as RunningMeanStdState;
}

/** Steps that have a snapshot, ascending. */
export function snapshotSteps(runDir: string): number[] {
  const dir = snapshotsDir(runDir);
  if (!existsSync(dir)) return [];
  const steps: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = SNAPSHOT_FILE.exec(name);
    if (m !== null) steps.push(Number(m[1]));
  }
  return steps.sort((a, b) => a - b);
}
