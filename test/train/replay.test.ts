/** The replay buffer: Humanoid-size capacity, ring overwrite, uniform seeded sampling, bootstrap mask. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { ReplayBuffer } from '../../src/replay/replay-buffer.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { replayBatch } from '../../src/algos/agent.js';

it('holds 1e6 Humanoid-size transitions (376-d observations, 17-d actions)', () => {
  const r = new ReplayBuffer(1_000_000, 376, 17, 256);
  const o = new Float64Array(376).fill(0.5);
  for (let i = 0; i < 300; i++) r.add(o, new Float64Array(17).fill(i), i, o, i % 2 === 0);
  assert.equal(r.size, 300);
});

it('overwrites the oldest transition when full, samples uniformly with the given generator, and stores 1 − terminated', () => {
  const e = new Engine(createBackend('js'));
  const r = new ReplayBuffer(4, 2, 1, 8);
  for (let i = 0; i < 6; i++) r.add([i, -i], [i / 10], i, [i + 1, 0], i === 5);
  assert.equal(r.size, 4);
  const batch = replayBatch(e, 8, { obsDim: 2, actionLow: [-1], actionHigh: [1] });
  const counts = new Map<number, number>();
  const rng = new Xoshiro128Rng(3);
  for (let k = 0; k < 500; k++) {
    r.sampleInto(8, rng, batch);
    const obs = batch.obs.toArray(), rew = batch.rewards.toArray(), nd = batch.notDone.toArray(), next = batch.nextObs.toArray(), act = batch.actions.toArray();
    for (let b = 0; b < 8; b++) {
      const i = obs[2 * b]!;
      assert.ok(i >= 2 && i <= 5, `transition ${i} should have been overwritten`);
      assert.equal(rew[b], i);
      assert.equal(next[2 * b], i + 1);
      assert.ok(Math.abs(act[b]! - i / 10) < 1e-6);
      assert.equal(nd[b], i === 5 ? 0 : 1);
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
  }
  // 4000 draws over 4 slots: each ≈ 1000 (binomial sd ≈ 27); 5 sd bounds.
  for (const c of counts.values()) assert.ok(Math.abs(c - 1000) < 140, `counts ${[...counts.values()]}`);
  const again = new ReplayBuffer(4, 2, 1, 8);
  again.loadState(r.state());
  assert.deepEqual(again.state(), r.state());
  assert.throws(() => new ReplayBuffer(4, 3, 1).loadState(r.state()), /does not fit/);
  assert.throws(() => r.add([0, 0], [0], NaN, [0, 0], false), /reward is NaN/);
});
