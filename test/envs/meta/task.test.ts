import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../../src/core/random.js';
import {
  ANT_DIR,
  ANT_GOAL,
  HALF_CHEETAH_DIR,
  HALF_CHEETAH_VEL,
  HALF_CHEETAH_VEL_MEDIUM,
  NAVIGATION_2D,
  RAND_PARAMS,
  Stream,
  streamSeed,
  taskFamily,
  taskPool,
  taskSplits,
  WALKER2D_RAND_PARAMS,
  type TaskFamily,
} from '../../../src/envs/index.js';

const DRAWS = 4000;

/** Mean of `values`, asserted within 5 standard errors of `mean` for a distribution of standard deviation `sd`. */
function assertMean(values: number[], mean: number, sd: number, what: string): void {
  const observed = values.reduce((a, b) => a + b, 0) / values.length;
  const bound = (5 * sd) / Math.sqrt(values.length);
  assert.ok(Math.abs(observed - mean) < bound, `${what}: mean ${observed}, expected ${mean} ± ${bound}`);
}

test('velocity tasks are uniform on their split ranges: Vel U[0, 3]; Vel-Medium train U[0, 2.5], test U[2.5, 3]', () => {
  const cases: [TaskFamily<{ velocity: number }>, 'train' | 'test', number, number][] = [
    [HALF_CHEETAH_VEL, 'train', 0, 3],
    [HALF_CHEETAH_VEL, 'test', 0, 3],
    [HALF_CHEETAH_VEL_MEDIUM, 'train', 0, 2.5],
    [HALF_CHEETAH_VEL_MEDIUM, 'test', 2.5, 3],
  ];
  for (const [family, split, low, high] of cases) {
    const v = family.sampleTasks(DRAWS, new Xoshiro128Rng(7), split).map((t) => t.velocity);
    assert.ok(v.every((x) => x >= low && x < high), `${family.name} ${split}: a draw outside [${low}, ${high})`);
    assertMean(v, (low + high) / 2, (high - low) / Math.sqrt(12), `${family.name} ${split}`);
    // Both ends of the range are reached: the lowest and highest tenth are populated.
    assert.ok(v.some((x) => x < low + (high - low) / 10) && v.some((x) => x > high - (high - low) / 10));
  }
});

test('direction tasks are ±1 with probability ½ each', () => {
  for (const family of [HALF_CHEETAH_DIR, ANT_DIR]) {
    const d = family.sampleTasks(DRAWS, new Xoshiro128Rng(3)).map((t) => t.direction);
    assert.ok(d.every((x) => x === 1 || x === -1));
    assertMean(d, 0, 1, family.name);
  }
});

test('Ant-Goal goals are uniform on the disk of radius 3; 2D-Navigation goals uniform on [−0.5, 0.5]²', () => {
  const goals = ANT_GOAL.sampleTasks(DRAWS, new Xoshiro128Rng(5)).map((t) => t.goal);
  const radii = goals.map(([x, y]) => Math.hypot(x, y));
  assert.ok(radii.every((r) => r <= 3));
  // Uniform on a disk: P(r < 1.5) = (1.5/3)² = 1/4; the angle is uniform (mean of cos and sin 0).
  assertMean(radii.map((r) => (r < 1.5 ? 1 : 0)), 0.25, Math.sqrt(0.25 * 0.75), 'Ant-Goal P(r < 1.5)');
  assertMean(goals.map(([x, y]) => x / Math.hypot(x, y)), 0, Math.SQRT1_2, 'Ant-Goal cos(angle)');
  assertMean(goals.map(([x, y]) => y / Math.hypot(x, y)), 0, Math.SQRT1_2, 'Ant-Goal sin(angle)');
  const points = NAVIGATION_2D.sampleTasks(DRAWS, new Xoshiro128Rng(5)).map((t) => t.goal);
  for (const axis of [0, 1]) {
    const c = points.map((g) => g[axis]!);
    assert.ok(c.every((x) => x >= -0.5 && x < 0.5));
    assertMean(c, 0, 1 / Math.sqrt(12), `2D-Navigation axis ${axis}`);
  }
});

test('Walker2d-Rand-Params draws one exponent in U[−3, 3] per model-array entry', () => {
  const tasks = WALKER2D_RAND_PARAMS.sampleTasks(200, new Xoshiro128Rng(9));
  const sizes = { body_mass: 8, body_inertia: 24, dof_damping: 9, geom_friction: 24 };
  assert.equal(WALKER2D_RAND_PARAMS.taskDim, 65);
  for (const p of RAND_PARAMS) assert.ok(tasks.every((t) => t[p].length === sizes[p]), p);
  const all = tasks.flatMap((t) => RAND_PARAMS.flatMap((p) => t[p]));
  assert.ok(all.every((u) => u >= -3 && u < 3));
  assertMean(all, 0, 6 / Math.sqrt(12), 'exponents');
});

