import assert from 'node:assert/strict';
import { test } from 'node:test';
import { make, MemoryCueEnv, type Env } from '../../src/envs/index.js';

test('MemoryCue-v0: the cue only in the first observation, the last-step flag before the choice, ±1 for the choice', async () => {
  const env = (await make('MemoryCue-v0', { length: 4 })) as Env<number, Float32Array>;
  const cues = new Set<number>();
  for (let episode = 0; episode < 20; episode++) {
    const first = [...env.reset({ seed: episode }).obs];
    const cue = first.indexOf(1);
    cues.add(cue);
    assert.deepEqual(first, cue === 0 ? [1, 0, 0] : [0, 1, 0]);
    const seen: number[][] = [];
    for (let t = 0; t < 3; t++) {
      const r = env.step(episode % 2);
      assert.deepEqual([r.reward, r.terminated, r.truncated], [0, false, false]);
      seen.push([...r.obs]);
    }
    assert.deepEqual(seen, [[0, 0, 0], [0, 0, 0], [0, 0, 1]], 'no cue after the first observation; the flag marks the choice');
    const choice = episode % 2;
    const last = env.step(choice);
    assert.deepEqual([last.reward, last.terminated], [choice === cue ? 1 : -1, true]);
    assert.throws(() => env.step(0), /the episode is over \(it lasts 4 steps\); call reset\(\)/);
  }
  assert.deepEqual([...cues].sort(), [0, 1]);
  assert.equal(env.reset({ seed: 3 }).obs.indexOf(1), env.reset({ seed: 3 }).obs.indexOf(1), 'the cue follows the seed');
  assert.throws(() => new MemoryCueEnv({ length: 1 }), /option 'length' must be an integer ≥ 2/);
  assert.throws(() => env.step(2), /action must be 0 or 1/);
});
