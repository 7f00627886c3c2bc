import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { gaussianKl, klToPreviousPosterior, VaribadVae, type TrialBatch, type VaribadVaeOptions } from '../../src/nn/varibad-vae.js';
import type { Engine } from '../../src/tensor/engine.js';
import { sum } from '../../src/tensor/ops/elementwise.js';
import { slice } from '../../src/tensor/ops/shape.js';
import { engine64 } from '../helpers/gradcheck.js';

const close = (got: number, want: number, what: string, tol = 1e-9): void => assert.ok(Math.abs(got - want) <= tol, `${what}: ${got}, expected ${want}`);

test('gaussianKl matches the closed form on hand-computed cases', () => {
  const e = engine64();
  e.scope(() => {
    // KL(N([1, 0], diag[1, 2]) ‖ N(0, I)) = ½[(0 − 0 − 1 + 1 + 1) + (0 − ln 2 − 1 + 2 + 0)] = 1 − ln2/2.
    const a = gaussianKl(e.tensor([1, 0], [1, 2]), e.tensor([0, Math.log(2)], [1, 2]), e.tensor([0, 0], [1, 2]), e.tensor([0, 0], [1, 2]));
    close(a.item(), 1 - Math.log(2) / 2, 'KL to N(0, I)');
    // KL(N(0.5, 1) ‖ N(0, 4)) = ½(ln 4 − 0 − 1 + 1/4 + 0.25/4).
    const b = gaussianKl(e.tensor([0.5], [1, 1]), e.tensor([0], [1, 1]), e.tensor([0], [1, 1]), e.tensor([Math.log(4)], [1, 1]));
    close(b.item(), 0.5 * (Math.log(4) - 1 + 0.25 + 0.0625), 'KL to N(0, 4)');
  });
});

test('klToPreviousPosterior: the first belief against N(0, I), each later one against the one before', () => {
  const e = engine64();
  e.scope(() => {
    const kl = klToPreviousPosterior(e.tensor([1, 1.5], [2, 1, 1]), e.tensor([0, Math.log(0.5)], [2, 1, 1])).toArray();
    assert.equal(kl.length, 2);
    close(kl[0]!, 0.5, 'KL(N(1, 1) ‖ N(0, 1))');
    close(kl[1]!, 0.5 * (Math.log(2) - 1 + 0.5 + 0.25), 'KL(N(1.5, 0.5) ‖ N(1, 1))');
  });
});

/** A tiny VAE and a fixed batch of T = 3 steps × B = 2 trials (seed 5; with the previous state, 7: at 5 every ReLU of the tiny reward decoder starts dead). */
function tiny(e: Engine, decodeState: boolean, options: Partial<VaribadVaeOptions> = {}): { vae: VaribadVae; batch: TrialBatch } {
  const rng = new Xoshiro128Rng(options.rewardDecoderUsesPrevState === true ? 7 : 5);
  const vae = new VaribadVae(e, rng, { stateDim: 3, actionDim: 2, latentDim: 2, hiddenSize: 4, stateEmbedDim: 3, actionEmbedDim: 2, rewardEmbedDim: 2, decoderLayers: [5, 4], decodeState, rewardDecoderUsesAction: true, ...options });
  const vals = (n: number): number[] => Array.from({ length: n }, () => rng.uniform(-1, 1));
  return { vae, batch: { obs: e.persistent([4, 2, 3], vals(4 * 2 * 3)), actions: e.persistent([3, 2, 2], vals(3 * 2 * 2)), rewards: e.persistent([3, 2, 1], vals(3 * 2)) } };
}

