import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { RolloutBuffer, type RolloutMinibatch } from '../../src/replay/rollout-buffer.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { countTypedArrayAllocations } from '../helpers/alloc.js';

interface Step { reward: number; value: number; terminated?: boolean; truncated?: boolean }

/**
 * Two envs over four steps. Env 0: a step, a truncation, the autoreset step (V = 3, the value of
 * the truncated episode's final observation), a step. Env 1: a step, a termination, the autoreset
 * step, a step. V after the last step: 0.4 and 2.
 */
const ENV0: Step[] = [{ reward: 1, value: 0.5 }, { reward: 2, value: 1, truncated: true }, { reward: 0, value: 3 }, { reward: 1, value: 0.2 }];
const ENV1: Step[] = [{ reward: 0, value: 1 }, { reward: 1, value: 2, terminated: true }, { reward: 0, value: 5 }, { reward: -1, value: 0 }];
const NEXT_VALUES = [0.4, 2];

function filled(): RolloutBuffer {
  const b = new RolloutBuffer(4, 2, 1, 1);
  for (let t = 0; t < 4; t++) {
    b.addObservations([10 * t, 10 * t + 1]);
    [ENV0, ENV1].forEach((env, i) => {
      b.values[b.row + i] = env[t]!.value;
      b.logProbs[b.row + i] = -t - i / 10;
      b.actions[b.row + i] = 100 + 10 * t + i;
    });
    b.addOutcome([ENV0[t]!.reward, ENV1[t]!.reward], [ENV0[t]!.terminated ? 1 : 0, ENV1[t]!.terminated ? 1 : 0], [ENV0[t]!.truncated ? 1 : 0, ENV1[t]!.truncated ? 1 : 0]);
  }
  return b;
}

const close = (got: ArrayLike<number>, want: number[], label: string): void => {
  want.forEach((w, k) => assert.ok(Math.abs(got[k]! - w) < 1e-12, `${label}[${k}]: ${got[k]} vs ${w}`));
};

test('GAE by hand (γ = 0.9, λ = 0.5): termination, truncation bootstrapped from V(final obs), autoreset rows', () => {
  const b = filled();
  assert.deepEqual([...b.valid], [1, 1, 1, 1, 0, 0, 1, 1], 'the steps after an episode end are autoreset rows');
  b.computeAdvantages(NEXT_VALUES, { gamma: 0.9, lambda: 0.5, bootstrapTruncated: true });
  // Env 0: A3 = 1 + 0.9·0.4 − 0.2 = 1.16; A2 = 0 (autoreset); A1 = 2 + 0.9·3 − 1 = 3.7 (truncated: bootstraps
  // from V = 3, no chain past the episode end); A0 = (1 + 0.9·1 − 0.5) + 0.9·0.5·3.7 = 3.065.
  // Env 1: A3 = −1 + 0.9·2 − 0 = 0.8; A1 = 1 − 2 = −1 (terminated); A0 = (0 + 0.9·2 − 1) + 0.45·(−1) = 0.35.
  close(b.advantages, [3.065, 0.35, 3.7, -1, 0, 0, 1.16, 0.8], 'advantages');
  close(b.returns, [3.565, 1.35, 4.7, 1, 3, 5, 1.36, 0.8], 'returns = advantages + values');
});

test('GAE with truncation treated as termination (CleanRL): the truncated step does not bootstrap', () => {
  const b = filled();
  b.computeAdvantages(NEXT_VALUES, { gamma: 0.9, lambda: 0.5, bootstrapTruncated: false });
  // Env 0: A1 = 2 − 1 = 1; A0 = 1.4 + 0.45·1 = 1.85; env 1 unchanged.
  close(b.advantages, [1.85, 0.35, 1, -1, 0, 0, 1.16, 0.8], 'advantages');
});

test('GAE with λ = 1 and no episode end is the discounted return minus the value', () => {
  const b = new RolloutBuffer(3, 1, 1, 1);
  for (const [r, v] of [[1, 0.1], [2, 0.2], [3, 0.3]] as const) {
    b.addObservations([0]);
    b.values[b.row] = v;
    b.addOutcome([r], [0], [0]);
  }
  b.computeAdvantages([10], { gamma: 0.5, lambda: 1, bootstrapTruncated: true });
  // G0 = 1 + 0.5·2 + 0.25·3 + 0.125·10 = 4, G1 = 2 + 1.5 + 2.5 = 6, G2 = 3 + 5 = 8.
  close(b.returns, [4, 6, 8], 'returns');
  close(b.advantages, [3.9, 5.8, 7.7], 'advantages');
});

