import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { ReplayBuffer } from '../../src/replay/replay-buffer.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { replayBatch } from '../../src/algos/agent.js';
import { normalizedActor, ObservationNormalizer, restoreFromCheckpoint } from '../../src/train/obs-normalizer.js';

test('ObservationNormalizer: running mean and variance match a two-pass computation; output is standardised and clipped', () => {
  const rng = new Xoshiro128Rng(5);
  const n = 4000, dim = 3, xs: number[][] = [];
  const norm = new ObservationNormalizer(dim, 5);
  for (let i = 0; i < n; i++) {
    const x = [10 + 3 * rng.normal(), -2 + 0.01 * rng.normal(), 1000 * rng.uniform()];
    xs.push(x);
    norm.update(x);
  }
  const s = norm.getState();
  for (let j = 0; j < dim; j++) {
    const mean = xs.reduce((a, x) => a + x[j]!, 0) / n;
    const variance = xs.reduce((a, x) => a + (x[j]! - mean) ** 2, 0) / n;
    // Gymnasium's prior (count 1e-4, mean 0, variance 1) pooled with the data moves the mean by
    // c0·|mean|/n and the variance by c0·(1 + mean² + variance)/n; plus float64 rounding.
    const c0 = 1e-4;
    assert.ok(Math.abs(s.mean[j]! - mean) <= 1.01 * c0 * Math.abs(mean) / n + 1e-12 * (Math.abs(mean) + 1), `mean[${j}] ${s.mean[j]} vs ${mean}`);
    assert.ok(Math.abs(s.var[j]! - variance) <= 1.01 * c0 * (1 + mean * mean + variance) / n + 1e-12 * variance, `variance[${j}] ${s.var[j]} vs ${variance}`);
  }
  const out = new Float64Array(dim);
  norm.normalize([10 + 3, -2, 1e9], 0, out, 0);
  assert.ok(Math.abs(out[0]! - 1) < 0.05, `one std above the mean → ${out[0]}`);
  assert.ok(Math.abs(out[1]!) < 0.05);
  assert.equal(out[2], 5, 'clipped at +clip');
  assert.throws(() => norm.update([1, 2]), /2 values, expected 3/);
  assert.throws(() => new ObservationNormalizer(3).setState({ count: 1, mean: [0], var: [1] }), /1-d observations/);
  const copy = new ObservationNormalizer(dim, 5);
  copy.setState(s);
  const again = new Float64Array(dim);
  copy.normalize([10 + 3, -2, 1e9], 0, again, 0);
  assert.deepEqual([...again], [...out]);
});

test('restoreFromCheckpoint: loads saved statistics; a checkpoint without them is an error naming the run', () => {
  const saved = { mean: [1, 2], var: [4, 9], count: 50 };
  const norm = new ObservationNormalizer(2);
  restoreFromCheckpoint(norm, saved, 'runs/a');
  assert.deepEqual(norm.getState(), saved);
  assert.throws(() => restoreFromCheckpoint(new ObservationNormalizer(2), undefined, 'runs/a'), /runs\/a: the run normalises observations but its checkpoint has no observation statistics/);
});

test('ReplayBuffer with a normaliser: sampled obs and next obs are normalised, actions and rewards are not, the stored data stays raw', () => {
  const e = new Engine(defaultBackend());
  const rb = new ReplayBuffer(10, 2, 1, 4);
  const norm = new ObservationNormalizer(2);
  for (let i = 0; i < 10; i++) {
    const o = [i, 100 + i], no = [i + 1, 101 + i];
    norm.update(o);
    rb.add(o, [0.5], i, no, false);
  }
  rb.normalizer = norm;
  const batch = replayBatch(e, 4, { obsDim: 2, actionLow: [-1], actionHigh: [1] });
  rb.sampleInto(4, new Xoshiro128Rng(1), batch);
  const d = e.backend.arena.data;
  const expect = new Float64Array(2);
  for (let b = 0; b < 4; b++) {
    const i = d[batch.rewards.offset + b]!; // reward i marks transition i
    norm.normalize([i, 100 + i], 0, expect, 0);
    for (let k = 0; k < 2; k++) assert.ok(Math.abs(d[batch.obs.offset + 2 * b + k]! - expect[k]!) < 1e-5);
    norm.normalize([i + 1, 101 + i], 0, expect, 0);
    for (let k = 0; k < 2; k++) assert.ok(Math.abs(d[batch.nextObs.offset + 2 * b + k]! - expect[k]!) < 1e-5);
    assert.equal(d[batch.actions.offset + b], 0.5);
  }
  assert.equal(rb.state().obs[3], 101, 'the buffer keeps raw observations');
});

test('snapshots carry the observation statistics for the gradient diagnostic', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Td3, TD3_SCHEMA } = await import('../../src/algos/td3.js');
  const { defaults } = await import('../../src/core/config.js');
  const { loadSnapshot, saveSnapshot } = await import('../../src/train/snapshots.js');
  const spec = { obsDim: 3, actionLow: [-1], actionHigh: [1] };
  const agent = new Td3(new Engine(defaultBackend()), spec, { ...defaults(TD3_SCHEMA), actorHidden: [8], criticHidden: [8] }, 1);
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-snap-'));
  const norm = new ObservationNormalizer(3);
  norm.update([1, 2, 3]);
  norm.update([3, 2, 1]);
  await saveSnapshot(dir, agent, 100, norm.getState());
  await saveSnapshot(dir, agent, 200);
  assert.deepEqual(await loadSnapshot(dir, agent, 100), norm.getState());
  assert.equal(await loadSnapshot(dir, agent, 200), undefined);
});

test('normalizedActor: the agent acts on the normalised observation and is shown the env\'s own (VariBAD\'s encoder reads it)', () => {
  const norm = new ObservationNormalizer(2);
  norm.setState({ mean: [1, -2], var: [4, 0.25], count: 10 });
  const seen: { obs: number[]; raw: number[] | undefined }[] = [];
  const actor = normalizedActor({ act: (obs, _explore, out, raw) => { seen.push({ obs: Array.from(obs), raw: raw === undefined ? undefined : Array.from(raw) }); out[0] = 0; } }, norm);
  actor.act([3, -1], false, new Float64Array(1));
  assert.deepEqual(seen[0]!.raw, [3, -1]);
  seen[0]!.obs.forEach((x, k) => assert.ok(Math.abs(x - [1, 2][k]!) < 1e-6, `normalised obs[${k}] ${x}`));
});