test('VaribadVae.loss: reward NLL sums every belief × every transition, KL sums the beliefs, both averaged over trials', () => {
  const e = engine64();
  const { vae, batch } = tiny(e, false);
  e.scope(() => {
    const noise = e.tensor(new Float64Array(4 * 2 * 2), [4, 2, 2]);   // ε = 0: z_j = mean_j
    const w = { klWeight: 0.1, rewardLossCoeff: 1, stateLossCoeff: 1 };
    const loss = vae.loss(batch, noise, w);
    const { means, logvars } = vae.encoder.forward(batch.actions, slice(batch.obs, 0, 1, 4), batch.rewards, e.tensor(new Float64Array(8), [2, 4]));
    const m = means.toArray(), r = batch.rewards.toArray(), s = batch.obs.toArray(), a = batch.actions.toArray();
    let reward = 0;
    for (let j = 0; j <= 3; j++) {
      for (let t = 0; t < 3; t++) {
        for (let b = 0; b < 2; b++) {
          const pred = vae.rewardDecoder.forward(e.tensor(m.slice((j * 2 + b) * 2, (j * 2 + b + 1) * 2), [1, 2]),
            e.tensor(s.slice(((t + 1) * 2 + b) * 3, ((t + 1) * 2 + b + 1) * 3), [1, 3]), e.tensor(a.slice((t * 2 + b) * 2, (t * 2 + b + 1) * 2), [1, 2])).item();
          reward += (pred - r[t * 2 + b]!) ** 2;
        }
      }
    }
    close(loss.reward.item(), reward / 2, 'reward term', 1e-12);
    const kl = sum(klToPreviousPosterior(means, logvars)).item() / 2;
    close(loss.kl.item(), kl, 'KL term', 1e-12);
    close(loss.total.item(), reward / 2 + 0.1 * kl, 'total', 1e-12);
    assert.equal(loss.state, null);
    assert.ok(kl > 0 && reward > 0);
  });
});

for (const prevState of [false, true]) test(`VaribadVae.loss: gradients reach the encoder and both decoders (finite differences, float64)${prevState ? ', the reward decoder reading the previous state' : ''}`, () => {
  const e = engine64();
  const { vae, batch } = tiny(e, true, { rewardDecoderUsesPrevState: prevState });
  const w = { klWeight: 0.1, rewardLossCoeff: 1, stateLossCoeff: 0.5 };
  const noiseRng = new Xoshiro128Rng(9);
  const noiseValues = Array.from({ length: 4 * 2 * 2 }, () => noiseRng.normal());
  const evaluate = (): number => e.scope(() => vae.loss(batch, e.tensor(noiseValues, [4, 2, 2]), w).total.item());
  const named = vae.namedParameters();
  const analytic = e.scope(() => e.grad(vae.loss(batch, e.tensor(noiseValues, [4, 2, 2]), w).total, named.map(([, p]) => p)).map((g) => g.toArray()));
  const data = e.backend.arena.data;
  const h = 1e-6;
  let checked = 0;
  named.forEach(([name, p], i) => {
    for (const j of [0, Math.floor(p.size / 2), p.size - 1]) {
      const save = data[p.offset + j]!;
      data[p.offset + j] = save + h; const up = evaluate();
      data[p.offset + j] = save - h; const down = evaluate();
      data[p.offset + j] = save;
      const numeric = (up - down) / (2 * h), got = analytic[i]![j]!;
      assert.ok(Math.abs(got - numeric) <= 1e-6 * (1 + Math.abs(numeric)), `∂L/∂${name}[${j}]: analytic ${got} vs numeric ${numeric}`);
      checked++;
    }
  });
  for (const prefix of ['encoder.gru.', 'encoder.meanHead.', 'encoder.logvarHead.', 'rewardDecoder.net.', 'stateDecoder.net.']) {
    const i = named.findIndex(([n]) => n.startsWith(prefix));
    assert.ok(i >= 0 && analytic[i]!.some((g) => g !== 0), `a nonzero gradient reaches ${prefix}`);
  }
  assert.ok(checked >= 3 * named.length);
});

/** Rows of every (term, trial) / (term, transition, trial) in the ElboSubsample layout: the full ELBO spelled out. */
function everyTerm(T: number, B: number): { elbos: Int32Array; decodes: Int32Array } {
  const elbos = new Int32Array((T + 1) * B), decodes = new Int32Array((T + 1) * T * B);
  for (let j = 0; j <= T; j++) for (let b = 0; b < B; b++) elbos[j * B + b] = j * B + b;
  for (let j = 0; j <= T; j++) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) decodes[(j * T + t) * B + b] = t * B + b;
  return { elbos, decodes };
}

