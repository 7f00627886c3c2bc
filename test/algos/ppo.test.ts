import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clippedPolicyLoss, huber, Ppo, PPO_SCHEMA, valueLoss, type PpoConfig } from '../../src/algos/ppo.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { defaults, resolveConfig } from '../../src/core/config.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { countTypedArrayAllocations } from '../helpers/alloc.js';
import { checkGradient, engine64 } from '../helpers/gradcheck.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const close = (got: ArrayLike<number>, want: number[], label: string): void => {
  assert.equal(got.length, want.length, label);
  want.forEach((w, k) => assert.ok(Math.abs(got[k]! - w) < 1e-12, `${label}[${k}]: ${got[k]} vs ${w}`));
};

/** A loss and its gradient with respect to the first input, on the float64 reference backend. */
function lossAndGrad(f: (e: Engine, x: Tensor) => Tensor, x: number[]): { loss: number; grad: number[] } {
  const e = engine64();
  return e.scope(() => {
    const t = e.tensor(x, [x.length, 1]);
    t.requiresGrad = true;
    const loss = f(e, t);
    return { loss: loss.item(), grad: e.grad(loss, [t])[0]!.toArray() };
  });
}

test('clipped surrogate loss by hand: max(−A·r, −A·clip(r, 0.8, 1.2)), the gradient only through unclipped terms', () => {
  const ratio = [0.5, 1.0, 1.5, 1.1, 0.5, 3];
  const adv = [1, -2, 1, -1, -1, 5];
  const weights = [0.2, 0.2, 0.2, 0.2, 0.2, 0]; // the last row is an autoreset row
  const { loss, grad } = lossAndGrad((e, r) => clippedPolicyLoss(r, e.tensor(adv, [6, 1]), e.tensor(weights, [6, 1]), 0.2), ratio);
  // Rows: max(−0.5, −0.8) = −0.5 (unclipped, ∂/∂r = −A = −1); max(2, 2) = 2 (inside the range, ∂ = 2);
  // max(−1.5, −1.2) = −1.2 (clipped: a better ratio earns nothing, ∂ = 0); max(1.1, 1.1) = 1.1 (∂ = 1);
  // max(0.5, 0.8) = 0.8 (a worse ratio is clipped too when A < 0: ∂ = 0). Weighted mean over 5 rows.
  assert.ok(Math.abs(loss - (-0.5 + 2 - 1.2 + 1.1 + 0.8) / 5) < 1e-12, `loss ${loss}`);
  close(grad, [-0.2, 0.4, 0, 0.2, 0, 0], 'dloss/dratio');
});

test('value loss by hand: ½·mean max((V − R)², (V_old + clip(V − V_old, ±0.2) − R)²), and the unclipped ½·mean (V − R)²', () => {
  const value = [0.5, 0.1, 0.7];
  const old = [0, 0, 1], ret = [1, -1, 0.5], w = [1 / 3, 1 / 3, 1 / 3];
  const clipped = lossAndGrad((e, v) => valueLoss(v, e.tensor(old, [3, 1]), e.tensor(ret, [3, 1]), e.tensor(w, [3, 1]), 0.2), value);
  // Rows: max(0.25, (0.2 − 1)² = 0.64) = 0.64 (moved 0.5 > 0.2 from V_old: clipped, ∂ = 0); max(1.21, 1.21) (inside, ∂ = 2·1.1);
  // max(0.04, (0.8 − 0.5)² = 0.09) = 0.09 (∂ = 0).
  assert.ok(Math.abs(clipped.loss - 0.5 * (0.64 + 1.21 + 0.09) / 3) < 1e-12, `clipped loss ${clipped.loss}`);
  close(clipped.grad, [0, (0.5 * 2.2) / 3, 0], 'clipped dloss/dV');
  const plain = lossAndGrad((e, v) => valueLoss(v, e.tensor(old, [3, 1]), e.tensor(ret, [3, 1]), e.tensor(w, [3, 1]), null), value);
  assert.ok(Math.abs(plain.loss - 0.5 * (0.25 + 1.21 + 0.04) / 3) < 1e-12, `unclipped loss ${plain.loss}`);
  close(plain.grad, [-0.5 / 3, 1.1 / 3, 0.2 / 3], 'unclipped dloss/dV');
});

