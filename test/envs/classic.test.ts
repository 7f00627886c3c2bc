import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CartPoleEnv, makeSync, MountainCarContinuousEnv, PendulumEnv, TimeLimit } from '../../src/envs/index.js';
import { firstMismatch, loadFixtures } from './fixtures.js';

/** Replays a whole fixture trajectory (recorded through `make`, so with its time limit) from its recorded initial state. */
function replay(envId: string): void {
  const fixtures = loadFixtures(envId);
  assert.ok(fixtures.length >= 2, `fixtures for ${envId}`);
  const env = makeSync(envId) as TimeLimit;
  const inner = env.unwrapped as PendulumEnv | MountainCarContinuousEnv;
  for (const fixture of fixtures) {
    env.reset({ seed: fixture.seed });
    inner.state.set(fixture.init.state);
    fixture.steps.forEach((expected, t) => {
      const { obs, reward, terminated, truncated } = env.step(fixture.actions[t]!);
      const where = `${envId} seed ${fixture.seed} step ${t}`;
      const bad = firstMismatch(obs, expected.obs);
      assert.equal(bad, -1, `${where}: obs[${bad}] ${obs[bad]} vs ${expected.obs[bad]}`);
      assert.ok(Math.abs(reward - expected.reward) <= 1e-8, `${where}: reward ${reward} vs ${expected.reward}`);
      assert.equal(terminated, expected.terminated, `${where}: terminated`);
      assert.equal(truncated, expected.truncated, `${where}: truncated`);
    });
  }
}

test('Pendulum-v1 reproduces the Gymnasium trajectories', () => replay('Pendulum-v1'));

test('MountainCarContinuous-v0 reproduces the Gymnasium trajectories', () => replay('MountainCarContinuous-v0'));

test('reset samples the documented ranges and observes the state as Gymnasium does', () => {
  const pendulum = new PendulumEnv();
  const car = new MountainCarContinuousEnv();
  for (let seed = 0; seed < 200; seed++) {
    const { obs } = pendulum.reset({ seed });
    const [th, thdot] = pendulum.state as unknown as [number, number];
    assert.ok(Math.abs(th) <= Math.PI && Math.abs(thdot) <= 1);
    assert.deepEqual([...obs], [Math.fround(Math.cos(th)), Math.fround(Math.sin(th)), Math.fround(thdot)]);
    car.reset({ seed });
    assert.ok(car.state[0]! >= -0.6 && car.state[0]! < -0.4 && car.state[1] === 0);
    assert.deepEqual([...car.obs], [Math.fround(car.state[0]!), 0]);
  }
  // The recordings' reset observations are the float32 images of their initial states.
  for (const fixture of loadFixtures('MountainCarContinuous-v0')) assert.equal(Math.fround(fixture.init.state[0]!), fixture.reset_obs[0]);
  for (const fixture of loadFixtures('Pendulum-v1')) assert.equal(Math.fround(fixture.init.state[1]!), fixture.reset_obs[2]);
  // Reset options bound the initial state, as in Gymnasium.
  pendulum.reset({ seed: 1, options: { x_init: 0.1, y_init: 0.2 } });
  assert.ok(Math.abs(pendulum.state[0]!) <= 0.1 && Math.abs(pendulum.state[1]!) <= 0.2);
  assert.throws(() => car.reset({ options: { low: 0, high: -1 } }), /MountainCarContinuous-v0: reset option low \(0\) must not exceed high \(-1\)/);
});

test('CartPole-v1 follows Gymnasium dynamics and rewards', () => {
  const env = new CartPoleEnv();
  env.reset({ seed: 3 });
  env.state.set([0, 0, 0.01, 0]);
  const { obs, reward, terminated } = env.step(1);
  // One Euler step by hand: θ̈ and ẍ from Gymnasium's equations with force +10.
  const sin = Math.sin(0.01);
  const cos = Math.cos(0.01);
  const temp = 10 / 1.1;
  const thetaAcc = (9.8 * sin - cos * temp) / (0.5 * (4 / 3 - (0.1 * cos * cos) / 1.1));
  const xAcc = temp - (0.05 * thetaAcc * cos) / 1.1;
  assert.deepEqual([...env.state], [0, 0.02 * xAcc, 0.01, 0.02 * thetaAcc]);
  assert.equal(obs[3], Math.fround(0.02 * thetaAcc));
  assert.equal(reward, 1);
  assert.equal(terminated, false);
  // Pushing one way ends the episode; the terminating step still pays 1, later steps 0.
  let steps = 0;
  let last = env.step(1);
  while (!last.terminated) {
    last = env.step(1);
    steps++;
  }
  assert.ok(steps < 100);
  assert.equal(last.reward, 1);
  assert.equal(env.step(1).reward, 0);
  assert.throws(() => env.step(2), /CartPole-v1: action must be 0 or 1/);
});

test('reset noise follows the documented uniform ranges', () => {
  const env = new CartPoleEnv();
  let sum = 0;
  let sumSq = 0;
  const n = 2000;
  for (let i = 0; i < n; i++) {
    env.reset({ seed: i });
    for (const v of env.state) {
      assert.ok(v >= -0.05 && v < 0.05);
      sum += v;
      sumSq += v * v;
    }
  }
  const mean = sum / (4 * n);
  const variance = sumSq / (4 * n) - mean * mean;
  assert.ok(Math.abs(mean) < 0.002, `mean ${mean}`);
  assert.ok(Math.abs(variance - 0.1 ** 2 / 12) < 0.1 * (0.1 ** 2 / 12), `variance ${variance}`);
});
