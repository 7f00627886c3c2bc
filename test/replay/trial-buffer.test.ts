/**
 * TrialBuffer: trials cut from time-major multi-env rollouts land whole and in order, the
 * ring overwrites the oldest, sampling lays trials out time-major, and state() / loadState()
 * round-trip (checkpoints) with errors that name the mismatch.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { TrialBuffer } from '../../src/replay/trial-buffer.js';

/** A rollout of `numEnvs` envs over `steps` steps whose values encode (step, env, component). */
function rollout(steps: number, numEnvs: number, S: number, A: number) {
  const obs = new Float32Array((steps + 1) * numEnvs * S), actions = new Float32Array(steps * numEnvs * A), rewards = new Float32Array(steps * numEnvs);
  for (let t = 0; t <= steps; t++) {
    for (let i = 0; i < numEnvs; i++) {
      for (let d = 0; d < S; d++) obs[(t * numEnvs + i) * S + d] = 100 * t + 10 * i + d;
      if (t === steps) continue;
      for (let d = 0; d < A; d++) actions[(t * numEnvs + i) * A + d] = -(100 * t + 10 * i + d);
      rewards[t * numEnvs + i] = 1000 + 100 * t + i;
    }
  }
  return { obs, actions, rewards };
}

/** Draws the given indices' fractions in turn: trial k of n is picked by (k + 0.5) / n. */
const picks = (n: number, ks: number[]) => { let j = 0; return { uniform: () => (ks[j++ % ks.length]! + 0.5) / n }; };

it('stores a trial of one env from a time-major rollout, starting at any step', () => {
  const T = 3, S = 2, A = 1, N = 3;
  const buf = new TrialBuffer(4, T, S, A, 1);
  const r = rollout(5, N, S, A);
  buf.addTrial(r.obs, r.actions, r.rewards, 2, N, 1);
  const s = buf.sample(picks(1, [0]));
  // Steps 1 … 4 of env 2.
  assert.deepEqual([...s.obs], [120, 121, 220, 221, 320, 321, 420, 421]);
  assert.deepEqual([...s.actions], [-120, -220, -320]);
  assert.deepEqual([...s.rewards], [1102, 1202, 1302]);
});

it('overwrites the oldest trial when full, and samples time-major [t, b, ·]', () => {
  const T = 2, S = 1, A = 1, N = 4;
  const buf = new TrialBuffer(2, T, S, A, 2);
  const r = rollout(T, N, S, A);
  for (const env of [0, 1, 2]) buf.addTrial(r.obs, r.actions, r.rewards, env, N);
  assert.equal(buf.size, 2);
  // Slot 0 now holds env 2, slot 1 env 1: draw slot 0 then slot 1.
  const s = buf.sample(picks(2, [0, 1]));
  assert.deepEqual([...s.obs], [20, 10, 120, 110, 220, 210]);
  assert.deepEqual([...s.rewards], [1002, 1001, 1102, 1101]);
});

it('round-trips its state into a fresh buffer, and refuses state of another shape', () => {
  const T = 2, S = 2, A = 2, N = 2;
  const a = new TrialBuffer(3, T, S, A, 2);
  const r = rollout(T, N, S, A);
  a.addTrial(r.obs, r.actions, r.rewards, 1, N);
  a.addTrial(r.obs, r.actions, r.rewards, 0, N);
  const b = new TrialBuffer(3, T, S, A, 2);
  b.loadState(a.state());
  assert.equal(b.size, 2);
  assert.deepEqual(b.state(), a.state());
  assert.deepEqual([...b.sample(picks(2, [1, 0])).obs], [...a.sample(picks(2, [1, 0])).obs]);
  // The ring position travels too: the next trial overwrites the same slot in both.
  a.addTrial(r.obs, r.actions, r.rewards, 1, N);
  b.addTrial(r.obs, r.actions, r.rewards, 1, N);
  assert.deepEqual(b.state(), a.state());
  assert.throws(() => new TrialBuffer(3, T + 1, S, A, 2).loadState(a.state()), /3 trials of 3 steps need/);
  assert.throws(() => new TrialBuffer(2, T, S, A, 2).loadState(a.state()), /do not fit a buffer of 2 trials/);
});

it('names bad arguments: sizes, env index, short rollouts, sampling an empty buffer', () => {
  assert.throws(() => new TrialBuffer(0, 2, 1, 1, 1), /capacity must be a positive integer, got 0/);
  const buf = new TrialBuffer(2, 3, 1, 1, 1);
  const r = rollout(2, 1, 1, 1);
  assert.throws(() => buf.sample(picks(1, [0])), /buffer is empty/);
  assert.throws(() => buf.addTrial(r.obs, r.actions, r.rewards, 1, 1), /env 1 is not in \[0, 1\)/);
  assert.throws(() => buf.addTrial(r.obs, r.actions, r.rewards, 0, 1), /a 3-step trial from step 0 of 1 envs needs 4 observation values/);
});