test('Huber value loss by hand (VariBAD\'s ppo.py): ½·mean max(huber(V − R), huber(V_clipped − R)), and mean huber(V − R) unclipped', () => {
  const value = [0.5, 2.0, -1.5];
  const old = [0, 1.95, 0], ret = [1, -1, 0.2], w = [1 / 3, 1 / 3, 1 / 3];
  const clipped = lossAndGrad((e, v) => valueLoss(v, e.tensor(old, [3, 1]), e.tensor(ret, [3, 1]), e.tensor(w, [3, 1]), 0.2, 'huber'), value);
  // Rows: max(huber(−0.5) = 0.125, huber(0.2 − 1) = 0.32) = 0.32 (clipped: ∂ = 0); V − R = 3 outside the quadratic zone,
  // huber 2.5 both ways (∂ = 1); max(huber(−1.7) = 1.2, huber(−0.2 − 0.2) = 0.08) = 1.2 (linear zone: ∂ = −1).
  assert.ok(Math.abs(clipped.loss - 0.5 * (0.32 + 2.5 + 1.2) / 3) < 1e-12, `clipped Huber loss ${clipped.loss}`);
  close(clipped.grad, [0, 0.5 / 3, -0.5 / 3], 'clipped Huber dloss/dV');
  const plain = lossAndGrad((e, v) => valueLoss(v, e.tensor(old, [3, 1]), e.tensor(ret, [3, 1]), e.tensor(w, [3, 1]), null, 'huber'), value);
  assert.ok(Math.abs(plain.loss - (0.125 + 2.5 + 1.2) / 3) < 1e-12, `unclipped Huber loss ${plain.loss}`);
  close(plain.grad, [-0.5 / 3, 1 / 3, -1 / 3], 'unclipped Huber dloss/dV');
});

test('Huber value loss: gradients with respect to V, V_old and R match central differences, in and outside |x| < 1', () => {
  const rows = 12;
  const loss = (clip: number | null) => (v: Tensor, old: Tensor, ret: Tensor): Tensor =>
    valueLoss(v, old, ret, v.engine.tensor(new Array(rows).fill(1 / rows), [rows, 1]), clip, 'huber');
  const specs = [{ shape: [rows, 1], lo: -3, hi: 3 }, { shape: [rows, 1], lo: -3, hi: 3 }, { shape: [rows, 1], lo: -3, hi: 3 }];
  checkGradient('clipped Huber', loss(0.5), specs, 5);
  checkGradient('unclipped Huber', (v, ret) => loss(null)(v, v, ret), [specs[0]!, specs[2]!], 6);
  checkGradient('huber', (x) => huber(x), [{ shape: [40], lo: -4, hi: 4 }], 7);
});

const SMALL: Partial<PpoConfig> = { numEnvs: 2, numSteps: 16, numMinibatches: 4, updateEpochs: 2, actorHidden: [8], criticHidden: [8] };
const config = (overrides: Partial<PpoConfig> = {}): PpoConfig => resolveConfig('ppo', PPO_SCHEMA, SMALL, overrides);
const PENDULUM = { obsDim: 3, actionLow: [-2], actionHigh: [2] };

/** Scripted rollouts (buffers made once): observations sin(t + k), reward −|action|, an episode end every 5 steps. */
function scriptedRollouts(agent: Ppo): (iterations: number) => Record<string, number>[] {
  const c = agent.config, n = c.numEnvs, od = agent.spec.obsDim;
  const obs = new Float64Array(n * od), actions = new Float64Array(n * agent.rollout.buffer.actionDim);
  const rewards = new Float64Array(n), ends = new Uint8Array(n), none = new Uint8Array(n);
  let t = 0;
  return (iterations) => {
    const metrics: Record<string, number>[] = [];
    for (let it = 0; it < iterations; it++) {
      for (let s = 0; s < c.numSteps; s++, t++) {
        for (let k = 0; k < obs.length; k++) obs[k] = Math.sin(t + k);
        agent.collect(obs, actions);
        for (let i = 0; i < n; i++) { rewards[i] = -Math.abs(actions[i]!); ends[i] = (t + i) % 5 === 4 ? 1 : 0; }
        agent.recordOutcome(rewards, ends, none);
      }
      metrics.push(agent.update(obs, it, iterations));
    }
    return metrics;
  };
}

