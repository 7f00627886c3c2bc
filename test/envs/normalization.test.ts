import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunningMeanStd } from '../../src/core/running-mean-std.js';
import { BaseEnv, Box, NormalizeReward, SyncVectorEnv, VectorNormalizeObservation, VectorNormalizeReward } from '../../src/envs/index.js';

/** Rewards and terminations from a script; the observation is [step, 10·reset count]. */
class ScriptedEnv extends BaseEnv<number, Float64Array> {
  readonly observationSpace = new Box(-Infinity, Infinity, 2, 'float64');
  readonly actionSpace = new Box(-1, 1, 1);
  private t = 0;
  private resets = 0;
  constructor(private readonly rewards: number[], private readonly terminateAt: number[]) {
    super('Scripted-v0', new Float64Array(2));
  }
  protected resetEnv(): void {
    this.obs[0] = 0;
    this.obs[1] = 10 * ++this.resets;
  }
  protected stepEnv(): void {
    const t = this.t++;
    this.obs[0] = t + 1;
    this.stepResult.reward = this.rewards[t]!;
    this.stepResult.terminated = this.terminateAt.includes(t);
    this.stepResult.truncated = false;
  }
}

/** |got − want| within a relative 1e-9 (the closed forms below subtract nearly equal numbers). */
const near = (got: number, want: number): boolean => Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));

/** Statistics of the values after Gymnasium's prior (count 1e-4, mean 0, variance 1), computed in one pass over all of them. */
function pooled(values: number[]): { mean: number; variance: number } {
  const c0 = 1e-4, n = values.length + c0;
  const mean = values.reduce((s, x) => s + x, 0) / n;
  return { mean, variance: (c0 * 1 + values.reduce((s, x) => s + x * x, 0)) / n - mean * mean };
}

test('RunningMeanStd.updateBatch: pooled mean and variance of all rows so far', () => {
  const stats = new RunningMeanStd(2);
  const rows = [[1, -2], [3, 5], [10, 0], [-4, 4], [2, 2]];
  stats.updateBatch(rows.slice(0, 3).flat(), 3);
  stats.updateBatch(rows.slice(3).flat(), 2);
  const s = stats.getState();
  for (const j of [0, 1]) {
    const { mean, variance } = pooled(rows.map((r) => r[j]!));
    assert.ok(Math.abs(s.mean[j]! - mean) < 1e-12 && Math.abs(s.var[j]! - variance) < 1e-12, `component ${j}: ${s.mean[j]}, ${s.var[j]} vs ${mean}, ${variance}`);
  }
  assert.throws(() => stats.updateBatch([1, 2, 3], 2), /3 values are not 2 rows of 2/);
});

test('NormalizeReward by hand: r / √(Var[G] + ε) with G ← γ·(1 − terminated)·G + r, not centred, optionally clipped', () => {
  const rewards = [1, 2, 3, 4], gamma = 0.5;
  const env = new NormalizeReward(new ScriptedEnv(rewards, [1]), gamma);
  env.reset({ seed: 0 });
  // Gymnasium cuts G with the flag of the step itself: 1, 0·1 + 2 = 2 (terminates), 0.5·2 + 3 = 4, 0.5·4 + 4 = 6.
  const returns = [1, 2, 4, 6];
  rewards.forEach((r, t) => {
    const { variance } = pooled(returns.slice(0, t + 1));
    const got = env.step(0).reward;
    assert.ok(near(got, r / Math.sqrt(variance + 1e-8)), `step ${t}: ${got}`);
  });
  const saved = env.getState();
  assert.deepEqual(saved.returns, [6]);
  const clipped = new NormalizeReward(new ScriptedEnv([100], []), gamma, 1e-8, 10);
  clipped.reset();
  assert.equal(clipped.step(0).reward, 10);
  // Restored statistics continue identically; frozen ones scale without learning.
  const a = new NormalizeReward(new ScriptedEnv([7, 8], []), gamma), b = new NormalizeReward(new ScriptedEnv([7, 8], []), gamma);
  a.setState(saved);
  b.setState(saved);
  a.reset(); b.reset();
  assert.equal(a.step(0).reward, b.step(0).reward);
  b.updateStatistics = false;
  const frozenVariance = b.getState().returnStats.var[0]!;
  assert.ok(Math.abs(b.step(0).reward - 8 / Math.sqrt(frozenVariance + 1e-8)) < 1e-12);
  assert.deepEqual(b.getState().returnStats.var, [frozenVariance]);
});

