import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BamdpWrapper,
  HALF_CHEETAH_VEL,
  make,
  makeSync,
  Navigation2DEnv,
  NAVIGATION_2D,
  poolSampler,
  taskEnvOf,
  taskPool,
  TimeLimit,
  type Env,
  type GoalTask,
  type StepResult,
  type TaskSampler,
} from '../../../src/envs/index.js';

const STAY = [0, 0];

/** A 2D-Navigation trial of k episodes of `limit` steps, boundary flag appended. */
function navigationTrial(k: number, limit: number, sampleTask?: TaskSampler<GoalTask>): BamdpWrapper<GoalTask> {
  return new BamdpWrapper(new TimeLimit(new Navigation2DEnv(), limit), { episodesPerTrial: k, boundaryInObservation: true, ...(sampleTask ? { sampleTask } : {}) });
}

test('a trial keeps its task for k episodes, resets the env at episode ends and flags the boundary', () => {
  const env = navigationTrial(3, 4);
  assert.equal(env.observationSpace.size, 3);
  assert.deepEqual([...env.observationSpace.low], [-Infinity, -Infinity, 0]);
  assert.deepEqual([...env.observationSpace.high], [Infinity, Infinity, 1]);
  const start = env.reset({ seed: 5 });
  const task = start.info.task as GoalTask;
  assert.deepEqual(task, env.taskEnv.task);
  assert.deepEqual([...start.obs], [0, 0, 0]);
  const flags: number[] = [];
  let last: StepResult | undefined;
  for (let t = 1; t <= 12; t++) {
    last = env.step([0.05, -0.05]);
    flags.push(last.obs[2]!);
    assert.deepEqual(env.taskEnv.task, task, `the task changed at step ${t}`);
    assert.equal(last.info.episode_in_trial, Math.floor((t - 1) / 4));
    const boundary = t % 4 === 0;
    assert.equal(last.info.episode_end, boundary, `episode_end at step ${t}`);
    if (boundary && t < 12) {
      // The next episode's first observation (the origin), and the last one in info.
      assert.deepEqual([...last.obs], [0, 0, 1]);
      assert.deepEqual([...(last.info.final_observation as Float32Array)], [Math.fround(4 * Math.fround(0.05)), -Math.fround(4 * Math.fround(0.05))]);
      assert.equal(last.info.episode_terminated, false);
      assert.equal(last.truncated, false);
    }
    if (t < 12) assert.equal(last.truncated || last.terminated, false, `the trial ended early at step ${t}`);
  }
  assert.deepEqual(flags, [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  // The third episode's time limit ends the trial, as a truncation, on its last observation.
  assert.equal(last!.truncated, true);
  assert.equal(last!.terminated, false);
  assert.ok(Math.abs(last!.obs[0]! - 0.2) < 1e-6);
  assert.throws(() => env.step(STAY), /Navigation2D-v0: the trial is over \(or never started\); call reset\(\)/);
});

test('an episode that terminates inside a trial does not end the trial; in the last episode it does', () => {
  const env = navigationTrial(2, 50);
  env.reset({ options: { task: { goal: [0.1, 0.1] } } });
  const first = env.step([0.1, 0.1]); // reaches the goal: the episode terminates
  assert.equal(first.terminated, false);
  assert.equal(first.info.episode_end, true);
  assert.equal(first.info.episode_terminated, true);
  assert.deepEqual([...first.obs], [0, 0, 1]);
  const second = env.step([0.1, 0.1]);
  assert.equal(second.terminated, true);
  assert.equal(second.obs[2], 1);
  assert.deepEqual(env.taskEnv.task, { goal: [0.1, 0.1] });
});

test('each trial draws a new task from the sampler: deterministic per seed, from the pool when one is given', () => {
  const trialTasks = (env: BamdpWrapper<GoalTask>, seed: number, trials: number): GoalTask[] => {
    const tasks = [env.reset({ seed }).info.task as GoalTask];
    for (let i = 1; i < trials; i++) {
      for (let t = 0; t < 2; t++) env.step(STAY);
      tasks.push(env.reset().info.task as GoalTask);
    }
    return tasks;
  };
  const a = trialTasks(navigationTrial(1, 2), 7, 6);
  assert.deepEqual(a, trialTasks(navigationTrial(1, 2), 7, 6));
  assert.notDeepEqual(a, trialTasks(navigationTrial(1, 2), 8, 6));
  assert.equal(new Set(a.map((t) => JSON.stringify(t))).size, 6, 'every trial has a new task');
  const pool = taskPool(NAVIGATION_2D, 'train', 3, 0);
  const pooled = trialTasks(navigationTrial(1, 2, poolSampler(pool)), 1, 30);
  const inPool = new Set(pool.map((t) => JSON.stringify(t)));
  assert.ok(pooled.every((t) => inPool.has(JSON.stringify(t))));
  assert.equal(new Set(pooled.map((t) => JSON.stringify(t))).size, 3, 'every pool task is drawn');
  // The reset option pins the trial's task; a bad one is an error naming the family.
  const env = navigationTrial(1, 2);
  assert.deepEqual(env.reset({ seed: 1, options: { task: { goal: [0.2, 0.3] } } }).info.task, { goal: [0.2, 0.3] });
  assert.throws(() => env.reset({ options: { task: { goal: [0.2, 0.9] } } }), /2D-Navigation: task\.goal\[1\] must be a finite number in \[-0\.5, 0\.5\], got 0\.9/);
});

test('the trial task stream is separate from the env stream: the same seed gives the same reset noise with or without the wrapper', async () => {
  const plain = await make('HalfCheetahVel-v0');
  const trial = await make('HalfCheetahVel-v0', { episodes_per_trial: 1 });
  const task = { velocity: 2 };
  assert.deepEqual([...trial.reset({ seed: 4, options: { task } }).obs], [...plain.reset({ seed: 4, options: { task } }).obs]);
});

test('make builds the trial wrapper outside the episode limit from flat options; bad trial options are errors', async () => {
  const env = await make('HalfCheetahVel-v0', { episodes_per_trial: 2, episode_boundary_in_observation: true, task_pool_size: 4, task_pool_seed: 3, task_split: 'test', maxEpisodeSteps: 3 });
  assert.ok(env instanceof BamdpWrapper);
  assert.ok(env.env instanceof TimeLimit);
  assert.equal(env.observationSpace.size, 21);
  const pool = new Set(taskPool(HALF_CHEETAH_VEL, 'test', 4, 3).map((t) => JSON.stringify(t)));
  env.reset({ seed: 0 });
  let steps = 0;
  let result: StepResult;
  do result = env.step(new Float32Array(6));
  while (++steps < 100 && !result.truncated);
  assert.equal(steps, 6, 'a trial is 2 episodes of 3 steps');
  assert.ok(pool.has(JSON.stringify(taskEnvOf(env).task)));
  const errors: [Record<string, unknown>, RegExp][] = [
    [{ task_pool_size: 3 }, /HalfCheetahDir-v0: task_pool_size applies only to trials; set episodes_per_trial ≥ 1/],
    [{ episodes_per_trial: 1, task_split: 'validation' }, /HalfCheetahDir-v0: task_split must be 'train' or 'test', got "validation"/],
    [{ episodes_per_trial: 1.5 }, /HalfCheetahDir-v0: episodes_per_trial must be a non-negative integer, got 1\.5/],
    [{ episodes_per_trial: '2' }, /HalfCheetahDir-v0: option 'episodes_per_trial' must be a number/],
  ];
  for (const [options, message] of errors) assert.throws(() => makeSync('HalfCheetahDir-v0', options), message);
  assert.throws(() => new BamdpWrapper(makeSync('Hopper-v5') as Env, { episodesPerTrial: 1 }), /Hopper-v5 is not a meta-RL task env/);
  assert.throws(() => new BamdpWrapper(makeSync('Navigation2D-v0'), { episodesPerTrial: 0 }), /BamdpWrapper\(Navigation2D-v0\): episodesPerTrial must be a positive integer, got 0/);
});

test('task_in_observation appends the trial\'s task vector after the boundary flag; it changes with the trial\'s task only', async () => {
  const env = await make('Navigation2D-v0', { episodes_per_trial: 2, episode_boundary_in_observation: true, task_in_observation: true, maxEpisodeSteps: 3 });
  assert.equal(env.observationSpace.size, 2 + 1 + 2);
  assert.deepEqual([...env.observationSpace.low].slice(2), [0, -Infinity, -Infinity]);
  const vectorOf = (): number[] => Array.from(NAVIGATION_2D.taskVector(taskEnvOf(env).task as GoalTask));
  const tasks: string[] = [];
  for (let trial = 0; trial < 3; trial++) {
    const start = env.reset(trial === 0 ? { seed: 4 } : {});
    const want = vectorOf();
    tasks.push(JSON.stringify(want));
    const close = (obs: ArrayLike<number>, what: string): void => want.forEach((w, k) => assert.ok(Math.abs(obs[3 + k]! - w) < 1e-6, `${what}: task[${k}] ${obs[3 + k]} vs ${w}`));
    close(start.obs, `trial ${trial} start`);
    assert.ok(want.every((w) => Math.abs(w) <= 1) && want.some((w) => w !== 0), `a goal in [−1, 1]²: ${want}`);
    for (let t = 1; t <= 6; t++) {
      const r = env.step([0.01, 0.02]);
      close(r.obs, `trial ${trial} step ${t}`);
      assert.equal(r.obs[2], t === 3 || t === 6 ? 1 : 0, `boundary flag at step ${t}`);
    }
  }
  assert.equal(new Set(tasks).size, 3, 'each trial draws its own task');
});
