import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../../src/core/random.js';
import { HalfCheetahDirEnv, loadMujoco } from '../../../src/envs/index.js';
import { RecurrentTaskEncoder, VaeTrainer, VaribadBelief } from '../../../src/algos/varibad/task-inference.js';
import { VaribadVae } from '../../../src/nn/varibad-vae.js';
import { TrialBuffer } from '../../../src/replay/trial-buffer.js';
import { Engine } from '../../../src/tensor/engine.js';
import { createBackend } from '../../../src/tensor/backends/index.js';
import { concat, reshape, slice } from '../../../src/tensor/ops/shape.js';
import { sum } from '../../../src/tensor/ops/elementwise.js';

const makeEngine = (): Engine => {
  try { return new Engine(createBackend('native')); } catch { return new Engine(createBackend('js')); }
};

/** Random-policy HalfCheetah-Dir trials of T steps, time-major per trial (one env). */
function collect(env: HalfCheetahDirEnv, direction: 1 | -1, T: number, seed: number, rng: Xoshiro128Rng): { obs: number[]; actions: number[]; rewards: number[] } {
  const obs: number[] = [], actions: number[] = [], rewards: number[] = [];
  obs.push(...env.reset({ seed, options: { task: { direction } } }).obs);
  for (let t = 0; t < T; t++) {
    const a = Array.from({ length: 6 }, () => rng.uniform(-1, 1));
    const r = env.step(a);
    actions.push(...a); rewards.push(r.reward); obs.push(...r.obs);
  }
  return { obs, actions, rewards };
}

// Subsampled: 10 of the 41 ELBO terms per trial, each decoding 10 of the 40 transitions (1/16 of the decoder rows).
for (const [label, subsample] of [['every ELBO term', {}], ['subsampled ELBO', { subsampleElbos: 10, subsampleDecodes: 10 }]] as const) {
test(`VariBAD VAE infers the HalfCheetah-Dir direction from random-policy trials (${label})`, async (t) => {
  await loadMujoco();
  const env = new HalfCheetahDirEnv();
  const T = 40, S = env.reset({ seed: 0 }).obs.length, A = 6;
  const rng = new Xoshiro128Rng(3);
  const buffer = new TrialBuffer(64, T, S, A, 8);
  for (let i = 0; i < 48; i++) {
    const trial = collect(env, i % 2 === 0 ? 1 : -1, T, 100 + i, rng);
    buffer.addTrial(trial.obs, trial.actions, trial.rewards, 0, 1);
  }
  const e = makeEngine();
  const vae = new VaribadVae(e, new Xoshiro128Rng(4), { stateDim: S, actionDim: A, hiddenSize: 64 });
  const trainer = new VaeTrainer(e, vae, buffer, { klWeight: 0.1, rewardLossCoeff: 1, stateLossCoeff: 1 }, subsample);
  for (let k = 0; k < 300; k++) trainer.update(rng);

  // Held-out trials: decode every transition from the prior (j = 0) and from the last belief (j = T).
  const held = [1, -1, 1, -1, 1, -1, 1, -1].map((d, i) => ({ d, ...collect(env, d as 1 | -1, T, 900 + i, rng) }));
  const mse = { prior: 0, posterior: 0 };
  const finalMeans: { d: number; m: number[] }[] = [];
  for (const trial of held) {
    e.scope(() => e.noGrad(() => {
      const obs = e.tensor(trial.obs, [T + 1, 1, S]);
      const { means } = vae.encoder.forward(e.tensor(trial.actions, [T, 1, A]), slice(obs, 0, 1, T + 1), e.tensor(trial.rewards, [T, 1, 1]), e.tensor(new Float32Array(64), [1, 64]));
      const next = reshape(slice(obs, 0, 1, T + 1), [T, S]), actions = e.tensor(trial.actions, [T, A]);
      for (const [key, j] of [['prior', 0], ['posterior', T]] as const) {
        const z = concat(Array.from({ length: T }, () => reshape(slice(means, 0, j, j + 1), [1, 5])), 0);
        const pred = vae.rewardDecoder.forward(z, next, actions).toArray();
        mse[key] += pred.reduce((s, p, t) => s + (p - trial.rewards[t]!) ** 2, 0) / T / held.length;
      }
      finalMeans.push({ d: trial.d, m: reshape(slice(means, 0, T, T + 1), [5]).toArray() });
    }));
  }
  assert.ok(mse.posterior < 0.5 * mse.prior, `after ${T} steps the reward error falls below half the prior's: ${mse.posterior} vs ${mse.prior}`);
  // Some latent dimension separates the directions by more than twice its within-direction spread.
  const separation = Math.max(...Array.from({ length: 5 }, (_, k) => {
    const vals = (d: number): number[] => finalMeans.filter((f) => f.d === d).map((f) => f.m[k]!);
    const avg = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
    const sd = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + (x - avg(v)) ** 2, 0) / v.length);
    return Math.abs(avg(vals(1)) - avg(vals(-1))) / (Math.max(sd(vals(1)), sd(vals(-1))) + 1e-6);
  }));
  t.diagnostic(`reward MSE prior ${mse.prior.toFixed(4)}, posterior ${mse.posterior.toFixed(4)}; latent separation ${separation.toFixed(2)}`);
  assert.ok(separation > 2, `a latent dimension separates the two directions (best separation ${separation})`);
});
}

