import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clippedPolicyLoss, Ppo, PPO_SCHEMA, valueLoss, type PpoConfig } from '../../src/algos/ppo.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { defaults, resolveConfig } from '../../src/train/config.js';
import { countTypedArrayAllocations } from '../helpers/alloc.js';
import { engine64 } from '../helpers/gradcheck.js';
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

const SMALL: Partial<PpoConfig> = { numEnvs: 2, numSteps: 16, numMinibatches: 4, updateEpochs: 2, actorHidden: [8], criticHidden: [8] };
const config = (overrides: Partial<PpoConfig> = {}): PpoConfig => resolveConfig('ppo', PPO_SCHEMA, SMALL, overrides);
const PENDULUM = { obsDim: 3, actionLow: [-2], actionHigh: [2] };

/** Scripted rollouts (buffers made once): observations sin(t + k), reward −|action|, an episode end every 5 steps. */
function scriptedRollouts(agent: Ppo): (iterations: number) => Record<string, number>[] {
  const c = agent.config, n = c.numEnvs, od = agent.spec.obsDim;
  const obs = new Float64Array(n * od), actions = new Float64Array(n * agent.buffer.actionDim);
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
  const seen = new Set(Array.from(agent.buffer.actions));
  assert.ok([...seen].every((a) => Number.isInteger(a) && a >= 0 && a < 4) && seen.size > 1, `sampled ${[...seen].join(', ')}`);
  const out = new Float64Array(1);
  agent.act([0.1, 0.2, 0.3], false, out);
  const greedy = out[0]!;
  for (let i = 0; i < 5; i++) { agent.act([0.1, 0.2, 0.3], false, out); assert.equal(out[0], greedy); }
  assert.ok(Number.isInteger(greedy) && greedy >= 0 && greedy < 4);
});

test('PPO: after the first iteration, rollouts and updates allocate no typed arrays', () => {
  const agent = new Ppo(new Engine(defaultBackend()), PENDULUM, config(), 3);
  const rollouts = scriptedRollouts(agent);
  rollouts(1);
  assert.equal(countTypedArrayAllocations(() => rollouts(1)), 0);
});

test('PPO: the batch must split into equal minibatches; the defaults are CleanRL\'s continuous ones', () => {
  assert.throws(() => new Ppo(new Engine(defaultBackend()), PENDULUM, config({ numMinibatches: 5 }), 1), /the 32 steps of a rollout \(numEnvs × numSteps\) do not split into numMinibatches = 5 equal minibatches/);
  const d = defaults(PPO_SCHEMA);
  assert.deepEqual([d.numEnvs, d.numSteps, d.updateEpochs, d.numMinibatches, d.learningRate, d.clipCoef, d.gaeLambda, d.maxGradNorm], [1, 2048, 10, 32, 3e-4, 0.2, 0.95, 0.5]);
});
