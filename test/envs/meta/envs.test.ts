import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../../src/core/random.js';
import {
  AntDirEnv,
  AntGoalEnv,
  HalfCheetahDirEnv,
  HalfCheetahVelEnv,
  HalfCheetahVelMediumEnv,
  loadMujoco,
  make,
  makeSync,
  mujoco,
  Navigation2DEnv,
  RAND_PARAM_BASES,
  RAND_PARAMS,
  taskEnvOf,
  TimeLimit,
  Walker2dEnv,
  Walker2dRandParamsEnv,
  WALKER2D_RAND_PARAMS,
  type MujocoEnv,
  type RandParamsTask,
} from '../../../src/envs/index.js';

await loadMujoco();
const mj = mujoco();

/** Actions exactly representable in float32 (so the float32 control cost equals the formula to ~1e-8). */
const ACTION_6 = [0.5, -0.25, 1, 0, -1, 0.75];
const ACTION_8 = [...ACTION_6, 0.25, -0.5];
const sumOfSquares = (a: number[]): number => a.reduce((s, x) => s + x * x, 0);
const TORSO = 1; // body index of the torso in the HalfCheetah, Ant and Walker2d models

/**
 * Resets, then puts the env at qpos0 + dqpos with velocity qvel and runs mj_forward, so body
 * positions match the state, as they do between two steps.
 */
function place(env: MujocoEnv, dqpos: number[], qvel: number[]): void {
  env.reset({ seed: 0 });
  const qpos = env.data.qpos as Float64Array;
  const qpos0 = env.model.qpos0 as Float64Array;
  for (let i = 0; i < qpos.length; i++) qpos[i] = qpos0[i]! + (dqpos[i] ?? 0);
  const v = env.data.qvel as Float64Array;
  for (let i = 0; i < v.length; i++) v[i] = qvel[i] ?? 0;
  mj.mj_forward(env.model, env.data);
}

const torsoPosition = (env: MujocoEnv): number[] => [...(env.data.xpos as Float64Array).subarray(3 * TORSO, 3 * TORSO + 3)];
/** Σ clip(cfrc_ext, −1, 1)² over every body, from the data after the step. */
function clippedContactSquares(env: MujocoEnv): number {
  return [...(env.data.cfrc_ext as Float64Array)].reduce((s, f) => s + Math.min(Math.max(f, -1), 1) ** 2, 0);
}