test('VaeTrainer: each update decodes E·D rows per trial with subsampling, (T + 1)·T without, drawn from the generator it is given', () => {
  const e = makeEngine();
  const T = 5, B = 3, rng = new Xoshiro128Rng(2);
  const buffer = new TrialBuffer(8, T, 2, 1, B);
  for (let i = 0; i < 6; i++) {
    const vals = (n: number): number[] => Array.from({ length: n }, () => rng.uniform(-1, 1));
    buffer.addTrial(vals((T + 1) * 2), vals(T), vals(T), 0, 1);
  }
  const w = { klWeight: 0.1, rewardLossCoeff: 1, stateLossCoeff: 1 };
  const run = (options: { subsampleElbos?: number; subsampleDecodes?: number }, seed: number): { rows: number[]; losses: number[] } => {
    const vae = new VaribadVae(e, new Xoshiro128Rng(4), { stateDim: 2, actionDim: 1, hiddenSize: 8, latentDim: 2 });
    const rows: number[] = [];
    const forward = vae.rewardDecoder.forward.bind(vae.rewardDecoder);
    vae.rewardDecoder.forward = (z, s, a) => { rows.push(z.shape[0]!); return forward(z, s, a); };
    const trainer = new VaeTrainer(e, vae, buffer, w, options);
    const gen = new Xoshiro128Rng(seed);
    return { rows, losses: [0, 1, 2].map(() => trainer.update(gen).total) };
  };
  const full = run({}, 1), sub = run({ subsampleElbos: 4, subsampleDecodes: 2 }, 1);
  assert.deepEqual(full.rows, [90, 90, 90]);
  assert.deepEqual(sub.rows, [24, 24, 24]);
  assert.deepEqual(run({ subsampleElbos: 4 }, 1).rows, [60, 60, 60]);
  assert.deepEqual(run({ subsampleDecodes: 2 }, 1).rows, [36, 36, 36]);
  // Seeded: the same generator draws the same terms; another draws others.
  assert.deepEqual(run({ subsampleElbos: 4, subsampleDecodes: 2 }, 1).losses, sub.losses);
  assert.notDeepEqual(run({ subsampleElbos: 4, subsampleDecodes: 2 }, 7).losses, sub.losses);
  assert.throws(() => new VaeTrainer(e, new VaribadVae(e, rng, { stateDim: 2, actionDim: 1 }), buffer, w, { subsampleElbos: 1.5 }), /subsampleElbos must be a non-negative integer/);
});

test('VaribadBelief: prior at reset, per-env beliefs after a step, prior again where a trial ended', () => {
  const e = makeEngine();
  const vae = new VaribadVae(e, new Xoshiro128Rng(1), { stateDim: 3, actionDim: 2, hiddenSize: 8, latentDim: 2 });
  const belief = new VaribadBelief(e, vae, 2);
  const prior = Array.from(belief.raw);
  assert.deepEqual(prior.slice(0, 4), prior.slice(4, 8), 'both envs start at the prior');
  e.scope(() => belief.observe(e.tensor([0.5, -0.5, 1, 0], [2, 2]), e.tensor([0.1, 0.2, 0.3, -0.3, 0.2, 0.1], [2, 3]), e.tensor([1, -1], [2, 1]), [0, 1]));
  assert.notDeepEqual(Array.from(belief.raw.slice(0, 4)), prior.slice(0, 4), 'env 0 updated its belief');
  assert.deepEqual(Array.from(belief.raw.slice(4, 8)), prior.slice(4, 8), 'env 1 ended its trial: back to the prior');
  const normalised = new Float32Array(8);
  belief.normalize(belief.raw, normalised, 2);
  assert.ok(normalised.every(Number.isFinite));
});

test('RecurrentTaskEncoder: acting step by step equals the sequence pass, and the RL loss reaches the GRU', () => {
  const e = makeEngine();
  const enc = new RecurrentTaskEncoder(e, new Xoshiro128Rng(2), { stateDim: 3, actionDim: 2, hiddenSize: 8 });
  const rng = new Xoshiro128Rng(7);
  const T = 4, N = 2;
  const vals = (n: number): number[] => Array.from({ length: n }, () => rng.uniform(-1, 1));
  const obs = vals(T * N * 3), acts = vals(T * N * 2), rews = vals(T * N), dones = [0, 0, 0, 1, 0, 0, 1, 0];
  const resets = [0, 0, 0, 0, 0, 1, 0, 0];   // env 1 starts a new trial at step 2
  const h = e.persistent([N, 8]);
  const stepped: number[] = [];
  for (let t = 0; t < T; t++) {
    e.scope(() => {
      const row = (v: number[], d: number): ReturnType<typeof e.tensor> => e.tensor(v.slice(t * N * d, (t + 1) * N * d), [N, d]);
      enc.act(row(obs, 3), row(acts, 2), row(rews, 1), row(dones, 1), h, e.tensor(resets.slice(t * N, (t + 1) * N), [N]));
    });
    stepped.push(...e.scope(() => e.view(h, h.shape).toArray()));
  }
  e.scope(() => {
    const out = enc.sequence(e.tensor(obs, [T * N, 3]), e.tensor(acts, [T * N, 2]), e.tensor(rews, [T * N, 1]), e.tensor(dones, [T * N, 1]),
      e.tensor(new Float32Array(N * 8), [N, 8]), e.tensor(resets, [T, N]));
    const seq = out.toArray();
    seq.forEach((v, i) => assert.ok(Math.abs(v - stepped[i]!) < 1e-5, `row ${i}: sequence ${v} vs stepped ${stepped[i]}`));
    const [gWih] = e.grad(sum(out), [enc.gru.Wih, enc.stateEmbed.W]);
    assert.ok(gWih!.toArray().some((g) => g !== 0), 'the loss reaches the GRU');
  });
});
