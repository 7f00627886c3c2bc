import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Float32Observation, HalfCheetahEnv, SyncVectorEnv, InvertedDoublePendulumEnv, loadMujoco, make, makeSync, MujocoEnv, PusherEnv, ReacherEnv, TimeLimit } from '../../src/envs/index.js';
import { loadFixtures } from './fixtures.js';

await loadMujoco();

/** Mean and variance of reset qpos/qvel deviations from the initial pose over many seeded resets. */
function resetMoments(env: MujocoEnv, resets: number): { qpos: number[]; qvel: number[] } {
  const qpos0 = Float64Array.from(env.model.qpos0 as Float64Array);
  const sums = { qpos: [0, 0], qvel: [0, 0] };
  let nq = 0;
  let nv = 0;
  for (let i = 0; i < resets; i++) {
    env.reset({ seed: i });
    const data = env.data;
    const qpos = data.qpos as Float64Array;
    const qvel = data.qvel as Float64Array;
    qpos.forEach((q, j) => {
      const d = q - qpos0[j]!;
      sums.qpos[0] += d;
      sums.qpos[1] += d * d;
      nq++;
    });
    qvel.forEach((v) => {
      sums.qvel[0] += v;
      sums.qvel[1] += v * v;
      nv++;
    });
  }
  const moments = (s: number[], n: number): number[] => [s[0]! / n, s[1]! / n - (s[0]! / n) ** 2];
  return { qpos: moments(sums.qpos, nq), qvel: moments(sums.qvel, nv) };
}

test('reset noise has Gymnasium v5 distributions: uniform qpos, normal or uniform qvel', () => {
  // [id, scale, qvel is normal] — HalfCheetah, Ant and InvertedDoublePendulum use scale·N(0,1) velocities.
  const cases: [string, number, boolean][] = [
    ['HalfCheetah-v5', 0.1, true],
    ['Hopper-v5', 5e-3, false],
    ['Walker2d-v5', 5e-3, false],
    ['Ant-v5', 0.1, true],
    ['Humanoid-v5', 1e-2, false],
    ['Swimmer-v5', 0.1, false],
    ['InvertedPendulum-v5', 0.01, false],
    ['InvertedDoublePendulum-v5', 0.1, true],
  ];
  for (const [id, scale, normalVelocity] of cases) {
    const env = makeSync(id, { maxEpisodeSteps: null }) as MujocoEnv;
    const { qpos, qvel } = resetMoments(env, 400);
    const uniformVariance = scale ** 2 / 3;
    assert.ok(Math.abs(qpos[0]!) < 0.1 * scale, `${id}: qpos noise mean ${qpos[0]}`);
    assert.ok(Math.abs(qpos[1]! / uniformVariance - 1) < 0.1, `${id}: qpos noise variance ${qpos[1]} vs ${uniformVariance}`);
    const velocityVariance = normalVelocity ? scale ** 2 : uniformVariance;
    assert.ok(Math.abs(qvel[0]!) < 0.1 * scale, `${id}: qvel noise mean ${qvel[0]}`);
    assert.ok(Math.abs(qvel[1]! / velocityVariance - 1) < 0.1, `${id}: qvel noise variance ${qvel[1]} vs ${velocityVariance}`);
    env.close();
  }
});

test('reset observations have the recorded shapes and lie in the recorded ranges', async () => {
  for (const id of ['HalfCheetah-v5', 'Hopper-v5', 'Walker2d-v5', 'Ant-v5', 'Humanoid-v5', 'Swimmer-v5', 'InvertedPendulum-v5', 'InvertedDoublePendulum-v5', 'Reacher-v5', 'Pusher-v5']) {
    const env = await make(id);
    for (const fixture of loadFixtures(id)) {
      const { obs } = env.reset({ seed: fixture.seed });
      assert.equal(obs.length, fixture.reset_obs.length, `${id}: reset obs length`);
      assert.equal(env.observationSpace.size, obs.length);
      // Reset noise is small: each entry is within a generous band around Gymnasium's reset observation.
      obs.forEach((x, i) => assert.ok(Math.abs(x - fixture.reset_obs[i]!) < 2, `${id}: reset obs[${i}] ${x} vs ${fixture.reset_obs[i]}`));
    }
    env.close();
  }
});

test('Reacher and Pusher sample their targets as Gymnasium does', () => {
  const reacher = new ReacherEnv();
  const pusher = new PusherEnv();
  for (let i = 0; i < 200; i++) {
    reacher.reset({ seed: i });
    const q = reacher.data.qpos as Float64Array;
    assert.ok(Math.hypot(q[2]!, q[3]!) < 0.2);
    assert.deepEqual([...(reacher.data.qvel as Float64Array)].slice(2), [0, 0]);
    pusher.reset({ seed: i });
    const p = pusher.data.qpos as Float64Array;
    assert.ok(Math.hypot(p[7]!, p[8]!) > 0.17 && p[7]! <= 0 && p[7]! >= -0.3 && Math.abs(p[8]!) <= 0.2);
    assert.deepEqual([p[9], p[10]], [0, 0]);
  }
  reacher.close();
  pusher.close();
});

