/**
 * TRPO-MAML: the conjugate-gradient solve against a dense solve, the Fisher-vector product
 * against the closed-form Fisher of a linear Gaussian policy, the second-order meta-gradient
 * against float64 finite differences, and learning on 2D-Navigation (post-adaptation return
 * on unseen tasks rises within a small budget).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { defaults } from '../../src/core/config.js';
import '../../src/envs/index.js';
import {
  conjugateGradient, fisherVectorProduct, makeMamlPolicy, MAML_SCHEMA, MamlLearner, NormalMlpPolicy, outerObjective, trpoStep, type EpisodeTensors, type MamlOrder, type MamlOuterPass, type MamlTask, type OldPolicy,
} from '../../src/algos/maml.js';
import { Linear } from '../../src/nn/layers.js';
import { engine64 as e64, parameterCentralDifferences } from '../helpers/gradcheck.js';
import { makeRng } from '../helpers/rng.js';
const average = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

const values = (n: number, seed: number, s = 1): number[] => { const r = makeRng(seed); return Array.from({ length: n }, () => s * r.uniform(-1, 1)); };

/** Dense Gaussian elimination with partial pivoting (the reference solve). */
function denseSolve(a: number[][], b: number[]): number[] {
  const n = b.length, m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    const p = m.reduce((best, _, r) => (r >= c && Math.abs(m[r]![c]!) > Math.abs(m[best]![c]!) ? r : best), c);
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) { const f = m[r]![c]! / m[c]![c]!; for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!; }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) { let s = m[r]![n]!; for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!; x[r] = s / m[r]![r]!; }
  return x;
}

describe('conjugate gradient', () => {
  it('solves a 6×6 SPD system like a dense solve (6 iterations), and 2 iterations are not enough', () => {
    const n = 6, mVals = values(n * n, 3);
    // A = MᵀM + 0.5·I: symmetric positive definite.
    const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) s += mVals[k * n + i]! * mVals[k * n + j]!;
      return s;
    }));
    const b = Float64Array.from(values(n, 4));
    const product = (v: Float64Array): Float64Array => Float64Array.from(a.map((row) => row.reduce((s, aij, j) => s + aij * v[j]!, 0)));
    const expected = denseSolve(a, Array.from(b));
    const x = conjugateGradient(product, b, n);
    expected.forEach((e, i) => assert.ok(Math.abs(x[i]! - e) < 1e-8 * (1 + Math.abs(e)), `x[${i}] = ${x[i]} vs dense ${e}`));
    const early = conjugateGradient(product, b, 2);
    assert.ok(expected.some((e, i) => Math.abs(early[i]! - e) > 1e-4), 'two CG iterations already match: the check could not see a wrong solve');
  });
});

/** Fixed episodes of a task: random observations, actions and advantages, equal weights. */
function fakeEpisodes(e: Engine, n: number, obsDim: number, actionDim: number, seed: number): EpisodeTensors {
  return {
    obs: e.tensor(values(n * obsDim, seed), [n, obsDim]),
    actions: e.tensor(values(n * actionDim, seed + 1), [n, actionDim]),
    weightedAdvantages: e.tensor(values(n, seed + 2).map((a) => a / n), [n, 1]),
    weights: e.tensor(new Array<number>(n).fill(1 / n), [n, 1]),
  };
}

describe('Fisher-vector product', () => {
  it('equals the closed-form Fisher of a linear Gaussian policy (float64, js)', () => {
    const e = e64(), n = 5, obsDim = 3, actionDim = 2;
    const policy = new NormalMlpPolicy(e, new Xoshiro128Rng(2), obsDim, actionDim, []);
    const linear = policy.net.layers[0] as Linear;
    const [W, bias, logStd] = [linear.W, linear.b!, policy.logStd];
    // Where each parameter starts in the flat vector (parameters() order).
    const start = new Map<Tensor, number>();
    policy.parameters().reduce((at, p) => { start.set(p, at); return at + p.size; }, 0);
    const sigma2 = [0.3, -0.2].map((l) => Math.exp(2 * l));
    e.write(logStd, [0.3, -0.2]);
    const obs = values(n * obsDim, 9);
    // W is [in, out]. Closed form (the KL is averaged over action dimensions): F = mean_s J_μᵀ Σ⁻¹ J_μ / d_a ⊕ (2 / d_a)·I for the log-std.
    const P = W.size + bias.size + logStd.size;
    const fisher = Array.from({ length: P }, () => new Array<number>(P).fill(0));
    const muIndex = (o: number): number[] => [...Array.from({ length: obsDim }, (_, i) => start.get(W)! + i * actionDim + o), start.get(bias)! + o];
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < actionDim; o++) {
        const jac = [...obs.slice(r * obsDim, (r + 1) * obsDim), 1];
        const idx = muIndex(o);
        idx.forEach((p, a) => idx.forEach((q, c) => { fisher[p]![q]! += jac[a]! * jac[c]! / sigma2[o]! / n / actionDim; }));
      }
    }
    for (let o = 0; o < actionDim; o++) fisher[start.get(logStd)! + o]![start.get(logStd)! + o] = 2 / actionDim;
    e.scope(() => {
      // With the inner step reduced to nothing (fast lr ~0), the outer KL is the KL of π_θ itself.
      const task: MamlTask = { taskVector: e.tensor([0], [1, 1]), train: fakeEpisodes(e, n, obsDim, actionDim, 20), valid: { ...fakeEpisodes(e, n, obsDim, actionDim, 30), obs: e.tensor(obs, [n, obsDim]) } };
      const params = policy.parameters();
      const { kl } = outerObjective(policy, [task], 1e-300, 'first', null);
      const klGrads = e.grad(kl, params, { createGraph: true });
      for (let k = 0; k < P; k++) {
        const basis = new Float64Array(P); basis[k] = 1;
        const column = fisherVectorProduct(e, params, klGrads, basis, 0);
        for (let p = 0; p < P; p++) assert.ok(Math.abs(column[p]! - fisher[p]![k]!) < 1e-9, `F[${p}][${k}]: product ${column[p]} vs closed form ${fisher[p]![k]}`);
      }
    });
  });
});

