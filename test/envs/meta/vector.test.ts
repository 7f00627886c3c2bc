import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../../src/core/random.js';
import { AsyncVectorEnv, Box, HALF_CHEETAH_VEL, make, SyncVectorEnv, WALKER2D_RAND_PARAMS, type VectorEnv, type VectorResetArgs } from '../../../src/envs/index.js';

/** Seeded random actions for `steps` steps of `numEnvs` envs with `size`-dim Box actions, row-major per step. */
function actionSequence(steps: number, numEnvs: number, space: Box, seed: number): Float64Array[] {
  const rng = new Xoshiro128Rng(seed);
  return Array.from({ length: steps }, () => {
    const actions = new Float64Array(numEnvs * space.size);
    for (let i = 0; i < numEnvs; i++) space.sample(rng, actions.subarray(i * space.size, (i + 1) * space.size));
    return actions;
  });
}

/** Every observation, reward and flag of a reset and the given steps. */
function trace(env: VectorEnv, reset: VectorResetArgs, actions: Float64Array[]): number[] {
  const out = [...env.reset(reset).obs];
  for (const a of actions) {
    const r = env.step(a);
    out.push(...r.obs, ...r.rewards, ...r.terminations, ...r.truncations);
  }
  return out;
}

/** Env `index`'s rewards from a vector trace (layout of `trace`). */
function rewardsOf(values: number[], numEnvs: number, obsSize: number, index: number): number[] {
  const stride = numEnvs * (obsSize + 3);
  const start = numEnvs * obsSize;
  return Array.from({ length: (values.length - start) / stride }, (_, t) => values[start + t * stride + numEnvs * obsSize + index]!);
}

test('trials with one task per env: AsyncVectorEnv is bit-identical to SyncVectorEnv, and env i runs its own task', async () => {
  const id = 'HalfCheetahVel-v0';
  const envOptions = { episodes_per_trial: 2, maxEpisodeSteps: 6, episode_boundary_in_observation: true, task_pool_size: 5 };
  const n = 4;
  const tasks = HALF_CHEETAH_VEL.sampleTasks(n, new Xoshiro128Rng(2));
  const reset = { seed: 3, optionsPerEnv: tasks.map((task) => ({ task })) };
  const sync = await SyncVectorEnv.create(id, n, { envOptions });
  const async = await AsyncVectorEnv.create(id, n, { envOptions, workers: 2 });
  try {
    // 30 steps: two full trials of 2 × 6 steps and autoresets onto new tasks drawn from the pool.
    const actions = actionSequence(30, n, sync.singleActionSpace as Box, 9);
    const a = trace(sync, reset, actions);
    const b = trace(async, reset, actions);
    assert.equal(a.length, b.length);
    assert.ok(a.every((x, i) => Object.is(x, b[i])), 'sync and async traces differ');
    // Env 2's first trial is that of a single env seeded 3 + 2 on tasks[2], with the same actions.
    const single = await make(id, envOptions);
    single.reset({ seed: 5, options: { task: tasks[2] } });
    const expected = actions.slice(0, 12).map((step) => single.step(step.subarray(12, 18)).reward);
    assert.deepEqual(rewardsOf(a, n, 21, 2).slice(0, 12), expected);
    // The boundary flag of env 0 marks the ends of episodes 6, 12 (trial end), 19 (after the autoreset step), 25.
    const flags = Array.from({ length: 30 }, (_, t) => a[n * 21 + t * n * 24 + 20]!);
    assert.deepEqual(flags.flatMap((f, t) => (f === 1 ? [t + 1] : [])), [6, 12, 19, 25]);
  } finally {
    await sync.close();
    await async.close();
  }
});

test('Walker2d-Rand-Params tasks per env: identical in sync and async, and envs sharing a worker thread keep their own physics', async () => {
  const id = 'Walker2dRandParams-v0';
  const envOptions = { maxEpisodeSteps: 10 };
  const n = 3;
  const tasks = WALKER2D_RAND_PARAMS.sampleTasks(n, new Xoshiro128Rng(6));
  const reset = { seed: 1, optionsPerEnv: tasks.map((task) => ({ task })) };
  const sync = await SyncVectorEnv.create(id, n, { envOptions });
  const async = await AsyncVectorEnv.create(id, n, { envOptions, workers: 2 }); // worker 1 runs envs 1 and 2
  try {
    const actions = actionSequence(25, n, sync.singleActionSpace as Box, 4);
    const a = trace(sync, reset, actions);
    assert.deepEqual(trace(async, reset, actions), a);
    // Envs 1 and 2 (one worker thread) alone reproduce their vector rewards, across the
    // autoresets (next-step mode: reward 0 on the step after an episode ends), where their tasks persist.
    for (const i of [1, 2]) {
      const single = await make(id, envOptions);
      single.reset({ seed: 1 + i, options: { task: tasks[i] } });
      let ended = false;
      const alone = actions.map((step) => {
        if (ended) {
          single.reset();
          ended = false;
          return 0;
        }
        const r = single.step(step.subarray(6 * i, 6 * i + 6));
        ended = r.terminated || r.truncated;
        return r.reward;
      });
      assert.deepEqual(rewardsOf(a, n, 17, i), alone, `env ${i}`);
    }
  } finally {
    await sync.close();
    await async.close();
  }
});

test('optionsPerEnv errors name the vector env', async () => {
  const sync = await SyncVectorEnv.create('Navigation2D-v0', 2);
  const async = await AsyncVectorEnv.create('Navigation2D-v0', 2, { workers: 1 });
  try {
    for (const [env, name] of [[sync, 'SyncVectorEnv'], [async, 'AsyncVectorEnv']] as const) {
      assert.throws(() => env.reset({ optionsPerEnv: [{}] }), new RegExp(`${name}\\(Navigation2D-v0\\): optionsPerEnv must be an array of 2 option objects \\(one per env\\), got length 1`));
      assert.throws(() => env.reset({ options: {}, optionsPerEnv: [{}, {}] }), new RegExp(`${name}\\(Navigation2D-v0\\): reset takes options or optionsPerEnv, not both`));
      assert.throws(() => env.reset({ optionsPerEnv: [{}, null as never] }), new RegExp(`${name}\\(Navigation2D-v0\\): optionsPerEnv\\[1\\] must be an options object, got null`));
    }
    assert.throws(() => async.reset({ optionsPerEnv: [{ note: 'x'.repeat(70_000) }, {}] }), /AsyncVectorEnv\(Navigation2D-v0\): the reset options of envs 0\.\.1 take more than the 65532 bytes/);
    // A bad task fails in the worker with the env and index named.
    assert.throws(() => async.reset({ optionsPerEnv: [{ task: { goal: [0, 0] } }, { task: { goal: [1, 0] } }] }), /Navigation2D-v0 \(vector env index 1\) failed during reset: 2D-Navigation: task\.goal\[0\] must be a finite number in \[-0\.5, 0\.5\], got 1/);
  } finally {
    await sync.close();
    await async.close();
  }
});
