/**
 * The gradient-quality diagnostic on a tiny budget: it runs for TD3 and SAC, returns
 * cosines in [−1, 1], is deterministic for a seed, and rests on MuJoCo state restore
 * replaying a trajectory exactly.
 */
import '../../src/envs/index.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sac, SAC_SCHEMA } from '../../src/algos/sac.js';
import { Td3, TD3_SCHEMA } from '../../src/algos/td3.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { gradientQuality } from '../../src/diagnostics/gradient-quality.js';
import { MujocoEnv } from '../../src/envs/mujoco/mujoco-env.js';
import { make } from '../../src/envs/registry.js';
import { TimeLimit } from '../../src/envs/wrappers.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { defaults } from '../../src/core/config.js';
import { ObservationNormalizer } from '../../src/train/obs-normalizer.js';

const HOPPER = { obsDim: 11, actionLow: [-1, -1, -1], actionHigh: [1, 1, 1] };
const SMALL = { actorHidden: [32, 32], criticHidden: [32, 32] };
const TINY_RUN = { envId: 'Hopper-v5', states: 4, actionsPerState: 6, maxEpisodeSteps: 40 };

const td3 = (critic: 'mlp' | 'hyper' = 'mlp'): Td3 => new Td3(new Engine(defaultBackend()), HOPPER, { ...defaults(TD3_SCHEMA), ...SMALL, critic }, 7);

describe('gradient quality', () => {
  it('gives per-state cosines in [−1, 1] and a mean inside its interval (TD3, MLP and hyper critics)', async () => {
    for (const critic of ['mlp', 'hyper'] as const) {
      const r = await gradientQuality({ agent: td3(critic), ...TINY_RUN });
      assert.equal(r.perState.length, 4);
      for (const c of r.perState) assert.ok(c >= -1 && c <= 1, `cosine ${c}`);
      assert.ok(r.cosine.lo <= r.cosine.mean && r.cosine.mean <= r.cosine.hi);
      for (const s of r.states) {
        assert.equal(s.rank, 3);
        assert.ok(s.stepsFromReset >= 0 && s.stepsFromReset < 40);
        assert.ok(s.criticGradient.some((g) => g !== 0) && s.returnSlope.every(Number.isFinite));
      }
      assert.equal(r.settings.maxEpisodeSteps, 40);
    }
  });

  it('feeds the networks normalised states when the run normalised observations', async () => {
    const agent = td3();
    const identity = new ObservationNormalizer(11, 1e9, 0);
    identity.setState({ count: 1, mean: Array(11).fill(0), var: Array(11).fill(1) });
    const halved = new ObservationNormalizer(11, 1e9, 0);
    halved.setState({ count: 1, mean: Array(11).fill(0), var: Array(11).fill(4) });
    const raw = await gradientQuality({ agent, ...TINY_RUN, seed: 5 });
    assert.deepEqual((await gradientQuality({ agent, ...TINY_RUN, seed: 5, normalizer: identity })).perState, raw.perState);
    assert.notDeepEqual((await gradientQuality({ agent, ...TINY_RUN, seed: 5, normalizer: halved })).perState, raw.perState);
  });

  it('runs for SAC with tanh(mean) as the policy', async () => {
    const agent = new Sac(new Engine(defaultBackend()), HOPPER, { ...defaults(SAC_SCHEMA), ...SMALL }, 7);
    const r = await gradientQuality({ agent, ...TINY_RUN, states: 3 });
    for (const c of r.perState) assert.ok(c >= -1 && c <= 1);
  });

  it('is deterministic for a seed, changes with the seed, and agrees across batch sizes up to rounding', async () => {
    const agent = td3();
    const a = await gradientQuality({ agent, ...TINY_RUN, seed: 5 });
    const b = await gradientQuality({ agent, ...TINY_RUN, seed: 5 });
    assert.deepEqual(b.states, a.states);
    assert.deepEqual(b.cosine, a.cosine);
    const c = await gradientQuality({ agent, ...TINY_RUN, seed: 6 });
    assert.notDeepEqual(c.perState, a.perState);
    // Another batch size rounds the batched forward differently in the last bits only.
    const batched = await gradientQuality({ agent, ...TINY_RUN, seed: 5, envs: 5 });
    batched.perState.forEach((x, i) => assert.ok(Math.abs(x - a.perState[i]!) < 1e-4, `state ${i}: ${x} vs ${a.perState[i]}`));
  });

  it('leaves out states whose clipped actions do not determine the slope, or uses the minimum-norm slope on request', async () => {
    // A policy saturated at the upper bound: perturbations above it are clipped back onto it.
    const agent = td3();
    const outputBias = agent.actor.namedParameters().at(-1)![1];
    agent.engine.write(outputBias, [50, 50, 50]);
    const run = { agent, ...TINY_RUN, states: 6, actionsPerState: 5, seed: 2 };
    const plain = await gradientQuality(run);
    const undetermined = plain.states.filter((s) => s.rank < 3);
    assert.ok(undetermined.length > 0, 'the seed should give at least one undetermined state');
    for (const s of plain.states) assert.equal(Number.isNaN(s.cosine), s.rank < 3);
    assert.ok(Number.isFinite(plain.cosine.mean));
    const pinv = await gradientQuality({ ...run, pseudoinverse: true });
    for (const c of pinv.perState) assert.ok(c >= -1 && c <= 1);
  });

  it('uses the env\'s episode limit by default, and refuses too few actions and non-MuJoCo envs', async () => {
    const r = await gradientQuality({ agent: td3(), envId: 'Hopper-v5', states: 2, actionsPerState: 4, maxEpisodeSteps: undefined, holdSteps: 1, envs: 3 });
    assert.equal(r.settings.maxEpisodeSteps, 1000);
    await assert.rejects(gradientQuality({ agent: td3(), ...TINY_RUN, actionsPerState: 3 }), /3 actions per state cannot determine a slope in 3 action dimensions/);
    const pendulum = new Td3(new Engine(defaultBackend()), { obsDim: 3, actionLow: [-2], actionHigh: [2] }, { ...defaults(TD3_SCHEMA), ...SMALL }, 1);
    await assert.rejects(gradientQuality({ agent: pendulum, envId: 'Pendulum-v1', states: 2, actionsPerState: 3 }), /not a MuJoCo env/);
  });
});

describe('MuJoCo state restore', () => {
  for (const id of ['Hopper-v5', 'HalfCheetah-v5']) {
    it(`${id}: restoring a saved state into another env instance replays the same rewards and observations`, async () => {
      const rng = new Xoshiro128Rng(11);
      const original = ((await make(id)) as TimeLimit).unwrapped as MujocoEnv;
      const copy = ((await make(id)) as TimeLimit).unwrapped as MujocoEnv;
      const dim = original.actionSpace.size;
      const randomAction = (): number[] => Array.from({ length: dim }, () => rng.uniform(-1, 1));
      original.reset({ seed: 3 });
      for (let t = 0; t < 25; t++) original.step(randomAction());
      const saved = original.getState();
      const actions = Array.from({ length: 30 }, randomAction);
      const replay = (env: MujocoEnv): number[][] => actions.map((a) => { const r = env.step(a); return [r.reward, ...r.obs]; });

      const first = replay(original);
      original.setState(saved);
      const again = replay(original);
      copy.reset({ seed: 99 });
      copy.step(randomAction());
      copy.setState(saved);
      const elsewhere = replay(copy);
      assert.deepEqual(again, first);
      assert.deepEqual(elsewhere, first);
      original.close();
      copy.close();
    });
  }
});
