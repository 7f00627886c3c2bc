import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncVectorEnv, makeSync, prepare, SyncVectorEnv, type Box, type VectorEnv } from '../../src/envs/index.js';
import { Xoshiro128Rng } from '../../src/core/random.js';

const FAULTY = new URL('./faulty-envs.js', import.meta.url);

/** Runs `steps` seeded random steps and returns every observation, reward and flag produced. */
function rollout(env: VectorEnv, steps: number, seed: number): number[] {
  const rng = new Xoshiro128Rng(seed);
  const trace: number[] = [...env.reset({ seed }).obs];
  const space = env.singleActionSpace;
  const size = 'low' in space ? space.size : 1;
  const actions = new Float64Array(env.numEnvs * size);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < env.numEnvs; i++) {
      if ('low' in space) (space as Box).sample(rng, actions.subarray(i * size, (i + 1) * size));
      else actions[i] = space.sample(rng);
    }
    const r = env.step(actions);
    trace.push(...r.obs, ...r.rewards, ...r.terminations, ...r.truncations);
  }
  return trace;
}

test('AsyncVectorEnv is bit-identical to SyncVectorEnv (MuJoCo, 2 workers, 3 envs each)', async () => {
  const options = { maxEpisodeSteps: 20 };
  const sync = await SyncVectorEnv.create('Hopper-v5', 6, { envOptions: options });
  const async = await AsyncVectorEnv.create('Hopper-v5', 6, { workers: 2, envOptions: options });
  try {
    const a = rollout(sync, 60, 11);
    const b = rollout(async, 60, 11);
    assert.equal(a.length, b.length);
    assert.ok(a.every((x, i) => Object.is(x, b[i])), 'traces differ');
    // Episodes ended (terminations or the 20-step limit), so autoreset was exercised.
    assert.ok(a.some((x) => x === 1));
  } finally {
    await sync.close();
    await async.close();
  }
});

test('float32 observation slabs are identical too (Ant, contact forces)', async () => {
  const options = { envOptions: { maxEpisodeSteps: 15 }, float32Observations: true };
  const sync = await SyncVectorEnv.create('Ant-v5', 3, options);
  const async = await AsyncVectorEnv.create('Ant-v5', 3, { ...options, workers: 2 });
  try {
    assert.ok(sync.reset({ seed: 1 }).obs instanceof Float32Array);
    assert.deepEqual(rollout(sync, 40, 5), rollout(async, 40, 5));
  } finally {
    await sync.close();
    await async.close();
  }
});

test('AsyncVectorEnv is bit-identical to SyncVectorEnv (CartPole, Discrete actions, float32 observations)', async () => {
  const sync = await SyncVectorEnv.create('CartPole-v1', 5);
  const async = await AsyncVectorEnv.create('CartPole-v1', 5, { workers: 2 });
  try {
    assert.deepEqual(rollout(sync, 200, 3), rollout(async, 200, 3));
  } finally {
    await sync.close();
    await async.close();
  }
});

test('reset seeds env i with seed + i; autoreset happens on the step after an episode ends', async () => {
  await prepare('Pendulum-v1');
  const vector = await SyncVectorEnv.create('Pendulum-v1', 3, { envOptions: { maxEpisodeSteps: 5 } });
  const { obs } = vector.reset({ seed: 100 });
  for (let i = 0; i < 3; i++) {
    const single = makeSync('Pendulum-v1');
    assert.deepEqual([...obs.subarray(3 * i, 3 * i + 3)], [...single.reset({ seed: 100 + i }).obs]);
  }
  const actions = new Float64Array(3);
  for (let t = 1; t <= 4; t++) assert.deepEqual([...vector.step(actions).truncations], [0, 0, 0]);
  const last = vector.step(actions);
  assert.deepEqual([...last.truncations], [1, 1, 1]);
  assert.ok(last.rewards.every((r) => r < 0));
  const after = vector.step(actions);
  assert.deepEqual([...after.rewards], [0, 0, 0]);
  assert.deepEqual([...after.truncations, ...after.terminations], [0, 0, 0, 0, 0, 0]);
  assert.throws(() => vector.step(new Float64Array(2)), /actions have length 2, expected 3/);
  await vector.close();
});

test('an env that throws in a worker gives an error naming the env, index and step', async () => {
  const vector = await AsyncVectorEnv.create('Throwing-v0', 4, { workers: 2, setupModules: [FAULTY] });
  try {
    vector.reset({ seed: 0 });
    const actions = new Float64Array(4);
    vector.step(actions);
    vector.step(actions);
    assert.throws(() => vector.step(actions), /Throwing-v0 \(vector env index 0\) failed during step 3: boom/);
    assert.throws(() => vector.step(actions), /unusable after an earlier failure/);
  } finally {
    await vector.close();
  }
});

test('a worker that exits or hangs is reported, not waited on forever', async () => {
  const exiting = await AsyncVectorEnv.create('Exiting-v0', 2, { workers: 2, setupModules: [FAULTY] });
  exiting.reset({ seed: 0 });
  exiting.step(new Float64Array(2));
  assert.throws(() => exiting.step(new Float64Array(2)), /worker 0 \(Exiting-v0 envs 0\.\.0\) exited during step 2/);
  await exiting.close();

  const hanging = await AsyncVectorEnv.create('Hanging-v0', 1, { workers: 1, setupModules: [FAULTY], timeoutMs: 300 });
  hanging.reset({ seed: 0 });
  hanging.step(new Float64Array(1));
  assert.throws(() => hanging.step(new Float64Array(1)), /worker 0 \(Hanging-v0 envs 0\.\.0\) did not finish step 2 within 300 ms/);
  await hanging.close();
});

test('startup failures reject create() and close() ends the workers', async () => {
  await assert.rejects(AsyncVectorEnv.create('NoSuchEnv-v0', 2, { workers: 1 }), /failed to start: Unknown env id 'NoSuchEnv-v0'/);
  const vector = await AsyncVectorEnv.create('Pendulum-v1', 2, { workers: 2 });
  await vector.close();
  assert.throws(() => vector.step(new Float64Array(2)), /the vector env is closed/);
});