test('the autoreset flag carries over to the next rollout, and is dropped when the envs are reset from outside', () => {
  const b = new RolloutBuffer(1, 2, 1, 1);
  b.addObservations([0, 0]);
  b.addOutcome([0, 0], [1, 0], [0, 0]);
  b.clear();
  b.addObservations([0, 0]);
  assert.deepEqual([...b.valid], [0, 1]);
  b.clear();
  b.restartEpisodes();
  b.addObservations([0, 0]);
  assert.deepEqual([...b.valid], [1, 1]);
});

test('minibatches: a seeded permutation covering every row once, valid rows weighted 1/count, autoreset rows 0', () => {
  const b = filled();
  b.computeAdvantages(NEXT_VALUES, { gamma: 0.9, lambda: 0.5, bootstrapTruncated: true });
  const e = new Engine(defaultBackend());
  const mb: RolloutMinibatch = {
    obs: e.persistent([4, 1]), actions: e.persistent([4, 1]), logProbs: e.persistent([4, 1]), values: e.persistent([4, 1]),
    advantages: e.persistent([4, 1]), returns: e.persistent([4, 1]), weights: e.persistent([4, 1]),
  };
  const rowOf = (action: number): number => 2 * Math.floor((action - 100) / 10) + ((action - 100) % 10); // actions encode their row: 100 + 10·t + env
  const orders: number[][] = [];
  for (const seed of [3, 3, 4]) {
    b.shuffle(new Xoshiro128Rng(seed));
    const rows: number[] = [];
    for (let k = 0; k < 2; k++) {
      const count = b.minibatchInto(k, mb);
      const actions = mb.actions.toArray(), weights = mb.weights.toArray();
      actions.forEach((a, j) => {
        const row = rowOf(a);
        rows.push(row);
        assert.equal(mb.obs.toArray()[j], 10 * Math.floor(row / 2) + (row % 2));
        assert.ok(Math.abs(mb.values.toArray()[j]! - b.values[row]!) < 1e-6);
        assert.ok(Math.abs(mb.logProbs.toArray()[j]! - b.logProbs[row]!) < 1e-6);
        assert.ok(Math.abs(mb.advantages.toArray()[j]! - b.advantages[row]!) < 1e-6);
        assert.ok(Math.abs(mb.returns.toArray()[j]! - b.returns[row]!) < 1e-6);
        assert.ok(Math.abs(weights[j]! - (b.valid[row] ? 1 / count : 0)) < 1e-7, `weight of row ${row}`);
      });
      assert.equal(count, actions.filter((a) => b.valid[rowOf(a)]).length);
    }
    assert.deepEqual([...rows].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7]);
    orders.push(rows);
  }
  assert.deepEqual(orders[0], orders[1], 'same generator state, same order');
  assert.notDeepEqual(orders[0], orders[2]);
  assert.throws(() => b.minibatchInto(2, mb), /minibatch 2 of size 4 is outside the 8 rows/);
});

test('explained variance over the valid rows matches a two-pass computation', () => {
  const b = filled();
  b.computeAdvantages(NEXT_VALUES, { gamma: 0.9, lambda: 0.5, bootstrapTruncated: true });
  const rows = [0, 1, 2, 3, 6, 7];
  const y = rows.map((k) => b.returns[k]!), err = rows.map((k) => b.returns[k]! - b.values[k]!);
  const variance = (xs: number[]): number => { const m = xs.reduce((s, x) => s + x, 0) / xs.length; return xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length; };
  assert.ok(Math.abs(b.explainedVariance() - (1 - variance(err) / variance(y))) < 1e-12);
});

test('misuse is reported: overfilling, non-finite data, advantages of a partial rollout', () => {
  const b = new RolloutBuffer(1, 1, 2, 1);
  assert.throws(() => b.computeAdvantages([0], { gamma: 1, lambda: 1, bootstrapTruncated: true }), /only 0 of 1 steps are filled/);
  assert.throws(() => b.addObservations([0, Number.NaN]), /env 0 observation\[1\] is NaN at step 0/);
  assert.throws(() => b.addObservations([0]), /1 values, expected 1 envs × 2/);
  b.addObservations([0, 1]);
  assert.throws(() => b.addOutcome([Number.POSITIVE_INFINITY], [0], [0]), /env 0 reward is Infinity at step 0/);
  b.addOutcome([1], [0], [0]);
  assert.throws(() => b.addObservations([0, 1]), /all 1 steps are filled/);
});