const runIterations = (agent: Ppo, iterations: number): Record<string, number>[] => scriptedRollouts(agent)(iterations);

test('PPO: actions inside the bounds, the documented metrics, and the same seed gives the same parameters', () => {
  const run = (): { params: number[]; metrics: Record<string, number>[] } => {
    const agent = new Ppo(new Engine(defaultBackend()), PENDULUM, config(), 7);
    const metrics = runIterations(agent, 3);
    return { params: agent.net.parameters().flatMap((p) => p.toArray()), metrics };
  };
  const a = run(), b = run();
  assert.deepEqual(a.params, b.params);
  assert.deepEqual(a.metrics, b.metrics);
  const m = a.metrics[2]!;
  for (const k of ['losses/policy_loss', 'losses/value_loss', 'losses/entropy', 'losses/old_approx_kl', 'losses/approx_kl', 'losses/clipfrac', 'losses/explained_variance', 'charts/learning_rate']) {
    assert.ok(k in m && !Number.isNaN(m[k]), `${k} = ${m[k]}`);
  }
  assert.ok(Math.abs(m['charts/learning_rate']! - (1 - 2 / 3) * 3e-4) < 1e-15, 'annealed linearly from the first iteration');
  // The entropy of N(μ, 1) in one dimension at the start (log σ = 0): ½ + ½·log 2π.
  assert.ok(Math.abs(a.metrics[0]!['losses/entropy']! - (0.5 + 0.5 * Math.log(2 * Math.PI))) < 1e-2);
});

test('PPO: a discrete agent samples class indices and acts greedily in evaluation', () => {
  const agent = new Ppo(new Engine(defaultBackend()), { obsDim: 3, actionCount: 4 }, config({ entCoef: 0.01 }), 1);
  const metrics = runIterations(agent, 2);
  assert.ok(Number.isFinite(metrics[1]!['losses/policy_loss']));
  const seen = new Set(Array.from(agent.rollout.buffer.actions));
  assert.ok([...seen].every((a) => Number.isInteger(a) && a >= 0 && a < 4) && seen.size > 1, `sampled ${[...seen].join(', ')}`);
  const out = new Float64Array(1);
  agent.act([0.1, 0.2, 0.3], false, out);
  const greedy = out[0]!;
  for (let i = 0; i < 5; i++) { agent.act([0.1, 0.2, 0.3], false, out); assert.equal(out[0], greedy); }
  assert.ok(Number.isInteger(greedy) && greedy >= 0 && greedy < 4);
});

test('PPO: after the first iteration, rollouts and updates allocate no typed arrays (recurrent with RL² inputs too)', () => {
  for (const overrides of [{}, { recurrentHidden: 6, sequenceLength: 4, rl2Inputs: true }] as Partial<PpoConfig>[]) {
    const agent = new Ppo(new Engine(defaultBackend()), PENDULUM, config(overrides), 3);
    const rollouts = scriptedRollouts(agent);
    rollouts(1);
    assert.equal(countTypedArrayAllocations(() => rollouts(1)), 0, JSON.stringify(overrides));
  }
});

test('PPO: the batch must split into equal minibatches; the defaults are CleanRL\'s continuous ones', () => {
  assert.throws(() => new Ppo(new Engine(defaultBackend()), PENDULUM, config({ numMinibatches: 5 }), 1), /the 32 steps of a rollout \(numEnvs × numSteps\) do not split into numMinibatches = 5 equal minibatches/);
  const d = defaults(PPO_SCHEMA);
  assert.deepEqual([d.numEnvs, d.numSteps, d.updateEpochs, d.numMinibatches, d.learningRate, d.clipCoef, d.gaeLambda, d.maxGradNorm], [1, 2048, 10, 32, 3e-4, 0.2, 0.95, 0.5]);
});

