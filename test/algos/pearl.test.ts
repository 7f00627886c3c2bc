/**
 * PEARL and Hyper-PEARL (src/algos/pearl.ts): the batched posteriors against one task at a
 * time, the KL term against its closed form, the hyper networks' sizes (spec A.6's parameter
 * counts) and head initialisation, the oracle path, one gradient step of every variant, and
 * meta-test learning on Navigation2D-v0.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/envs/index.js';
import { defaults } from '../../src/core/config.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { HyperPearlPolicy, MlpPearlPolicy, Pearl, PEARL_SCHEMA, type PearlConfig } from '../../src/algos/pearl.js';
import { ContextEncoder, klToStandardNormal } from '../../src/nn/context-encoder.js';
import { HyperCritic } from '../../src/nn/critics.js';
import { HYPE_RL_HEAD_SIGMA } from '../../src/nn/init.js';
import { createBackend, defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';

/** A PEARL small enough for a test: Navigation2D (obs 2, actions 2, goal 2). */
const tiny = (over: Partial<PearlConfig> = {}): PearlConfig => ({
  ...defaults(PEARL_SCHEMA), netSize: 32, encoderHidden: [32, 32], numTrainTasks: 6, numTestTasks: 3, metaBatch: 3, batchSize: 16,
  embeddingBatchSize: 8, numInitialSteps: 100, numTasksSample: 1, numStepsPrior: 50, numExtraRlStepsPosterior: 50,
  trainStepsPerIteration: 3, numStepsPerEval: 200, numExpTrajEval: 1, taskBufferSize: 1000, ...over,
});

describe('PEARL posteriors', () => {
  it('infers T tasks\' posteriors in one batch exactly as one task at a time, and sums their KL to N(0, I) in closed form', () => {
    const e = new Engine(createBackend('js'));
    const rng = new Xoshiro128Rng(3);
    const encoder = new ContextEncoder(e, rng, { inputDim: 5, latentDim: 3, hidden: [16] });
    const T = 4, N = 7;
    const rows = Array.from({ length: T * N * 5 }, () => rng.normal());
    e.scope(() => {
      const batched = encoder.posteriors(e.tensor(rows, [T * N, 5]), T);
      assert.deepEqual(batched.mean.shape, [T, 3]);
      const mean = batched.mean.toArray(), variance = batched.variance.toArray();
      let klSum = 0;
      for (let t = 0; t < T; t++) {
        const one = encoder.posterior(e.tensor(rows.slice(t * N * 5, (t + 1) * N * 5), [N, 5]));
        one.mean.toArray().forEach((m, l) => assert.ok(Math.abs(m - mean[t * 3 + l]!) < 1e-6, `task ${t} mean[${l}]`));
        one.variance.toArray().forEach((v, l) => {
          assert.ok(Math.abs(v - variance[t * 3 + l]!) < 1e-6 * v, `task ${t} variance[${l}]`);
          const mu = one.mean.toArray()[l]!;
          klSum += 0.5 * (v + mu * mu - 1 - Math.log(v));
        });
      }
      const kl = klToStandardNormal(batched).toArray().reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(kl - klSum) < 1e-5 * klSum, `KL ${kl} vs closed form ${klSum}`);
    });
  });
});

