/** Loads the Gymnasium reference trajectories in test/fixtures/gymnasium (see its README). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FixtureStep {
  obs: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Record<string, number | number[]>;
  state?: number[];
}

export interface Fixture {
  env: string;
  seed: number;
  reset_obs: number[];
  init: { state: number[]; qpos?: number[]; qvel?: number[] };
  actions: number[][];
  steps: FixtureStep[];
}

// Compiled tests run from dist/test/envs; the fixtures stay in the source tree.
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'gymnasium');

export function loadFixtures(envId: string): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((name) => name.startsWith(`${envId}.seed`) && name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8')) as Fixture);
}

/** |a − b| ≤ abs + rel·max(|a|, |b|). */
export function close(actual: number, expected: number, abs = 1e-8, rel = 1e-6): boolean {
  return Math.abs(actual - expected) <= Math.max(abs, rel * Math.max(Math.abs(actual), Math.abs(expected)));
}

/** Index of the first element that is not close, or −1. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, abs = 1e-8, rel = 1e-6): number {
  if (actual.length !== expected.length) return 0;
  for (let i = 0; i < expected.length; i++) if (!close(actual[i]!, expected[i]!, abs, rel)) return i;
  return -1;
}