test('sampling is deterministic per seed and differs between seeds', () => {
  for (const family of [HALF_CHEETAH_DIR, HALF_CHEETAH_VEL, HALF_CHEETAH_VEL_MEDIUM, ANT_DIR, ANT_GOAL, WALKER2D_RAND_PARAMS, NAVIGATION_2D] as TaskFamily<unknown>[]) {
    const a = family.sampleTasks(20, new Xoshiro128Rng(11));
    assert.deepEqual(a, family.sampleTasks(20, new Xoshiro128Rng(11)), family.name);
    assert.notDeepEqual(a, family.sampleTasks(20, new Xoshiro128Rng(12)), family.name);
    assert.deepEqual(taskPool(family, 'test', 5, 4), taskPool(family, 'test', 5, 4), family.name);
  }
});

test("task vectors follow HypeRL's get_task_tensor, by default on the training distribution's bounds", () => {
  assert.deepEqual([...HALF_CHEETAH_VEL.taskVector({ velocity: 1.2 })], [1.2 / 3]);
  // Vel-Medium normalises on the training range [0, 2.5]: test targets map beyond 1.
  assert.deepEqual([...HALF_CHEETAH_VEL_MEDIUM.taskVector({ velocity: 3 })], [3 / 2.5]);
  assert.deepEqual([...HALF_CHEETAH_VEL_MEDIUM.taskVector({ velocity: 0.5 })], [0.5 / 2.5]);
  assert.deepEqual([...HALF_CHEETAH_DIR.taskVector({ direction: -1 })], [-1]);
  assert.deepEqual([...ANT_DIR.taskVector({ direction: 1 })], [1]);
  // Goals scaled to [−1, 1]: 2(g − min)/(max − min) − 1.
  assert.deepEqual([...ANT_GOAL.taskVector({ goal: [1.5, 0] })], [0.5, 0]);
  assert.deepEqual([...ANT_GOAL.taskVector({ goal: [0, -3] })], [0, -1]);
  assert.deepEqual([...NAVIGATION_2D.taskVector({ goal: [0.25, -0.5] })], [0.5, -1]);
  const walker = WALKER2D_RAND_PARAMS.sampleTasks(1, new Xoshiro128Rng(2))[0]!;
  const vector = WALKER2D_RAND_PARAMS.taskVector(walker);
  assert.equal(vector.length, 65);
  const exponents = RAND_PARAMS.flatMap((p) => walker[p]);
  exponents.forEach((u, i) => assert.ok(Math.abs(vector[i]! - u / 3) < 1e-15, `entry ${i}`));
  // Written into a given buffer.
  const out = new Float64Array(2);
  assert.equal(ANT_GOAL.taskVector({ goal: [0, 3] }, undefined, out), out);
  assert.deepEqual([...out], [0, 1]);
});

test('taskScale pools the training tasks as HypeRL does (min and max over all parameters)', () => {
  const velocities = [{ velocity: 0.5 }, { velocity: 2 }, { velocity: 1 }];
  const scale = HALF_CHEETAH_VEL.taskScale(velocities);
  assert.deepEqual(scale, { min: 0.5, max: 2 });
  assert.deepEqual([...HALF_CHEETAH_VEL.taskVector({ velocity: 1.25 }, scale)], [0.5]);
  // Goal coordinates are pooled across x and y: min −1, max 2.
  const goals = ANT_GOAL.taskScale([{ goal: [-1, 2] }, { goal: [0.5, -0.5] }]);
  assert.deepEqual(goals, { min: -1, max: 2 });
  assert.deepEqual([...ANT_GOAL.taskVector({ goal: [0.5, 2] }, goals)], [0, 1]);
  assert.deepEqual([...HALF_CHEETAH_DIR.taskVector({ direction: -1 }, HALF_CHEETAH_DIR.taskScale([{ direction: 1 }, { direction: -1 }]))], [-1]);
  assert.throws(() => HALF_CHEETAH_VEL.taskScale([]), /HalfCheetah-Vel: taskScale needs at least one task/);
  assert.throws(() => HALF_CHEETAH_VEL.taskScale([{ velocity: 1 }, { velocity: 1 }]), /HalfCheetah-Vel: .*differ/);
});