test('getState/setState round-trip the full physics state', () => {
  const env = new HalfCheetahEnv();
  env.reset({ seed: 1 });
  for (let i = 0; i < 10; i++) env.step([0.5, -0.5, 0.2, 0.1, 0, -1]);
  const saved = env.getState();
  assert.equal(saved.length, 91);
  const next = Float64Array.from(env.step([1, 1, 1, 1, 1, 1]).obs);
  env.step([-1, -1, -1, -1, -1, -1]);
  env.setState(saved);
  assert.deepEqual([...env.step([1, 1, 1, 1, 1, 1]).obs], [...next]);
  assert.throws(() => env.setState(new Float64Array(3)), /HalfCheetah-v5: state has length 3, expected 91/);
  env.close();
});

test('bad actions and options are errors naming the env', async () => {
  const env = await make('Hopper-v5');
  env.reset({ seed: 0 });
  assert.throws(() => env.step([0, 0]), /Hopper-v5: action has length 2, expected 3/);
  assert.throws(() => env.step([0, NaN, 0]), /Hopper-v5: action\[1\] is NaN/);
  assert.throws(() => env.step([0, 0, -Infinity]), /Hopper-v5: action\[2\] is -Infinity/);
  await assert.rejects(make('Hopper-v5', { ctrl_cost: 1 }), /Hopper-v5: unknown option 'ctrl_cost'; valid options: .*ctrl_cost_weight/);
  await assert.rejects(make('Hopper-v5', { healthy_z_range: 0.7 }), /Hopper-v5: option 'healthy_z_range' must be a \[low, high\] pair/);
  assert.throws(() => makeSync('Hoper-v5'), /Did you mean: Hopper-v5/);
  env.close();
});

test('v5 options change observations and rewards', async () => {
  const full = (await make('Ant-v5', { exclude_current_positions_from_observation: false, include_cfrc_ext_in_observation: false })) as TimeLimit;
  assert.equal(full.reset({ seed: 0 }).obs.length, 29);
  const humanoid = await make('Humanoid-v5', { include_cinert_in_observation: false, include_cvel_in_observation: false });
  assert.equal(humanoid.reset({ seed: 0 }).obs.length, 348 - 130 - 78);
  const cheetah = await make('HalfCheetah-v5', { ctrl_cost_weight: 0, forward_reward_weight: 2 });
  cheetah.reset({ seed: 0 });
  const { reward, info } = cheetah.step([1, 1, 1, 1, 1, 1]);
  assert.equal(info.reward_ctrl, -0);
  assert.equal(reward, 2 * (info.x_velocity as number));
  for (const env of [full, humanoid, cheetah]) env.close();
});

test('out-of-range actions: MuJoCo clamps ctrl, the control cost uses the unclipped action', () => {
  const env = new HalfCheetahEnv();
  env.reset({ seed: 2 });
  const state = env.getState();
  const big = env.step([3, 0, 0, 0, 0, 0]);
  const bigObs = Float64Array.from(big.obs);
  const bigCost = big.info.reward_ctrl as number;
  env.setState(state);
  const clipped = env.step([1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...clipped.obs], [...bigObs]);
  assert.equal(bigCost, -Math.fround(Math.fround(0.1) * 9));
  assert.equal(clipped.info.reward_ctrl, -Math.fround(0.1));
  env.close();
});

test('a diverging simulation is an error naming the env and step, not NaN observations', () => {
  const env = new InvertedDoublePendulumEnv();
  env.reset({ seed: 0 });
  env.step([0]);
  const state = env.getState();
  state[1 + 3] = NaN; // qvel[0] (state = [time, qpos(3), qvel(3), …])
  env.setState(state, { forward: false });
  assert.throws(() => env.step([0]), /InvertedDoublePendulum-v5: the simulation diverged at step 2 after reset .*MuJoCo: .*Nan, Inf or huge value in QVEL/);
  const { obs } = env.reset({ seed: 0 });
  assert.ok(obs.every(Number.isFinite));
  env.close();
});

test('heap views are re-bound after the WebAssembly memory grows', () => {
  const env = new HalfCheetahEnv();
  const twin = new HalfCheetahEnv();
  env.reset({ seed: 4 });
  twin.reset({ seed: 4 });
  // Many more MjData grow the WebAssembly memory, detaching earlier views.
  const others = Array.from({ length: 40 }, () => new HalfCheetahEnv());
  const a = Float64Array.from(env.step([0.3, 0.3, 0.3, 0.3, 0.3, 0.3]).obs);
  const b = twin.step([0.3, 0.3, 0.3, 0.3, 0.3, 0.3]).obs;
  assert.ok(a.every(Number.isFinite) && a.some((x) => x !== 0));
  assert.deepEqual([...a], [...b]);
  for (const other of [env, twin, ...others]) other.close();
});

test('Float32Observation gives float32 observations and float32 vector slabs', async () => {
  const plain = new HalfCheetahEnv();
  const wrapped = new Float32Observation(new HalfCheetahEnv());
  const a = plain.reset({ seed: 5 }).obs;
  const b = wrapped.reset({ seed: 5 }).obs;
  assert.ok(b instanceof Float32Array);
  assert.deepEqual([...b], [...Float32Array.from(a)]);
  assert.equal(wrapped.observationSpace.dtype, 'float32');
  const vector = new SyncVectorEnv([wrapped, new Float32Observation(new HalfCheetahEnv())]);
  assert.ok(vector.reset({ seed: 0 }).obs instanceof Float32Array);
  await vector.close();
  plain.close();
});