test('VaribadVae.loss subsampled: a subsample listing every ELBO term and decode target is the full loss, gradients included', () => {
  const e = engine64();
  const { vae, batch } = tiny(e, true);
  const w = { klWeight: 0.1, rewardLossCoeff: 1, stateLossCoeff: 0.5 };
  const noiseRng = new Xoshiro128Rng(3);
  const noise = Array.from({ length: 4 * 2 * 2 }, () => noiseRng.normal());
  const params = vae.parameters();
  const run = (subsample?: Parameters<VaribadVae['loss']>[3]) => e.scope(() => {
    const loss = vae.loss(batch, e.tensor(noise, [4, 2, 2]), w, subsample);
    return { terms: [loss.total.item(), loss.reward.item(), loss.state!.item(), loss.kl.item()], grads: e.grad(loss.total, params).map((g) => g.toArray()) };
  });
  const full = run(), all = everyTerm(3, 2);
  for (const subsample of [all, { elbos: all.elbos, decodes: null }, { elbos: null, decodes: all.decodes }]) {
    const got = run(subsample);
    got.terms.forEach((x, k) => close(x, full.terms[k]!, `loss term ${k}`, 1e-12));
    got.grads.forEach((g, i) => g.forEach((x, k) => close(x, full.grads[i]![k]!, `∂L/∂param ${i}[${k}]`, 1e-12)));
  }
  // A subsample of one term per trial: belief 2 of trial 0 and belief 0 (the prior) of trial 1, decoding transitions 1 and 0.
  const one = run({ elbos: Int32Array.from([2 * 2 + 0, 0 * 2 + 1]), decodes: Int32Array.from([1 * 2 + 0, 0 * 2 + 1]) });
  assert.ok(one.terms[1]! < full.terms[1]! && one.terms[3]! < full.terms[3]!, 'fewer terms, smaller sums');
  assert.throws(() => run({ elbos: Int32Array.from([0, 1, 2]), decodes: null }), /whole terms of 2 trials/);
  assert.throws(() => run({ elbos: Int32Array.from([8, 1]), decodes: null }), /outside \[0, 8\)/);
});

test('VaribadVae.loss subsampled at random: rescaled by (T + 1)·T / (E·D) and (T + 1) / E, an unbiased estimate of the full ELBO terms', () => {
  const e = engine64();
  const { vae, batch } = tiny(e, true);
  const w = { klWeight: 1, rewardLossCoeff: 1, stateLossCoeff: 1 };
  const noise = new Float64Array(4 * 2 * 2); // ε = 0: the terms differ only by which are chosen
  const T = 3, B = 2, E = 2, D = 2, draws = 3000;
  const terms = (subsample?: Parameters<VaribadVae['loss']>[3]): number[] => e.scope(() => {
    const l = vae.loss(batch, e.tensor(noise, [4, 2, 2]), w, subsample);
    return [l.reward.item(), l.state!.item(), l.kl.item()];
  });
  const full = terms();
  const rng = new Xoshiro128Rng(17);
  const elbos = new Int32Array(E * B), decodes = new Int32Array(E * D * B);
  const mean = [0, 0, 0], sq = [0, 0, 0];
  for (let n = 0; n < draws; n++) {
    for (let k = 0; k < elbos.length; k++) elbos[k] = Math.floor(rng.uniform() * (T + 1)) * B + (k % B);
    for (let k = 0; k < decodes.length; k++) decodes[k] = Math.floor(rng.uniform() * T) * B + (k % B);
    const got = terms({ elbos, decodes });
    const scaled = [got[0]! * ((T + 1) * T) / (E * D), got[1]! * ((T + 1) * T) / (E * D), got[2]! * (T + 1) / E];
    scaled.forEach((x, k) => { mean[k] = mean[k]! + x / draws; sq[k] = sq[k]! + (x * x) / draws; });
  }
  ['reward', 'state', 'KL'].forEach((name, k) => {
    const stderr = Math.sqrt((sq[k]! - mean[k]! ** 2) / draws);
    assert.ok(stderr > 0, `${name}: the subsample changes the estimate`);
    assert.ok(Math.abs(mean[k]! - full[k]!) < 4 * stderr, `${name}: mean of ${draws} rescaled subsampled terms ${mean[k]} vs the full ${full[k]} (standard error ${stderr})`);
  });
});