test('train and test pools of a seed: Vel-Medium splits its range; continuous pools are disjoint; Dir has two tasks', () => {
  const medium = taskSplits(HALF_CHEETAH_VEL_MEDIUM, { train: 100, test: 20 }, 0);
  assert.equal(medium.train.length, 100);
  assert.equal(medium.test.length, 20);
  assert.ok(Math.max(...medium.train.map((t) => t.velocity)) < 2.5);
  assert.ok(Math.min(...medium.test.map((t) => t.velocity)) >= 2.5);
  assert.deepEqual(medium.scale, HALF_CHEETAH_VEL_MEDIUM.taskScale(medium.train));
  for (const family of [HALF_CHEETAH_VEL, ANT_GOAL, NAVIGATION_2D, WALKER2D_RAND_PARAMS] as TaskFamily<unknown>[]) {
    const { train, test } = taskSplits(family, { train: 100, test: 20 }, 3);
    const seen = new Set(train.map((t) => JSON.stringify(t)));
    assert.ok(test.every((t) => !seen.has(JSON.stringify(t))), `${family.name}: a test task is also a training task`);
    assert.deepEqual(train, taskPool(family, 'train', 100, 3));
  }
  const dir = taskSplits(HALF_CHEETAH_DIR, { train: 10, test: 10 }, 1);
  assert.deepEqual(new Set([...dir.train, ...dir.test].map((t) => t.direction)), new Set([1, -1]));
  assert.deepEqual(HALF_CHEETAH_DIR.allTasks, [{ direction: 1 }, { direction: -1 }]);
  assert.equal(HALF_CHEETAH_VEL.allTasks, undefined);
});

test('bad task parameters are errors naming the family and the parameter', () => {
  const cases: [TaskFamily<unknown>, unknown, RegExp][] = [
    [HALF_CHEETAH_DIR, { direction: 0.5 }, /^HalfCheetah-Dir: task\.direction must be 1 or -1, got 0\.5$/],
    [HALF_CHEETAH_DIR, { velocity: 1 }, /^HalfCheetah-Dir: unknown task parameter 'velocity'; a task is \{ direction: 1 \| -1 \}$/],
    [HALF_CHEETAH_DIR, 1, /^HalfCheetah-Dir: a task is \{ direction: 1 \| -1 \}, got 1$/],
    [HALF_CHEETAH_VEL, { velocity: 3.5 }, /^HalfCheetah-Vel: task\.velocity must be a finite number in \[0, 3\], got 3\.5$/],
    [HALF_CHEETAH_VEL, { velocity: Number.NaN }, /HalfCheetah-Vel: task\.velocity must be a finite number/],
    [HALF_CHEETAH_VEL_MEDIUM, { velocity: -0.1 }, /HalfCheetah-Vel-Medium: task\.velocity .* \[0, 3\]/],
    [HALF_CHEETAH_VEL, {}, /^HalfCheetah-Vel: task\.velocity is missing; a task is \{ velocity: number \}$/],
    [ANT_GOAL, { goal: [2.5, 2.5] }, /^Ant-Goal: task\.goal \[2\.5,2\.5\] is 3\.53\d* from the origin, outside the disk of radius 3$/],
    [ANT_GOAL, { goal: [1] }, /^Ant-Goal: task\.goal must be an array of 2 numbers, got length 1$/],
    [NAVIGATION_2D, { goal: [0, '0.1'] }, /^2D-Navigation: task\.goal\[1\] must be a finite number in \[-0\.5, 0\.5\], got "0\.1"$/],
    [WALKER2D_RAND_PARAMS, { ...WALKER2D_RAND_PARAMS.defaultTask, dof_damping: [0, 0] }, /^Walker2d-Rand-Params: task\.dof_damping must be an array of 9 numbers, got length 2$/],
    [WALKER2D_RAND_PARAMS, { ...WALKER2D_RAND_PARAMS.defaultTask, body_mass: [0, 0, 0, 4, 0, 0, 0, 0] }, /^Walker2d-Rand-Params: task\.body_mass\[3\] must be a finite number in \[-3, 3\], got 4$/],
  ];
  for (const [family, task, message] of cases) {
    assert.throws(() => family.checkTask(task), { message }, JSON.stringify(task));
    assert.throws(() => family.taskVector(task), { message });
  }
  assert.throws(() => HALF_CHEETAH_VEL.sampleTasks(-1, new Xoshiro128Rng(0)), /HalfCheetah-Vel: the number of tasks/);
  assert.throws(() => HALF_CHEETAH_VEL.sampleTasks(1, new Xoshiro128Rng(0), 'val' as 'test'), /HalfCheetah-Vel: split must be 'train' or 'test'/);
  assert.throws(() => taskFamily('HalfCheetah-v5'), /'HalfCheetah-v5' is not a meta-RL env id; they are HalfCheetahDir-v0, /);
  assert.equal(taskFamily('AntGoal-v0'), ANT_GOAL);
});

test('checkTask returns a copy: mutating the given task later does not change the env’s task', () => {
  const goal: [number, number] = [0.1, 0.2];
  const checked = NAVIGATION_2D.checkTask({ goal });
  goal[0] = 0.4;
  assert.deepEqual(checked.goal, [0.1, 0.2]);
});

test('derived streams are distinct from each other and from the seed', () => {
  const seeds = [Stream.TrainTasks, Stream.TestTasks, Stream.TrialTasks].map((s) => streamSeed(5, s));
  assert.equal(new Set([...seeds, 5]).size, 4);
  assert.ok(seeds.every((s) => Number.isSafeInteger(s) && s >= 0));
});