function assertClose(actual: number, expected: number, what: string, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected}`);
}

test('HalfCheetah-Dir: r = d·v − 0.05 Σa²; observation = qpos[1:], qvel, torso position', () => {
  const env = new HalfCheetahDirEnv();
  for (const direction of [1, -1] as const) {
    env.setTask({ direction });
    place(env, [0, 0.02, 0.1], [1.5, 0, 0.3]);
    const x0 = (env.data.qpos as Float64Array)[0]!;
    const result = env.step(ACTION_6);
    const qpos = env.data.qpos as Float64Array;
    const v = (qpos[0]! - x0) / 0.05;
    assert.ok(v > 0.5, `the cheetah moves forward (v = ${v})`);
    assertClose(result.reward, direction * v - 0.05 * sumOfSquares(ACTION_6), `reward, d = ${direction}`);
    assert.equal(result.terminated, false);
    const expectedObs = [...qpos.subarray(1), ...(env.data.qvel as Float64Array), ...torsoPosition(env)];
    assert.deepEqual([...result.obs], expectedObs);
  }
});

test('HalfCheetah-Vel and Vel-Medium: r = −|v − v*| − 0.05 Σa²', () => {
  for (const env of [new HalfCheetahVelEnv(), new HalfCheetahVelMediumEnv()]) {
    for (const velocity of [0, 1.7, 2.9]) {
      env.reset({ options: { task: { velocity } } });
      place(env, [], [1.2]);
      const x0 = (env.data.qpos as Float64Array)[0]!;
      const result = env.step(ACTION_6);
      const v = ((env.data.qpos as Float64Array)[0]! - x0) / 0.05;
      assertClose(result.reward, -Math.abs(v - velocity) - 0.05 * sumOfSquares(ACTION_6), `${env.id} v* = ${velocity}`);
      assertClose(result.info.reward_forward as number, -Math.abs(v - velocity), 'reward_forward');
    }
  }
});

test('Ant-Dir: r = v·u(d) + 1 − 0.5 Σa² − 5e-4 Σclip(cfrc_ext)²; u = (d, 0), or (cos d, sin d) with direction_in_radians', () => {
  for (const radians of [false, true]) {
    const env = new AntDirEnv({ direction_in_radians: radians });
    assert.equal(env.observationSpace.size, 27);
    for (const direction of [1, -1] as const) {
      env.reset({ seed: 1, options: { task: { direction } } });
      place(env, [], [1, 0.5]);
      const [xb, yb] = torsoPosition(env);
      const result = env.step(ACTION_8);
      const [xa, ya] = torsoPosition(env);
      const vx = (xa! - xb!) / 0.05;
      const vy = (ya! - yb!) / 0.05;
      assert.ok(Math.abs(vx) > 0.2 && Math.abs(vy) > 0.1, `the ant moves in x and y (${vx}, ${vy})`);
      const forward = radians ? vx * Math.cos(direction) + vy * Math.sin(direction) : direction * vx;
      const expected = forward + 1 - 0.5 * sumOfSquares(ACTION_8) - 5e-4 * clippedContactSquares(env);
      assertClose(result.reward, expected, `radians ${radians}, d = ${direction}`);
      assertClose(result.info.reward_forward as number, forward, 'reward_forward');
      assert.equal(result.terminated, false);
    }
  }
});

test('Ant-Dir terminates (without the survive reward) when the torso leaves [0.2, 1]; Ant-Goal never terminates', () => {
  const dir = new AntDirEnv();
  place(dir, [0, 0, 0.85], []); // torso at 1.6
  const fell = dir.step(ACTION_8);
  assert.equal(fell.terminated, true);
  assert.equal(fell.info.reward_survive, 0);
  const goal = new AntGoalEnv();
  place(goal, [0, 0, 0.85], []);
  assert.equal(goal.step(ACTION_8).terminated, false);
});

test('Ant-Goal: r = −(|x − g_x| + |y − g_y|) − 0.1 Σa² − 5e-4 Σclip(cfrc_ext)², (x, y) the torso after the step', () => {
  const env = new AntGoalEnv();
  assert.equal(env.observationSpace.size, 107);
  env.setTask({ goal: [1, -2] });
  place(env, [0.3, 0.4], [0.5, -1]);
  const result = env.step(ACTION_8);
  const [x, y] = torsoPosition(env);
  const expected = -(Math.abs(x! - 1) + Math.abs(y! + 2)) - 0.1 * sumOfSquares(ACTION_8) - 5e-4 * clippedContactSquares(env);
  assertClose(result.reward, expected, 'reward');
  // The observation starts with the root position, which the agent needs to find the goal.
  const qpos = env.data.qpos as Float64Array;
  assert.deepEqual([...result.obs.subarray(0, 2)], [qpos[0], qpos[1]]);
});

test('Walker2d-Rand-Params: r = v + 1 − 1e-3 Σa² (dt = 0.008) under a random task', () => {
  const env = new Walker2dRandParamsEnv();
  env.setTask(WALKER2D_RAND_PARAMS.sampleTasks(1, new Xoshiro128Rng(4))[0]!);
  place(env, [], [1]);
  const x0 = (env.data.qpos as Float64Array)[0]!;
  const result = env.step(ACTION_6);
  const v = ((env.data.qpos as Float64Array)[0]! - x0) / 0.008;
  assertClose(result.reward, v + 1 - 1e-3 * sumOfSquares(ACTION_6), 'reward');
  assert.equal(result.terminated, false);
});

test('2D-Navigation: p ← p + clip(a, ±0.1), r = −‖p − g‖, terminated within 0.01 of the goal', () => {
  const env = new Navigation2DEnv();
  assert.deepEqual([...env.reset({ options: { task: { goal: [0.3, -0.2] } } }).obs], [0, 0]);
  const f = Math.fround;
  let result = env.step([0.05, 0.2]); // the second component is clipped to 0.1
  assert.deepEqual([...result.obs], [f(0.05), f(0.1)]);
  assert.equal(result.reward, -Math.hypot(f(0.05) - 0.3, f(0.1) + 0.2));
  result = env.step([-0.3, 0]);
  assert.deepEqual([...result.obs], [f(f(0.05) - f(0.1)), f(0.1)]);
  assert.equal(result.reward, -Math.hypot(f(f(0.05) - f(0.1)) - 0.3, f(0.1) + 0.2));
  assert.equal(result.terminated, false);
  env.reset({ options: { task: { goal: [0.1, 0.105] } } });
  const reached = env.step([0.1, 0.1]);
  assert.equal(reached.terminated, true);
  assert.ok(reached.reward > -0.01);
  assert.throws(() => env.reset({ options: { start: 0 } }), /Navigation2D-v0: reset takes only the option 'task', got start/);
  assert.deepEqual([...env.reset({ options: {} }).obs], [0, 0]);
});

/** Expected model arrays under a task: nominal × base^u, entry by entry. */
function expectedParams(nominal: Record<string, Float64Array>, task: RandParamsTask): Record<string, number[]> {
  return Object.fromEntries(RAND_PARAMS.map((p) => [p, [...nominal[p]!].map((value, i) => value * RAND_PARAM_BASES[p] ** task[p][i]!)]));
}

test('Walker2d-Rand-Params changes masses, inertias, damping and friction, restores them, and leaves other envs alone', () => {
  const env = new Walker2dRandParamsEnv();
  const other = new Walker2dRandParamsEnv();
  const plain = new Walker2dEnv();
  const read = (e: MujocoEnv): Record<string, Float64Array> => Object.fromEntries(RAND_PARAMS.map((p) => [p, Float64Array.from(e.model[p] as Float64Array)]));
  const nominal = read(plain);
  assert.deepEqual(read(env), nominal);
  const [a, b] = WALKER2D_RAND_PARAMS.sampleTasks(2, new Xoshiro128Rng(8)) as [RandParamsTask, RandParamsTask];
  env.setTask(a);
  const underA = read(env);
  for (const p of RAND_PARAMS) {
    underA[p]!.forEach((value, i) => assertClose(value, expectedParams(nominal, a)[p]![i]!, `${p}[${i}]`, 1e-12 * Math.max(1, Math.abs(value))));
  }
  assert.ok(Math.abs(underA.body_mass![1]! - nominal.body_mass![1]!) > 1e-3, 'the torso mass changed');
  // Tasks do not compound: B is applied to the nominal values, not to A's.
  env.setTask(b);
  for (const p of RAND_PARAMS) read(env)[p]!.forEach((value, i) => assertClose(value, expectedParams(nominal, b)[p]![i]!, `${p}[${i}] under B`, 1e-12 * Math.max(1, Math.abs(value))));
  // Other envs of the thread (another Walker2dRandParams, plain Walker2d-v5) keep the nominal model.
  assert.deepEqual(read(other), nominal);
  assert.deepEqual(read(plain), nominal);
  env.setTask(WALKER2D_RAND_PARAMS.defaultTask);
  assert.deepEqual(read(env), nominal);
  env.close();
  other.close();
  plain.close();
});

test('Walker2d-Rand-Params dynamics follow the task: a task changes the trajectory, the nominal task reproduces Walker2d-v5', () => {
  const rollout = (env: MujocoEnv): number[] => {
    const trace = [...env.reset({ seed: 3 }).obs];
    for (let t = 0; t < 20; t++) trace.push(...env.step(ACTION_6).obs);
    return trace;
  };
  const env = new Walker2dRandParamsEnv();
  const reference = rollout(new Walker2dEnv());
  assert.deepEqual(rollout(env), reference);
  env.setTask(WALKER2D_RAND_PARAMS.sampleTasks(1, new Xoshiro128Rng(1))[0]!);
  const changed = rollout(env);
  assert.ok(Math.max(...changed.map((x, i) => Math.abs(x - reference[i]!))) > 1e-2, 'the random task changed the dynamics');
  env.setTask(WALKER2D_RAND_PARAMS.defaultTask);
  assert.deepEqual(rollout(env), reference);
});

test('the task persists across resets; reset options set it; bad tasks and options are errors naming the env', async () => {
  const env = await make('HalfCheetahVel-v0');
  assert.ok(env instanceof TimeLimit);
  assert.equal((env as TimeLimit).maxEpisodeSteps, 200);
  const taskEnv = taskEnvOf(env);
  assert.deepEqual(taskEnv.task, { velocity: 1.5 }); // the centre of U[0, 3] until a task is set
  env.reset({ seed: 0, options: { task: { velocity: 0.25 } } });
  env.reset({ seed: 1 });
  assert.deepEqual(taskEnv.task, { velocity: 0.25 });
  assert.throws(() => env.reset({ options: { task: { velocity: 4 } } }), /HalfCheetah-Vel: task\.velocity must be a finite number in \[0, 3\], got 4/);
  assert.throws(() => env.reset({ options: { task: { velocity: 1 }, x: 1 } }), /HalfCheetahVel-v0: reset takes no options, got x/);
  assert.throws(() => taskEnv.setTask({ direction: 1 } as never), /HalfCheetah-Vel: unknown task parameter 'direction'/);
  assert.throws(() => makeSync('AntDir-v0', { forward_reward_weight: 2 }), /AntDir-v0: unknown option 'forward_reward_weight'/);
  assert.throws(() => makeSync('HalfCheetahDir-v0', { ctrl_cost_weight: 'high' }), /HalfCheetahDir-v0: option 'ctrl_cost_weight' must be a number/);
  assert.throws(() => taskEnvOf(makeSync('Walker2d-v5')), /Walker2d-v5 is not a meta-RL task env/);
  // Each family's registered episode limit.
  for (const [id, limit] of [['AntGoal-v0', 200], ['Walker2dRandParams-v0', 200], ['Navigation2D-v0', 100]] as const) {
    assert.equal(((await make(id)) as TimeLimit).maxEpisodeSteps, limit, id);
  }
});