describe('second-order meta-gradient', () => {
  it('matches float64 central differences of the surrogate, and differs from the first-order one', () => {
    const e = e64(), obsDim = 2, actionDim = 2, fastLr = 0.5;
    const policy = new NormalMlpPolicy(e, new Xoshiro128Rng(5), obsDim, actionDim, [4]);
    const params = policy.parameters();
    e.scope(() => {
      const task: MamlTask = { taskVector: e.tensor([0], [1, 1]), train: fakeEpisodes(e, 6, obsDim, actionDim, 40), valid: fakeEpisodes(e, 6, obsDim, actionDim, 50) };
      // The old policy held fixed at θ₀ (as constants), so the surrogate is a function of θ alone.
      const o = e.scope(() => outerObjective(policy, [task], fastLr, 'second', null).old[0]!);
      const old: OldPolicy[] = [{ logProb: e.tensor(o.logProb.toArray(), o.logProb.shape), mean: e.tensor(o.mean.toArray(), o.mean.shape), logStd: e.tensor(o.logStd.toArray(), o.logStd.shape) }];
      const gradient = (order: 'first' | 'second'): number[][] => e.scope(() => e.grad(outerObjective(policy, [task], fastLr, order, old).loss, params).map((g) => g.toArray()));
      const second = gradient('second'), first = gradient('first');
      const lossAt = (): number => e.scope(() => outerObjective(policy, [task], fastLr, 'second', old).loss.item());
      const numeric = parameterCentralDifferences(e, params, lossAt);
      let firstOrderGap = 0;
      numeric.forEach((column, k) => column.forEach((n, j) => {
        assert.ok(Math.abs(second[k]![j]! - n) <= 1e-6 * (1 + Math.abs(n)), `∂L/∂θ${k}[${j}]: analytic ${second[k]![j]} vs numeric ${n}`);
        firstOrderGap = Math.max(firstOrderGap, Math.abs(first[k]![j]! - n));
      }));
      assert.ok(firstOrderGap > 1e-3, `first-order gradient within ${firstOrderGap} of the meta-gradient: the check could not see a missing second-order term`);
    });
  });
});