test('filling, GAE, shuffling and gathering allocate nothing', () => {
  const b = new RolloutBuffer(64, 4, 3, 2);
  const e = new Engine(defaultBackend());
  const mb: RolloutMinibatch = {
    obs: e.persistent([32, 3]), actions: e.persistent([32, 2]), logProbs: e.persistent([32, 1]), values: e.persistent([32, 1]),
    advantages: e.persistent([32, 1]), returns: e.persistent([32, 1]), weights: e.persistent([32, 1]),
  };
  const obs = new Float64Array(12), rewards = new Float64Array(4), flags = new Uint8Array(4), next = new Float64Array(4);
  const rng = new Xoshiro128Rng(1);
  const cycle = (): void => {
    b.clear();
    for (let t = 0; t < 64; t++) { flags[t % 4] = t % 7 === 0 ? 1 : 0; b.addObservations(obs); b.addOutcome(rewards, flags, flags); }
    b.computeAdvantages(next, { gamma: 0.99, lambda: 0.95, bootstrapTruncated: true });
    b.shuffle(rng);
    for (let k = 0; k < 8; k++) b.minibatchInto(k, mb);
  };
  cycle();
  assert.equal(countTypedArrayAllocations(cycle), 0);
});

test('episode starts: the first row, the row after an autoreset row, and every row after the envs were reset from outside', () => {
  const b = filled();
  // Env 0: starts at t = 0, autoreset at t = 2, so t = 3 starts an episode; env 1 likewise.
  assert.deepEqual([...b.episodeStarts], [1, 1, 0, 0, 0, 0, 1, 1]);
  b.clear();
  b.restartEpisodes();
  b.addObservations([0, 0]);
  assert.deepEqual([...b.episodeStarts.subarray(0, 2)], [1, 1]);
});

test('sequence minibatches: whole segments time-major, their episode starts, valid weights and stored hidden states', () => {
  // 4 steps of 2 envs in segments of 2 steps: 4 segments of which a minibatch takes 2.
  const b = new RolloutBuffer(4, 2, 1, 1, { sequenceLength: 2, hiddenSize: 3 });
  for (let t = 0; t < 4; t++) {
    if (t % 2 === 0) for (let i = 0; i < 2; i++) for (let h = 0; h < 3; h++) b.hiddens![b.hiddenOffset(i) + h] = 100 * t + 10 * i + h;
    b.addObservations([10 * t, 10 * t + 1]);
    for (let i = 0; i < 2; i++) b.actions[b.row + i] = 10 * t + i;
    b.addOutcome([0, 0], [t === 0 ? 1 : 0, 0], [0, 0]); // env 0 ends at t = 0: t = 1 is its autoreset row, t = 2 starts an episode
  }
  b.computeAdvantages([0, 0], { gamma: 0.9, lambda: 0.9, bootstrapTruncated: true });
  const e = new Engine(defaultBackend());
  const t2 = (shape: number[]): ReturnType<Engine['persistent']> => e.persistent(shape);
  const mb = {
    obs: t2([4, 1]), actions: t2([4, 1]), logProbs: t2([4, 1]), values: t2([4, 1]), advantages: t2([4, 1]), returns: t2([4, 1]),
    weights: t2([4, 1]), episodeStarts: t2([4, 1]), hidden: t2([2, 3]),
  };
  b.shuffle(new Xoshiro128Rng(5));
  const segments: number[] = [];
  for (let k = 0; k < 2; k++) {
    const count = b.sequenceMinibatchInto(k, mb);
    const obs = mb.obs.toArray(), starts = mb.episodeStarts.toArray(), weights = mb.weights.toArray(), hidden = mb.hidden.toArray();
    for (let j = 0; j < 2; j++) {
      // Time-major: rows j and 2 + j are steps 0 and 1 of segment j, consecutive steps of one env.
      const t0 = Math.floor(obs[j]! / 10), env = obs[j]! % 10;
      assert.equal(t0 % 2, 0, 'segments start at even steps');
      assert.equal(obs[2 + j], 10 * (t0 + 1) + env);
      segments.push(t0 * 2 + env);
      assert.deepEqual(hidden.slice(3 * j, 3 * j + 3), [0, 1, 2].map((h) => 100 * t0 + 10 * env + h), 'the state stored at the segment start');
      const rows = [t0 * 2 + env, (t0 + 1) * 2 + env];
      rows.forEach((row, tau) => {
        assert.equal(starts[2 * tau + j], b.episodeStarts[row]);
        assert.ok(Math.abs(weights[2 * tau + j]! - (b.valid[row] ? 1 / count : 0)) < 1e-7);
      });
    }
  }
  assert.deepEqual(segments.sort((p, q) => p - q), [0, 1, 4, 5], 'every segment once');
  assert.deepEqual([...b.episodeStarts], [1, 1, 0, 0, 1, 0, 0, 0]);
  assert.throws(() => b.minibatchInto(0, mb), /holds sequences; use sequenceMinibatchInto/);
  assert.throws(() => new RolloutBuffer(5, 1, 1, 1, { sequenceLength: 2, hiddenSize: 1 }), /sequenceLength 2 does not divide numSteps 5/);
  b.clear();
  b.addObservations([0, 0]);
  b.addOutcome([0, 0], [0, 0], [0, 0]);
  assert.throws(() => b.hiddenOffset(0), /step 1 does not start a segment of 2 steps/);
});