describe('Hyper-PEARL networks', () => {
  it('has spec A.6\'s parameter counts at the paper size (cheetah: obs 20, actions 6, z 5)', () => {
    const e = new Engine(defaultBackend());
    const rng = new Xoshiro128Rng(1);
    const q = new HyperCritic(e, rng, { stateDim: 20, actionDim: 6 + 5, preset: 'paper', initRule: 'td3', twin: false });
    const v = new HyperCritic(e, rng, { stateDim: 20, actionDim: 5, preset: 'paper', initRule: 'td3', twin: false });
    const policy = new HyperPearlPolicy(e, rng, 20, 5, 6, 'paper');
    // 256·d_s + 262,400·d_base + 6,958,594 (spec A.2) with base [a, z] and z; the policy: primary on z, heads 20 → 256 → [μ | log σ].
    assert.equal(q.parameterCount(), 9_850_114);
    assert.equal(v.parameterCount(), 8_275_714);
    assert.equal(policy.parameterCount(), 15_116_824);
  });

  it('initialises the policy\'s μ heads U(±0.008·s) and log-std heads U(±0.001·s), so log σ starts near 0', () => {
    const e = new Engine(createBackend('js'));
    const policy = new HyperPearlPolicy(e, new Xoshiro128Rng(2), 4, 5, 3, 'compact');
    const head = policy.hyper.heads[1]!;
    const hidden = policy.hyper.dynamicLayers[1]!.inputSize, P = head.outputSize, W = e.backend.arena.view(head.W.offset, head.W.size);
    // Columns [0, 6·hidden) generate the weights, row o of the (out, in) layout; then 6 biases and 6 gains.
    const maxAbs = (unit: (p: number) => number | null, want: number): number => {
      let m = 0;
      for (let k = 0; k < head.inputSize; k++) for (let p = 0; p < P; p++) if (unit(p) === want || (want === -1 && unit(p) !== null && unit(p)! >= 3)) m = Math.max(m, Math.abs(W[k * P + p]!));
      return m;
    };
    const unitOf = (p: number): number => (p < 6 * hidden ? Math.floor(p / hidden) : (p - 6 * hidden) % 6);
    const mu = Math.max(...[0, 1, 2].map((o) => maxAbs(unitOf, o))), logStd = maxAbs(unitOf, -1);
    const ratio = mu / logStd;
    assert.ok(Math.abs(ratio - HYPE_RL_HEAD_SIGMA.outputLayer / HYPE_RL_HEAD_SIGMA.pearlLogStd) < 0.2, `μ / log-std head bounds ${ratio}, expected 8`);
    assert.ok(e.backend.arena.view(head.b!.offset, head.b!.size).every((b) => b === 0), 'head biases are 0');
    e.scope(() => {
      const rng = new Xoshiro128Rng(4);
      const out = policy.forward(e.tensor(Array.from({ length: 10 * 4 }, () => rng.normal()), [10, 4]), e.tensor(Array.from({ length: 2 * 5 }, () => rng.normal()), [2, 5]), 5);
      assert.deepEqual(out.mean.shape, [10, 3]);
      assert.deepEqual(out.logStd.shape, [10, 3]);
      const rms = (xs: number[]): number => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
      assert.ok(rms(out.logStd.toArray()) < rms(out.mean.toArray()) / 4, 'log-std outputs start much smaller than the means');
    });
  });
});

describe('PEARL policies for rollouts', () => {
  it('forLatent (z\'s part computed once per trajectory) gives forward(obs, z, 1)\'s values bit for bit, MLP and hyper', () => {
    const e = new Engine(defaultBackend());
    const rng = new Xoshiro128Rng(4);
    for (const policy of [new MlpPearlPolicy(e, rng, 3, 5, 2, 16), new HyperPearlPolicy(e, rng, 3, 5, 2, 'compact')]) {
      e.scope(() => e.noGrad(() => {
        const z = e.tensor(Array.from({ length: 5 }, () => rng.normal()), [1, 5]);
        const act = policy.forLatent(z);
        for (let step = 0; step < 3; step++) {
          const obs = e.tensor(Array.from({ length: 3 }, () => rng.normal()), [1, 3]);
          const once = act(obs), direct = policy.forward(obs, z, 1);
          assert.deepEqual(once.mean.toArray(), direct.mean.toArray(), `${policy.constructor.name}: means differ at step ${step}`);
          assert.deepEqual(once.logStd.toArray(), direct.logStd.toArray(), `${policy.constructor.name}: log-stds differ at step ${step}`);
        }
      }));
    }
  });
});

describe('PEARL agent', () => {
  for (const variant of [{ critic: 'mlp', context: 'posterior' }, { critic: 'hyper', context: 'posterior' }, { critic: 'mlp', context: 'oracle' }, { critic: 'hyper', context: 'oracle' }] as const) {
    it(`${variant.critic} networks, ${variant.context} z: shapes, one iteration with finite losses, an evaluation per test task`, () => {
      const pearl = new Pearl(new Engine(createBackend('js')), 'Navigation2D-v0', tiny(variant), 5);
      try {
        const oracle = variant.context === 'oracle';
        assert.equal(pearl.zDim, oracle ? 2 : 5, 'z is the goal vector for the oracle, the latent otherwise');
        assert.equal('encoder' in pearl.modules(), !oracle);
        assert.equal('encoder' in pearl.optimizers(), !oracle);
        const m = pearl.iterate();
        for (const k of ['losses/qf_loss', 'losses/vf_loss', 'losses/policy_loss']) assert.ok(Number.isFinite(m[k]), `${k} = ${m[k]}`);
        assert.equal('losses/kl_divergence' in m, !oracle, 'a KL term exactly when there is an encoder');
        assert.equal(pearl.envSteps, 6 * 100 + 100, 'initial data on every task, then prior + posterior steps of one task');
        const ev = pearl.evaluate();
        assert.equal(ev.returns.length, 3);
        assert.ok(ev.returns.every(Number.isFinite) && Number.isFinite(ev.metrics['eval/prior_return']));
        // The same generator every evaluation: evaluating twice in a row scores the same.
        assert.deepEqual(pearl.evaluate().returns, ev.returns);
      } finally {
        pearl.close();
      }
    });
  }

});