test('PPO: replaying the rollout in the update gives back its log-probabilities (ratio 1 before the first step), recurrent or not', () => {
  for (const overrides of [{}, { recurrentHidden: 6, sequenceLength: 4 }, { recurrentHidden: 6, sequenceLength: 4, rl2Inputs: true }] as Partial<PpoConfig>[]) {
    // One minibatch, one epoch: the logged KL estimates are those of the rollout's own policy. Episodes end every 5 steps
    // (autoreset rows, state resets inside sequences) and sequences of 4 start from stored states.
    for (const spec of [PENDULUM, { obsDim: 3, actionCount: 3 }]) {
      const agent = new Ppo(new Engine(defaultBackend()), spec, config({ numMinibatches: 1, updateEpochs: 1, ...overrides }), 2);
      const [m] = scriptedRollouts(agent)(1);
      const label = `${JSON.stringify(overrides)} ${'actionCount' in spec ? 'discrete' : 'continuous'}`;
      assert.ok(m!['losses/approx_kl']! < 1e-9 && Math.abs(m!['losses/old_approx_kl']!) < 1e-6, `${label}: approx KL ${m!['losses/approx_kl']}, old ${m!['losses/old_approx_kl']}`);
      assert.equal(m!['losses/clipfrac'], 0, label);
    }
  }
});

test('PPO with RL² inputs: each step sees the previous executed action (one-hot), reward and done flag', () => {
  const agent = new Ppo(new Engine(defaultBackend()), { obsDim: 1, actionCount: 2 }, config({ numEnvs: 1, numSteps: 4, numMinibatches: 1, rl2Inputs: true, recurrentHidden: 3, sequenceLength: 2 }), 1);
  assert.equal(agent.inputDim, 1 + 2 + 2);
  const b = agent.rollout.buffer, actions = new Float64Array(1);
  const steps = [{ reward: 0.5, done: 0 }, { reward: -1, done: 1 }, { reward: 0, done: 0 }, { reward: 2, done: 0 }];
  const taken: number[] = [];
  steps.forEach((s, t) => {
    agent.collect([10 + t], actions);
    taken.push(actions[0]!);
    agent.recordOutcome([s.reward], [s.done], [0]);
  });
  const row = (t: number): number[] => Array.from(b.obs.subarray(5 * t, 5 * t + 5));
  const hot = (a: number): number[] => (a === 0 ? [1, 0] : [0, 1]);
  assert.deepEqual(row(0), [10, 0, 0, 0, 0], 'nothing before the first step');
  assert.deepEqual(row(1), [11, ...hot(taken[0]!), 0.5, 0]);
  assert.deepEqual(row(2), [12, ...hot(taken[1]!), -1, 1], 'the autoreset row');
  // The autoreset step's action is not executed: the first step of the next episode still sees the ending step.
  assert.deepEqual(row(3), [13, ...hot(taken[1]!), -1, 1]);
  assert.deepEqual([...b.valid], [1, 1, 0, 1]);
  assert.deepEqual([...b.episodeStarts], [1, 0, 0, 1]);
  assert.throws(() => new Ppo(new Engine(defaultBackend()), PENDULUM, config({ recurrentHidden: 4, sequenceLength: 5 }), 1), /sequenceLength 5 does not divide numSteps 16/);
});

test('PPO presets: cleanrl is ppo_continuous_action.py, cleanrl-discrete is ppo.py (CartPole, 500k steps)', () => {
  const discrete = resolveTrainConfig({ algo: 'ppo', preset: 'cleanrl-discrete' });
  assert.equal(discrete.run.totalSteps, 500_000);
  const a = discrete.agent as PpoConfig;
  assert.deepEqual([a.numEnvs, a.numSteps, a.learningRate, a.numMinibatches, a.updateEpochs, a.entCoef, a.normalizeObservation, a.normalizeReward, a.annealLr, a.clipCoef],
    [4, 128, 2.5e-4, 4, 4, 0.01, false, false, true, 0.2]);
  const continuous = resolveTrainConfig({ algo: 'ppo' }).agent as PpoConfig;
  assert.deepEqual([continuous.numEnvs, continuous.numSteps, continuous.entCoef, continuous.normalizeObservation, continuous.normalizeReward, continuous.truncation],
    [1, 2048, 0, true, true, 'bootstrap']);
});
