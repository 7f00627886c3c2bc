/**
 * One-step fidelity against Gymnasium 1.3 + MuJoCo 3.14 (test/fixtures/gymnasium):
 * for every recorded step, restore the state recorded before it, apply the
 * recorded action, and compare observation, reward, flags, reward terms and state.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { make, MujocoEnv, TimeLimit } from '../../src/envs/index.js';
import { close, firstMismatch, loadFixtures, type Fixture } from './fixtures.js';

/**
 * Envs whose step reads body positions left by the previous step (Ant: torso
 * xpos, Humanoid: mass centre): to reproduce them, step t−1 is replayed from
 * its recorded state before step t.
 */
const READS_PREVIOUS_STEP = new Set(['Ant-v5', 'Humanoid-v5']);

async function checkFixtures(envId: string, t: TestContext): Promise<void> {
  const fixtures = loadFixtures(envId);
  assert.ok(fixtures.length >= 2, `fixtures for ${envId}`);
  const env = (await make(envId)) as TimeLimit;
  const inner = env.unwrapped as MujocoEnv;
  try {
    const worst = { obs: 0, reward: 0, state: 0, steps: 0 };
    for (const fixture of fixtures) checkFixture(envId, env, inner, fixture, worst);
    assert.ok(worst.steps >= 40, `${envId}: only ${worst.steps} steps checked`);
    t.diagnostic(`${worst.steps} steps; max |error| obs ${worst.obs.toExponential(1)}, reward ${worst.reward.toExponential(1)}, state ${worst.state.toExponential(1)}`);
  } finally {
    env.close();
  }
}

interface Worst {
  obs: number;
  reward: number;
  state: number;
  steps: number;
}

function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

function checkFixture(envId: string, env: TimeLimit, inner: MujocoEnv, fixture: Fixture, worst: Worst): void {
  const reset = env.reset({ seed: fixture.seed });
  assert.equal(reset.obs.length, fixture.reset_obs.length, `${envId}: reset obs length`);
  assert.equal(inner.stateSize, fixture.init.state.length, `${envId}: state size`);
  // The observation of the recorded initial state (reset noise itself is random).
  inner.setState(fixture.init.state);
  const bad = firstMismatch(inner.obs, fixture.reset_obs);
  assert.equal(bad, -1, `${envId} seed ${fixture.seed}: reset obs[${bad}] ${inner.obs[bad]} vs ${fixture.reset_obs[bad]}`);

  const state = new Float64Array(inner.stateSize);
  fixture.steps.forEach((expected, t) => {
    const where = `${envId} seed ${fixture.seed} step ${t}`;
    const before = t === 0 ? fixture.init.state : fixture.steps[t - 1]!.state!;
    if (t > 0 && READS_PREVIOUS_STEP.has(envId)) {
      inner.setState(t === 1 ? fixture.init.state : fixture.steps[t - 2]!.state!);
      inner.step(fixture.actions[t - 1]!);
      inner.setState(before, { forward: false });
    } else {
      inner.setState(before);
    }
    const result = inner.step(fixture.actions[t]!);
    const obsBad = firstMismatch(result.obs, expected.obs);
    assert.equal(obsBad, -1, `${where}: obs[${obsBad}] ${result.obs[obsBad]} vs ${expected.obs[obsBad]}`);
    assert.ok(close(result.reward, expected.reward), `${where}: reward ${result.reward} vs ${expected.reward}`);
    assert.equal(result.terminated, expected.terminated, `${where}: terminated`);
    // The recording went through make(), so truncation is TimeLimit's.
    assert.equal(result.truncated || t + 1 >= env.maxEpisodeSteps, expected.truncated, `${where}: truncated`);
    for (const [key, value] of Object.entries(expected.info)) {
      const actual = result.info[key];
      if (Array.isArray(value)) assert.equal(firstMismatch(actual as Float64Array, value), -1, `${where}: info.${key}`);
      else assert.ok(close(actual as number, value), `${where}: info.${key} ${String(actual)} vs ${value}`);
    }
    inner.getState(state);
    const stateBad = firstMismatch(state, expected.state!);
    assert.equal(stateBad, -1, `${where}: state[${stateBad}] ${state[stateBad]} vs ${expected.state![stateBad]}`);
    worst.obs = Math.max(worst.obs, maxError(result.obs, expected.obs));
    worst.reward = Math.max(worst.reward, Math.abs(result.reward - expected.reward));
    worst.state = Math.max(worst.state, maxError(state, expected.state!));
    worst.steps++;
  });
}

for (const envId of ['HalfCheetah-v5', 'Hopper-v5', 'Walker2d-v5', 'Ant-v5', 'Humanoid-v5', 'Swimmer-v5', 'InvertedPendulum-v5', 'InvertedDoublePendulum-v5', 'Reacher-v5', 'Pusher-v5']) {
  test(`${envId} matches Gymnasium step by step`, (t) => checkFixtures(envId, t));
}