describe("the TRPO step one task at a time (outerPass 'per-task')", () => {
  /** A TRPO step on 6 fixed tasks from a fresh engine: the result, the parameters after it, and the arena's peak growth in the step. */
  const step = (policyKind: 'mlp' | 'hyper', order: MamlOrder, outerPass: MamlOuterPass, engine: () => Engine) => {
    const e = engine(), obsDim = 4, actionDim = 2, taskDim = 2;
    const policy = makeMamlPolicy(e, new Xoshiro128Rng(11), { policy: policyKind, hidden: [32, 32], hyperPreset: 'compact' }, obsDim, actionDim, taskDim);
    const config = { ...defaults(MAML_SCHEMA), policy: policyKind, order, outerPass };
    return e.scope(() => {
      const tasks: MamlTask[] = Array.from({ length: 6 }, (_, i) => ({
        taskVector: e.tensor(values(taskDim, 100 + i), [1, taskDim]), train: fakeEpisodes(e, 40, obsDim, actionDim, 200 + 10 * i), valid: fakeEpisodes(e, 40, obsDim, actionDim, 300 + 10 * i),
      }));
      const before = e.backend.arena.getStats().reserved;
      const result = trpoStep(policy, tasks, config, policyKind === 'hyper' ? 1e-3 : 0.1);
      return { result, params: policy.parameters().map((p) => p.toArray()), peak: e.backend.arena.getStats().reserved - before };
    });
  };
  const native = (): Engine => new Engine(defaultBackend());
  for (const policyKind of ['mlp', 'hyper'] as const) {
    it(`${policyKind}, first order: the same step bit for bit as 'batch' (float32 and float64 arenas), in less memory`, () => {
      for (const engine of [native, e64]) {
        const batch = step(policyKind, 'first', 'batch', engine), perTask = step(policyKind, 'first', 'per-task', engine);
        assert.ok(batch.result.lossAfter < batch.result.lossBefore, `the batch step did not improve the surrogate (${JSON.stringify(batch.result)}): the comparison would be of no step`);
        assert.deepEqual(perTask.result, batch.result);
        assert.deepEqual(perTask.params, batch.params, 'parameters after the step differ');
        if (engine === native) assert.ok(perTask.peak < 0.5 * batch.peak, `per-task arena peak ${perTask.peak} vs batch ${batch.peak} elements: not one task's graph at a time`);
      }
    });
  }
  it('second order: the same step up to rounding (the sums of a parameter\'s contributions are in another order)', () => {
    const batch = step('mlp', 'second', 'batch', e64), perTask = step('mlp', 'second', 'per-task', e64);
    assert.equal(perTask.result.backtracks, batch.result.backtracks);
    for (const k of ['lossBefore', 'lossAfter', 'kl'] as const) assert.ok(Math.abs(perTask.result[k] - batch.result[k]) <= 1e-9 * Math.abs(batch.result[k]) + 1e-15, `${k}: ${perTask.result[k]} vs ${batch.result[k]}`);
    batch.params.forEach((p, k) => p.forEach((v, j) => assert.ok(Math.abs(perTask.params[k]![j]! - v) <= 1e-9 * (1 + Math.abs(v)), `θ${k}[${j}]: ${perTask.params[k]![j]} vs ${v}`)));
  });
});

describe('MAML policies for rollouts', () => {
  for (const policy of ['mlp', 'context', 'hyper'] as const) {
    it(`${policy}: forTask (the task's part computed once, as rollouts use it) gives forward's values bit for bit, also under withParameters`, () => {
      const e = new Engine(defaultBackend());
      const p = makeMamlPolicy(e, new Xoshiro128Rng(3), { policy, hidden: [16, 16], hyperPreset: 'compact' }, 5, 2, 3);
      e.scope(() => e.noGrad(() => {
        const task = e.tensor(values(3, 8), [1, 3]), obs = e.tensor(values(4 * 5, 9), [4, 5]);
        const shifted = p.parameters().map((t, i) => e.tensor(t.toArray().map((v, k) => v + 0.01 * Math.sin(i + k)), t.shape));
        for (const params of [null, shifted]) {
          const run = <T>(fn: () => T): T => (params === null ? fn() : p.withParameters(params, fn));
          const direct = run(() => p.forward(obs, task)), once = run(() => p.forTask(task)(obs));
          assert.deepEqual(once.mean.toArray(), direct.mean.toArray(), 'means differ');
          assert.deepEqual(once.logStd.toArray(), direct.logStd.toArray(), 'log-stds differ');
        }
        // The substituted parameters are used: the check above compares two different policies.
        assert.notDeepEqual(p.withParameters(shifted, () => p.forward(obs, task)).mean.toArray(), p.forward(obs, task).mean.toArray());
      }));
    });
  }
});

describe('MAML on Navigation2D-v0', () => {
  it('raises the post-adaptation return on unseen tasks within 16 meta-updates (MLP, first order, seed 1)', () => {
    const config = { ...defaults(MAML_SCHEMA), policy: 'mlp' as const, metaBatchSize: 10, fastBatchSize: 10, numTrainTasks: 50, numTestTasks: 20 };
    const numBatches = 16;
    const learner = new MamlLearner(new Engine(defaultBackend()), 'Navigation2D-v0', config, 1);
    const returns = (): { pre: number; post: number } => {
      const r = learner.adaptationReturns(learner.testTasks, new Xoshiro128Rng(7));
      return { pre: average(r.pre), post: average(r.post) };
    };
    try {
      const before = returns();
      for (let b = 0; b < numBatches; b++) learner.metaUpdate(b);
      const after = returns();
      assert.ok(after.post > before.post + 15, `post-adaptation return ${before.post.toFixed(1)} → ${after.post.toFixed(1)}: less than +15 after ${numBatches} meta-updates`);
      assert.ok(after.post > after.pre, `after training, one inner step does not help: pre ${after.pre.toFixed(1)}, post ${after.post.toFixed(1)}`);
    } finally {
      learner.close();
    }
  });
});
