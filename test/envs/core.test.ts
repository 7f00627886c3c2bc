import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Box,
  ClipAction,
  Discrete,
  make,
  makeSync,
  NormalizeObservation,
  ObservationWrapper,
  PendulumEnv,
  RecordEpisodeStatistics,
  register,
  RescaleAction,
  TimeLimit,
  type Env,
  type FloatArray,
} from '../../src/envs/index.js';
import { Xoshiro128Rng } from '../../src/core/random.js';

test('Box and Discrete sample inside themselves and check membership', () => {
  const rng = new Xoshiro128Rng(0);
  const box = new Box([-1, 0, -Infinity], [1, Infinity, Infinity]);
  for (let i = 0; i < 1000; i++) assert.ok(box.contains(box.sample(rng)));
  assert.equal(box.contains([0, -1, 0]), false);
  assert.equal(box.contains([0, 0]), false);
  assert.equal(box.contains([0, NaN, 0]), false);
  const discrete = new Discrete(3, 1);
  const seen = new Set<number>();
  for (let i = 0; i < 100; i++) seen.add(discrete.sample(rng));
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
  assert.equal(discrete.contains(0), false);
  assert.equal(discrete.contains(1.5), false);
  assert.throws(() => new Box([1], [0]), /low\[0\]/);
});

test('make applies the registered time limit, and unknown ids list close matches', async () => {
  const env = await make('Pendulum-v1');
  assert.ok(env instanceof TimeLimit);
  assert.equal(env.maxEpisodeSteps, 200);
  assert.equal((makeSync('Pendulum-v1', { maxEpisodeSteps: null }) as Env) instanceof TimeLimit, false);
  assert.throws(() => makeSync('Pendulum-v0'), /Unknown env id 'Pendulum-v0'\. Did you mean: Pendulum-v1/);
  assert.throws(() => makeSync('CartPol-v1'), /Did you mean: CartPole-v1/);
  await assert.rejects(make('Nope'), /Unknown env id 'Nope'\. Registered: (?=.*HalfCheetah-v5)(?=.*Pendulum-v1)/);
  assert.throws(() => makeSync('Pendulum-v1', { gravity: 9.8 }), /Pendulum-v1: unknown option 'gravity'; valid options: g/);
});

test('users can register their own envs', () => {
  register('HeavyPendulum-v0', { create: (options) => new PendulumEnv({ g: 20, ...options }), maxEpisodeSteps: 50 });
  const env = makeSync('HeavyPendulum-v0') as TimeLimit;
  assert.equal((env.unwrapped as PendulumEnv).g, 20);
  assert.throws(() => register('HeavyPendulum-v0', { create: () => new PendulumEnv() }), /already registered/);
});

test('step reuses its result and observation, and rejects bad actions naming the env', () => {
  const env = new PendulumEnv();
  assert.throws(() => env.step([0]), /Pendulum-v1: call reset\(\) before step\(\)/);
  const { obs } = env.reset({ seed: 1 });
  const first = env.step([0.5]);
  const second = env.step(new Float32Array([0.5]));
  assert.equal(first, second);
  assert.equal(second.obs, obs);
  assert.throws(() => env.step([0, 1]), /Pendulum-v1: action has length 2, expected 1/);
  assert.throws(() => env.step([NaN]), /Pendulum-v1: action\[0\] is NaN/);
  assert.throws(() => env.step([Infinity]), /Pendulum-v1: action\[0\] is Infinity/);
});

test('seeded resets are reproducible', () => {
  const a = new PendulumEnv();
  const b = new PendulumEnv();
  assert.deepEqual([...a.reset({ seed: 5 }).obs], [...b.reset({ seed: 5 }).obs]);
  assert.deepEqual([...a.reset().obs], [...b.reset().obs]);
  assert.notDeepEqual([...a.reset({ seed: 6 }).obs], [...b.reset({ seed: 5 }).obs]);
});

test('TimeLimit truncates and resets its counter', () => {
  const env = new TimeLimit(new PendulumEnv(), 3);
  env.reset({ seed: 0 });
  assert.deepEqual([1, 2, 3].map(() => env.step([0]).truncated), [false, false, true]);
  env.reset();
  assert.equal(env.step([0]).truncated, false);
});

test('ClipAction and RescaleAction transform actions into the env bounds', () => {
  const clipped = new ClipAction(new PendulumEnv());
  const plain = new PendulumEnv();
  clipped.reset({ seed: 3 });
  plain.reset({ seed: 3 });
  assert.deepEqual([...clipped.step([5]).obs], [...plain.step([2]).obs]);
  assert.equal(clipped.actionSpace.high[0], Infinity);

  const rescaled = new RescaleAction(new PendulumEnv(), -1, 1);
  rescaled.reset({ seed: 3 });
  plain.reset({ seed: 3 });
  assert.deepEqual([...rescaled.step([0.5]).obs], [...plain.step([1]).obs]);
  assert.deepEqual([...rescaled.actionSpace.low], [-1]);
});

test('NormalizeObservation tracks running statistics that can be saved and restored', () => {
  const env = new NormalizeObservation(new PendulumEnv());
  env.reset({ seed: 0 });
  for (let i = 0; i < 500; i++) env.step([Math.sin(i)]);
  const state = env.getState();
  assert.ok(state.count > 500);
  const copy = new NormalizeObservation(new PendulumEnv());
  copy.setState(state);
  copy.updateStatistics = false;
  env.updateStatistics = false;
  assert.deepEqual([...copy.reset({ seed: 9 }).obs], [...env.reset({ seed: 9 }).obs]);
  // Statistics of a constant stream converge to that constant.
  const constant = new NormalizeObservation(new PendulumEnv());
  const inner = constant.unwrapped as PendulumEnv;
  constant.reset({ seed: 0 });
  for (let i = 0; i < 200; i++) {
    inner.state.set([0, 0]);
    constant.step([0]);
  }
  assert.ok(Math.abs(constant.getState().mean[0]! - 1) < 1e-2);
});

test('a user ObservationWrapper transforms reset and step observations and passes the rest through', () => {
  class Doubled extends ObservationWrapper<number[] | Float64Array, Float64Array> {
    constructor(env: Env<number[] | Float64Array, FloatArray>) {
      super(env, new Float64Array(env.observationSpace.size), env.observationSpace);
    }
    protected observation(obs: FloatArray): void {
      for (let i = 0; i < obs.length; i++) this.out[i] = 2 * obs[i]!;
    }
  }
  const inner = new PendulumEnv(), reference = new PendulumEnv();
  const env = new Doubled(inner);
  assert.deepEqual([...env.reset({ seed: 3 }).obs], [...reference.reset({ seed: 3 }).obs].map((x) => 2 * x));
  for (let i = 0; i < 5; i++) {
    const r = env.step([0.5]), expected = reference.step([0.5]);
    assert.deepEqual([...r.obs], [...expected.obs].map((x) => 2 * x));
    assert.equal(r.reward, expected.reward);
    assert.equal(r.truncated, expected.truncated);
  }
});

test('RecordEpisodeStatistics reports return and length at episode end', () => {
  const env = new RecordEpisodeStatistics(new TimeLimit(new PendulumEnv(), 5));
  env.reset({ seed: 0 });
  let total = 0;
  for (let t = 0; t < 5; t++) {
    const result = env.step([0]);
    total += result.reward;
    if (t < 4) assert.equal(result.info.episode, undefined);
    else assert.deepEqual({ ...(result.info.episode as object), t: 0 }, { r: total, l: 5, t: 0 });
  }
});