test('vector normalisation: statistics shared by all envs, autoreset steps included, saved and restored', () => {
  // Env 0 terminates at its second step; the vector env then spends a step resetting it (reward 0, no flags).
  const make = (): SyncVectorEnv => new SyncVectorEnv([new ScriptedEnv([1, 2, 3, 4], [1]), new ScriptedEnv([-1, -2, -3, -4], [])]);
  const obsWrapper = new VectorNormalizeObservation(make(), 1e-8, 5);
  const env = new VectorNormalizeReward(obsWrapper, 0.5);
  const observed: number[][] = [[], []];
  const first = env.reset({ seed: 1 }).obs;
  const raw: number[][] = [[0, 10], [0, 10]];
  const check = (obs: ArrayLike<number>): void => {
    const all = raw.flat(), dims = [all.filter((_, k) => k % 2 === 0), all.filter((_, k) => k % 2 === 1)];
    raw.slice(-2).forEach((row, i) => row.forEach((x, j) => {
      const { mean, variance } = pooled(dims[j]!);
      const want = Math.max(-5, Math.min(5, (x - mean) / Math.sqrt(variance + 1e-8)));
      assert.ok(near(obs[2 * i + j]!, want), `obs of env ${i}[${j}]: ${obs[2 * i + j]} vs ${want}`);
    }));
  };
  check(first);
  assert.deepEqual(Array.from(obsWrapper.rawObs), raw.flat());
  // Per env: raw rewards and G. Step 3 of env 0 is its autoreset step (reward 0, observation of the second reset).
  const rawRewards = [[1, -1], [2, -2], [0, -3], [3, -4]];
  const nextObs = [[[1, 10], [1, 10]], [[2, 10], [2, 10]], [[0, 20], [3, 10]], [[3, 20], [4, 10]]];
  // G of env 0: 1, 2 (terminated: cut at that step), 0.5·2 + 0 = 1 (autoreset step), 0.5·1 + 3 = 3.5; env 1: −1, −2.5, −4.25, −6.125.
  const g = [[1, -1], [2, -2.5], [1, -4.25], [3.5, -6.125]];
  rawRewards.forEach((r, t) => {
    const out = env.step([0, 0]);
    assert.deepEqual([...env.rawRewards], r);
    const { variance } = pooled(g.slice(0, t + 1).flat());
    r.forEach((x, i) => assert.ok(near(out.rewards[i]!, x / Math.sqrt(variance + 1e-8)), `step ${t} env ${i}: ${out.rewards[i]} vs ${x / Math.sqrt(variance + 1e-8)}`));
    raw.push(...nextObs[t]!);
    check(out.obs);
    assert.deepEqual(Array.from(obsWrapper.rawObs), nextObs[t]!.flat(), `step ${t}: the env's own observations`);
    observed[0]!.push(out.terminations[0]!);
  });
  assert.deepEqual(observed[0], [0, 1, 0, 0]);
  // Wrappers given the saved statistics continue identically on identical envs.
  const restored = (): { obs: VectorNormalizeObservation; env: VectorNormalizeReward } => {
    const obs = new VectorNormalizeObservation(make(), 1e-8, 5), rew = new VectorNormalizeReward(obs, 0.5);
    obs.setState(obsWrapper.getState());
    rew.setState(env.getState());
    return { obs, env: rew };
  };
  const a = restored(), b = restored();
  assert.deepEqual([...a.env.reset({ seed: 1 }).obs], [...b.env.reset({ seed: 1 }).obs]);
  assert.deepEqual([...a.env.step([0, 0]).rewards], [...b.env.step([0, 0]).rewards]);
  assert.deepEqual(a.obs.getState(), b.obs.getState());
});
