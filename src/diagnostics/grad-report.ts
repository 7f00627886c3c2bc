/**
 * `<runDir>/diagnostics/grad.json`: the gradient-quality diagnostic per training step,
 * `{ checkpoints: [{ step, cosine: { mean, lo, hi }, perState: [cosine per state] }] }`
 * plus the run's identity, the settings, and per-state details. Written atomically after
 * every checkpoint, so an interrupted `hyperrl diagnose grad` resumes where it stopped.
 * Undefined values (a zero gradient's cosine, a one-state interval) are null.
 */
import { platform } from '#platform';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../platform/files.js';
import type { GradientQualityOptions, StateDiagnostic } from './gradient-quality.js';
import type { MeanInterval } from './statistics.js';

export interface GradCheckpoint {
  step: number;
  cosine: MeanInterval;
  perState: number[];
  /** Where the parameters came from: a snapshot or the run's latest checkpoint. */
  source: 'snapshot' | 'checkpoint';
  seconds: number;
  envSteps: number;
  states: StateDiagnostic[];
}

export interface GradReport {
  env: string;
  algo: string;
  critic: string;
  /** The diagnostic's settings; every checkpoint in the file used these. */
  settings: GradientQualityOptions;
  /** 95% interval over states: Student-t with states − 1 degrees of freedom. */
  interval: string;
  checkpoints: GradCheckpoint[];
}

export const gradReportPath = (runDir: string): string => join(runDir, 'diagnostics', 'grad.json');

export function readGradReport(runDir: string): GradReport | null {
  const file = gradReportPath(runDir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GradReport;
  } catch (e) {
    throw new Error(`${file}: unreadable (${(e as Error).message}); move it away to recompute`);
  }
}

/** Add (or replace) one checkpoint's result, keep the list sorted by step, and write atomically. */
export function mergeGradCheckpoint(runDir: string, report: Omit<GradReport, 'checkpoints'>, checkpoint: GradCheckpoint): GradReport {
  const previous = readGradReport(runDir);
  const checkpoints = (previous?.checkpoints ?? []).filter((c) => c.step !== checkpoint.step);
  checkpoints.push(checkpoint);
  checkpoints.sort((a, b) => a.step - b.step);
  const merged: GradReport = { ...report, checkpoints };
  const file = gradReportPath(runDir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(platform.files, file, JSON.stringify(merged, null, 1) + '\n');
  return merged;
}

/**
 * Whether two runs of the diagnostic are comparable. The batch size counts too: a batched
 * forward may round differently from another batch size, and rollouts amplify the last bit.
 */
export function sameSettings(a: GradientQualityOptions, b: GradientQualityOptions): boolean {
  const keys = Object.keys({ ...a, ...b }) as (keyof GradientQualityOptions)[];
  return keys.every((k) => a[k] === b[k]);
}