test('the reward decoder with input_action and input_prev_state (the reference MuJoCo configs): each transition decoded from (z, s\', a, s)', () => {
  const e = engine64();
  const { vae, batch } = tiny(e, false, { rewardDecoderUsesPrevState: true });
  // Input: z (2) + embed(s') (3) + embed(a) (2) + embed(s) (3), s and s' through one embedding.
  assert.equal(vae.rewardDecoder.net.parameters()[0]!.size, 10 * 5);
  assert.equal(vae.namedParameters().filter(([n]) => n.startsWith('rewardDecoder.stateEmbed')).length, 2, 'one state embedding (weight, bias)');
  e.scope(() => {
    const loss = vae.loss(batch, e.tensor(new Float64Array(4 * 2 * 2), [4, 2, 2]), { klWeight: 0.1, rewardLossCoeff: 1, stateLossCoeff: 1 });
    const { means } = vae.encoder.forward(batch.actions, slice(batch.obs, 0, 1, 4), batch.rewards, e.tensor(new Float64Array(8), [2, 4]));
    const m = means.toArray(), r = batch.rewards.toArray(), s = batch.obs.toArray(), a = batch.actions.toArray();
    const row = (data: number[], i: number, width: number) => e.tensor(data.slice(i * width, (i + 1) * width), [1, width]);
    let reward = 0, withNextAsPrev = 0;
    for (let j = 0; j <= 3; j++) for (let t = 0; t < 3; t++) for (let b = 0; b < 2; b++) {
      const z = row(m, j * 2 + b, 2), next = row(s, (t + 1) * 2 + b, 3), action = row(a, t * 2 + b, 2);
      reward += (vae.rewardDecoder.forward(z, next, action, row(s, t * 2 + b, 3)).item() - r[t * 2 + b]!) ** 2;
      withNextAsPrev += (vae.rewardDecoder.forward(z, next, action, next).item() - r[t * 2 + b]!) ** 2;
    }
    close(loss.reward.item(), reward / 2, 'reward term', 1e-12);
    assert.ok(Math.abs(withNextAsPrev - reward) > 1e-6, 'the previous state changes the prediction');
    assert.throws(() => vae.rewardDecoder.forward(row(m, 0, 2), row(s, 1, 3), row(a, 0, 2)), /RewardDecoder: built to read the previous state \(input_prev_state\), but forward got none/);
  });
});

test('klOverTrials sum (lmzintgraf/varibad compute_loss): the KL term is B × the mean over trials, the reconstruction terms unchanged; jacooba-hyper: every trial at every drawn belief', () => {
  const e = engine64();
  const { vae, batch } = tiny(e, true);
  e.scope(() => {
    const noise = e.tensor(new Float64Array(4 * 2 * 2), [4, 2, 2]);
    const w = { klWeight: 0.1, rewardLossCoeff: 1, stateLossCoeff: 1 };
    const mean = vae.loss(batch, noise, w), summed = vae.loss(batch, noise, { ...w, klOverTrials: 'sum' });
    close(summed.kl.item(), 2 * mean.kl.item(), 'KL summed over B = 2 trials', 1e-12);
    close(summed.reward.item(), mean.reward.item(), 'reward term', 0);
    close(summed.state!.item(), mean.state!.item(), 'state term', 0);
    close(summed.total.item(), mean.total.item() + 0.1 * mean.kl.item(), 'total', 1e-12);
    // jacooba/hyper: without subsampling as 'sum'.
    close(vae.loss(batch, noise, { ...w, klOverTrials: 'jacooba-hyper' }).kl.item(), summed.kl.item(), 'jacooba-hyper, every term', 0);
    // With E = 2 terms for B = 2 trials drawn at beliefs 3, 1 (trial 0) and 0, 3 (trial 1): lmzintgraf pairs each draw with its trial,
    // jacooba/hyper adds each drawn belief's KL of both trials.
    const { means, logvars } = vae.encoder.forward(batch.actions, slice(batch.obs, 0, 1, 4), batch.rewards, e.tensor(new Float64Array(8), [2, 4]));
    const kl = klToPreviousPosterior(means, logvars).toArray(), at = (j: number, b: number): number => kl[j * 2 + b]!;
    const elbos = Int32Array.from([3 * 2 + 0, 0 * 2 + 1, 1 * 2 + 0, 3 * 2 + 1]);
    const drawn = (klOverTrials: 'sum' | 'jacooba-hyper') => vae.loss(batch, noise, { ...w, klOverTrials }, { elbos, decodes: null }).kl.item();
    close(drawn('sum'), at(3, 0) + at(0, 1) + at(1, 0) + at(3, 1), 'lmzintgraf/varibad, subsampled', 1e-12);
    const both = (j: number): number => at(j, 0) + at(j, 1);
    close(drawn('jacooba-hyper'), both(3) + both(0) + both(1) + both(3), 'jacooba/hyper, subsampled', 1e-12);
  });
});
