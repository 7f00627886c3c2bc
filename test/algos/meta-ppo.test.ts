/**
 * VariBAD, RL² and RNN+HN on PPO (src/algos/meta-ppo.ts): config and registry wiring,
 * shapes, the trials VariBAD's VAE learns from, learning on SignCue-v0 (a one-dimensional
 * HalfCheetah-Dir: a policy that ignores rewards averages 0, the best earns about 9) and a
 * bit-identical resume.
 */
import '../../src/envs/index.js';
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MetaPpo, type MetaPpoConfig } from '../../src/algos/meta-ppo.js';
import { algorithm } from '../../src/algos/registry.js';
import { ConfigError } from '../../src/core/config.js';
import { NAVIGATION_2D } from '../../src/envs/meta/index.js';
import { make } from '../../src/envs/registry.js';
import { readSafetensors } from '../../src/nn/safetensors.js';
import { SyncVectorEnv } from '../../src/envs/vector/sync.js';
import { Engine } from '../../src/tensor/engine.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { readMetricsRows as metricsRows } from '../../src/train/metrics.js';
import { train } from '../../src/train/run.js';
import { registerSignCue, SIGN_CUE_ID, SIGN_CUE_STEPS } from '../helpers/sign-cue.js';
import { countTypedArrayAllocations } from '../helpers/alloc.js';
import { checkpointFile, tempRuns } from '../helpers/train.js';

registerSignCue();

/** Small networks and rollouts of 4 SignCue trials (11 rows each with the autoreset row) per env. */
const SMALL = {
  env: SIGN_CUE_ID, numEnvs: 16, numSteps: 44, sequenceLength: 44, numMinibatches: 4, updateEpochs: 4, learningRate: 1e-3,
  policySize: 'XS', gruHidden: 32, embeddingDim: 8, vaeBufferTrials: 1000, vaePrecollectSteps: 0, evalEpisodes: 20,
};

const agentConfig = (algo: string, overrides: Record<string, unknown> = {}): MetaPpoConfig =>
  resolveTrainConfig({ algo, ...SMALL, ...overrides }).agent as MetaPpoConfig;

async function agentFor(algo: string, overrides: Record<string, unknown> = {}): Promise<MetaPpo> {
  const env = await make(SIGN_CUE_ID);
  return algorithm(algo).create(new Engine(defaultBackend()), env, agentConfig(algo, overrides) as never, 1) as unknown as MetaPpo;
}

it('resolves Beck et al.\'s HalfCheetah-Dir settings, and each method\'s policy default', () => {
  const { agent } = resolveTrainConfig({ algo: 'varibad', env: 'HalfCheetahDir-v0', policy: 'hyper', hyperInit: 'bias-hyperinit' });
  const want = { numEnvs: 16, numSteps: 400, learningRate: 7e-4, gamma: 0.97, gaeLambda: 0.9, clipCoef: 0.1, updateEpochs: 2, numMinibatches: 4, entCoef: 0.01,
    adamEps: 1e-8, annealLr: false, latentDim: 5, gruHidden: 256, klWeight: 0.1, vaeLr: 1e-3, vaeBufferTrials: 10_000, vaeBatchTrials: 10,
    vaePrecollectSteps: 5_000, policySize: 'XL', embeddingDim: 25, baseInit: 'normc', episodesPerTrial: 1, policy: 'hyper', hyperInit: 'bias-hyperinit',
    valueLoss: 'huber', clipVloss: true, vfCoef: 0.5, rewardDecoderAction: false, rewardDecoderPrevState: false, vaeKlOverTrials: 'mean' };
  for (const [k, v] of Object.entries(want)) assert.equal((agent as Record<string, unknown>)[k], v, k);
  assert.equal((resolveTrainConfig({ algo: 'ppo' }).agent as { valueLoss: string }).valueLoss, 'mse');
  assert.equal((resolveTrainConfig({ algo: 'rl2' }).agent as MetaPpoConfig).policy, 'standard');
  assert.equal((resolveTrainConfig({ algo: 'rnn-hn' }).agent as MetaPpoConfig).policy, 'hyper');
  const walker = resolveTrainConfig({ algo: 'varibad', preset: 'beck-walker' }).agent as MetaPpoConfig;
  assert.deepEqual([walker.episodesPerTrial, walker.latentDim, walker.decodeState, walker.klWeight, walker.clipCoef], [2, 10, true, 1, 0.05]);
  assert.throws(() => resolveTrainConfig({ algo: 'varibad', hyperInit: 'hfi' }), /hyperInit/);
});

it('trains on trials of test tasks for evaluation, with boundaries in the observation when k > 1', () => {
  const c = agentConfig('varibad', { episodesPerTrial: 2 });
  assert.deepEqual(algorithm('varibad').envOptions?.(c as never), {
    train: { episodes_per_trial: 2, episode_boundary_in_observation: true },
    evaluation: { episodes_per_trial: 2, episode_boundary_in_observation: true, task_split: 'test' },
  });
});

it('builds each method with its rollout rows, modules and policy kind', async () => {
  const varibad = await agentFor('varibad', { policy: 'hyper', hyperInit: 'hyperfan-in' });
  // obs (1) + belief (mean, logvar of 5).
  assert.equal(varibad.inputDim, 1 + 10);
  assert.equal(varibad.trialSteps, SIGN_CUE_STEPS);
  assert.deepEqual(Object.keys(varibad.modules()), ['agent', 'vae']);
  assert.equal(varibad.net.encoder, null);
  assert.equal(varibad.net.policy.describe().kind, 'hypernetwork (normc, hyperfan-in)');
  assert.equal(varibad.net.policy.conditioningDim, 10);

  const rl2 = await agentFor('rl2');
  // obs (1) + previous action (1), reward, trial-end flag.
  assert.equal(rl2.inputDim, 1 + 1 + 2);
  assert.deepEqual(Object.keys(rl2.modules()), ['agent']);
  assert.equal(rl2.net.policy.describe().kind, 'standard (normc)');
  assert.equal(rl2.net.policy.conditioningDim, 32);
  // The RL loss trains encoder and policy with one optimiser.
  assert.equal(rl2.params.length, rl2.net.encoder!.parameters().length + rl2.net.policy.parameters().length);

  // Today's reward decoder reads (z, s'); the reference's MuJoCo configs' (input_action, input_prev_state) also a and s.
  assert.equal(varibad.varibad!.vae.rewardDecoder.actionEmbed, null);
  assert.equal(varibad.varibad!.vae.rewardDecoder.usesPrevState, false);
  const reference = await agentFor('varibad', { rewardDecoderAction: true, rewardDecoderPrevState: true, vaeKlOverTrials: 'sum' });
  const decoder = reference.varibad!.vae.rewardDecoder;
  assert.ok(decoder.actionEmbed !== null && decoder.usesPrevState);
  // Input: z (5) + embed(s') (32) + embed(a) (16) + embed(s) (32).
  assert.equal(decoder.net.parameters()[0]!.size, (5 + 32 + 16 + 32) * 64);
  assert.equal(reference.varibad!.trainer.weights.klOverTrials, 'sum');
  assert.throws(() => resolveTrainConfig({ algo: 'varibad', vaeKlOverTrials: 'avg' }), /vaeKlOverTrials' must be one of mean, sum, jacooba-hyper/);

  const film = await agentFor('rnn-hn', { policy: 'film', hyperInit: 'bias-hyperinit' });
  assert.equal(film.net.policy.describe().kind, 'film (normc, bias-hyperinit)');
  await assert.rejects(agentFor('rnn-hn', { policy: 'film', hyperInit: 'hyperfan-in' }), (e: Error) => e instanceof ConfigError && /FiLM policy generates none/.test(e.message));
});

it('multi-hn: the hypernetwork policy is conditioned on the true task vector the env appends (Multi+HN, the upper bound)', async () => {
  const multi = algorithm('multi-hn');
  const options = multi.envOptions!(agentConfig('multi-hn') as never);
  assert.deepEqual(options.train, { episodes_per_trial: 1, episode_boundary_in_observation: false, task_in_observation: true });
  assert.deepEqual(options.evaluation, { ...options.train, task_split: 'test' });
  const c = agentConfig('multi-hn', { env: 'Navigation2D-v0', numEnvs: 3, numSteps: 10, numMinibatches: 1, embeddingDim: 4 });
  const agent = multi.create(new Engine(defaultBackend()), await make('Navigation2D-v0', options.evaluation), c as never, 1) as unknown as MetaPpo;
  // Observation: position (2) then the task vector (2); no conditioning columns of its own.
  assert.deepEqual([agent.inputDim, agent.stateDim, agent.net.policy.stateDim, agent.net.policy.conditioningDim], [4, 2, 2, 2]);
  assert.equal(agent.net.policy.describe().kind, 'hypernetwork (normc, bias-hyperinit)');
  assert.deepEqual(Object.keys(agent.modules()), ['agent']);
  const seen: { state: number[]; conditioning: number[] }[] = [];
  const forward = agent.net.policy.forward.bind(agent.net.policy);
  agent.net.policy.forward = (state, conditioning) => {
    seen.push({ state: state.toArray(), conditioning: conditioning.toArray() });
    return forward(state, conditioning);
  };
  const goals: [number, number][] = [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.45]];
  const vec = await SyncVectorEnv.create('Navigation2D-v0', 3, { envOptions: options.train });
  const { obs } = vec.reset({ seed: 1, optionsPerEnv: goals.map((goal) => ({ task: { goal } })) });
  agent.episodesRestarted();
  agent.collect(obs, new Float64Array(6));
  await vec.close();
  const want = goals.flatMap((goal) => Array.from(NAVIGATION_2D.taskVector({ goal })));
  assert.deepEqual(want.map((x) => x.toFixed(3)), ['0.200', '0.400', '-0.600', '0.800', '1.000', '-0.900']);
  seen[0]!.conditioning.forEach((x, k) => assert.ok(Math.abs(x - want[k]!) < 1e-6, `conditioning[${k}] ${x} vs the task vector's ${want[k]}`));
  assert.deepEqual(seen[0]!.state, [0, 0, 0, 0, 0, 0]);
  await assert.rejects(agentFor('multi-hn'), (e: Error) => e instanceof ConfigError && /multi-hn: the policy reads the true task, so the env must be a meta-RL task family: 'SignCue-v0' is not/.test(e.message));
});

it('varibad: complete trials of the env\'s own observations reach the trial buffer aligned (s_t, a_t, r_t), trials cut by a restart do not', async () => {
  const agent = await agentFor('varibad', { numEnvs: 3, numSteps: 25, numMinibatches: 1, normalizeObservation: false, normalizeReward: false });
  const vec = await SyncVectorEnv.create(SIGN_CUE_ID, 3, { envOptions: { episodes_per_trial: 1 } });
  let obs = vec.reset({ seed: 7 }).obs;
  agent.episodesRestarted();
  const actions = new Float64Array(3);
  // The policy is shown other observations than the env's (as normalised ones would be): the VAE keeps the env's own.
  const policyObs = (raw: ArrayLike<number>): Float64Array => Float64Array.from(raw, (x) => 5 * x - 3);
  // 25 steps: two trials of 10 steps (+ an autoreset row each) per env, then 3 steps of a third.
  for (let s = 0; s < 25; s++) {
    const shown = policyObs(obs);
    agent.collect(shown, actions, obs);
    for (let i = 0; i < 3; i++) assert.equal(agent.rollout.buffer.obs[(s * 3 + i) * agent.inputDim], Math.fround(shown[i]!), `rollout row ${s}, env ${i}: the policy's observation`);
    const r = vec.step(actions);
    agent.recordOutcome(r.rewards, r.terminations, r.truncations, r.rewards);
    obs = r.obs;
  }
  const trials = agent.varibad!.trials;
  const T = SIGN_CUE_STEPS;
  const checkAligned = (): void => {
    const s = trials.state();
    for (let k = 0; k < trials.size; k++) {
      // Observations are the time t / 10 from 0 to 1; each reward is ±(clipped action) with one sign per trial.
      for (let t = 0; t <= T; t++) assert.ok(Math.abs(s.obs[k * (T + 1) + t]! - t / T) < 1e-6, `trial ${k} obs ${t}: ${s.obs[k * (T + 1) + t]}`);
      const sign = Math.sign(s.rewards[k * T]! / s.actions[k * T]!);
      for (let t = 0; t < T; t++) assert.ok(Math.abs(s.rewards[k * T + t]! - sign * s.actions[k * T + t]!) < 1e-6, `trial ${k} step ${t}`);
    }
  };
  // The second trials end at step 21 and are stored at their autoreset rows (step 22).
  assert.equal(trials.size, 6);
  checkAligned();
  // A restart cuts the third trials after 3 steps; 12 steps later only the 3 trials begun at the restart are complete.
  agent.episodesRestarted();
  obs = vec.reset({ seed: 8 }).obs;
  agent.rollout.buffer.clear();
  for (let s = 0; s < 12; s++) {
    agent.collect(policyObs(obs), actions, obs);
    const r = vec.step(actions);
    agent.recordOutcome(r.rewards, r.terminations, r.truncations, r.rewards);
    obs = r.obs;
  }
  assert.equal(trials.size, 9);
  checkAligned();
  await vec.close();
});

it('varibad in the training loop: with normalizeObservation the trial buffer holds the env\'s own observations', async () => {
  const r = await train({ quiet: true, config: resolveTrainConfig({ algo: 'varibad', ...SMALL, numEnvs: 4, seed: 2, totalSteps: 352, evalEpisodes: 2, normalizeObservation: true,
    evalEvery: 1_000_000, checkpointEvery: 1_000_000, runsDir: tempRuns('raw-obs') }) });
  const saved = await readSafetensors(checkpointFile(r.runDir, 'agent.safetensors'));
  const obs = saved.tensors.obs!.data as Float32Array, T = SIGN_CUE_STEPS;
  // 2 rollouts × 4 envs × 4 complete trials of 10 steps.
  assert.equal(obs.length, 32 * (T + 1));
  for (let k = 0; k < 32; k++) for (let t = 0; t <= T; t++) assert.ok(Math.abs(obs[k * (T + 1) + t]! - t / T) < 1e-6, `trial ${k} obs ${t}: ${obs[k * (T + 1) + t]} (normalised?)`);
  // The policy's observations were normalised: mean ≈ 0.5, not 0.
  const meta = JSON.parse(readFileSync(checkpointFile(r.runDir, 'meta.json'), 'utf8')) as { obsNormalizer: { mean: number[] } };
  assert.ok(Math.abs(meta.obsNormalizer.mean[0]! - 0.5) < 0.05, `observation mean ${meta.obsNormalizer.mean[0]}`);
});

it('after the first rollout, rollouts and updates (VAE steps included) allocate no typed arrays', async () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['varibad', SIGN_CUE_ID, {}], ['varibad', SIGN_CUE_ID, { vaeSubsampleElbos: 4, vaeSubsampleDecodes: 3 }],
    // jacooba/hyper's HalfCheetah-Dir VAE (subsampled as there, but smaller).
    ['varibad', SIGN_CUE_ID, { rewardDecoderAction: true, rewardDecoderPrevState: true, vaeKlOverTrials: 'jacooba-hyper', vaeSubsampleElbos: 4, vaeSubsampleDecodes: 3 }], ['rl2', SIGN_CUE_ID, {}], ['rnn-hn', SIGN_CUE_ID, {}], ['multi-hn', 'Navigation2D-v0', {}],
  ];
  for (const [algo, env, overrides] of cases) {
    const a = algorithm(algo);
    const c = agentConfig(algo, { env, numEnvs: 4, vaeBatchTrials: 2, vaeBufferTrials: 50, ...overrides });
    const options = a.envOptions!(c as never);
    const agent = a.create(new Engine(defaultBackend()), await make(env, options.evaluation), c as never, 1) as unknown as MetaPpo;
    const vec = await SyncVectorEnv.create(env, 4, { envOptions: options.train });
    let obs = vec.reset({ seed: 1 }).obs;
    agent.episodesRestarted();
    const actions = new Float64Array(4 * agent.spec.actionLow.length);
    const rollout = (iteration: number): void => {
      for (let s = 0; s < c.numSteps; s++) {
        agent.collect(obs, actions, obs);
        const r = vec.step(actions);
        agent.recordOutcome(r.rewards, r.terminations, r.truncations, r.rewards);
        obs = r.obs;
      }
      agent.update(obs, iteration, 10, obs);
    };
    rollout(0);
    assert.equal(countTypedArrayAllocations(() => rollout(1)), 0, `${algo} ${JSON.stringify(overrides)}`);
    if (algo === 'varibad') assert.ok(agent.varibad!.trials.size > 0, 'the VAE trained in the counted update');
    await vec.close();
  }
});

for (const algo of ['varibad', 'rl2', 'rnn-hn']) {
  it(`${algo} adapts on SignCue-v0: meta-test return ≥ 6 within 30k steps (0 at the start)`, async () => {
    const r = await train({ quiet: true, config: resolveTrainConfig({ algo, ...SMALL, seed: 1, totalSteps: 30_000, evalEvery: 1_000_000, checkpointEvery: 1_000_000, runsDir: tempRuns(algo) }) });
    const metrics = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
    const first = metrics.find((m) => 'eval/return_mean' in m)!['eval/return_mean']!;
    assert.ok(Math.abs(first) < 1, `untrained return ${first}`);
    assert.ok(r.finalEval.mean >= 6, `meta-test return ${r.finalEval.mean.toFixed(2)} (${r.finalEval.returns.map((x) => x.toFixed(1)).join(', ')})`);
  });
}

/** Metrics without wall-clock measurements. */
const metricsOf = (dir: string): string => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
  .map((l) => { const o = JSON.parse(l) as Record<string, number>; delete o['perf/sps']; return JSON.stringify(o); }).join('\n');

for (const algo of ['varibad', 'rl2']) {
  it(`${algo}: a run stopped at a checkpoint and resumed is bit-identical to an uninterrupted one`, async () => {
    // 704 steps per rollout: checkpoints at 1408 (where the stop falls), then the end at 2816.
    const config = () => resolveTrainConfig({ algo, ...SMALL, seed: 3, totalSteps: 2816, checkpointEvery: 1408, evalEvery: 1408, evalEpisodes: 4, vaeBatchTrials: 4 });
    const straight = await train({ quiet: true, config: { ...config(), run: { ...config().run, runsDir: tempRuns('straight') } } });
    const stopped = await train({ quiet: true, stopAtStep: 1408, config: { ...config(), run: { ...config().run, runsDir: tempRuns('stopped') } } });
    assert.equal(stopped.steps, 1408);
    const resumed = await train({ quiet: true, resumeDir: stopped.runDir, config: config() });
    assert.equal(resumed.steps, 2816);
    const files = ['params.safetensors', 'optim.safetensors', 'agent.safetensors'];
    const generation = (runDir: string): string => join(checkpointFile(runDir, 'meta.json'), '..');
    assert.deepEqual(readdirSync(generation(straight.runDir)).sort(), [...files, 'meta.json', 'manifest.json'].sort());
    for (const f of files) {
      assert.ok(readFileSync(checkpointFile(straight.runDir, f)).equals(readFileSync(checkpointFile(resumed.runDir, f))), `${f} differs after resuming`);
    }
    assert.equal(metricsOf(resumed.runDir), metricsOf(straight.runDir));
    assert.equal(resumed.finalEval.mean, straight.finalEval.mean);
  });
}

it('hyperrl eval reproduces a meta run\'s final meta-test return (test-task trials, the saved belief statistics)', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = await train({ quiet: true, config: resolveTrainConfig({ algo: 'varibad', env: 'Navigation2D-v0', numEnvs: 4, numSteps: 50, numMinibatches: 1, totalSteps: 1000,
    evalEvery: 1_000_000, evalEpisodes: 3, policySize: 'XS', gruHidden: 16, vaeBufferTrials: 50, vaePrecollectSteps: 0, runsDir: tempRuns('meta-eval') }) });
  const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
  const out = spawnSync(process.execPath, [cli, 'eval', r.runDir, '--episodes', '3'], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`return ${r.finalEval.mean.toFixed(1)} ± ${r.finalEval.std.toFixed(1)} over 3 trials`));
});

it('every meta algorithm logs its evaluation trials\' per-episode returns: k of them, finite, summing to eval/return_mean', async () => {
  const k = 2;
  for (const algo of ['varibad', 'rl2', 'rnn-hn', 'multi-hn']) {
    // 2D-Navigation trials of 2 episodes × 100 steps; one rollout of one trial per env.
    const r = await train({ quiet: true, config: resolveTrainConfig({ algo, env: 'Navigation2D-v0', seed: 3, episodesPerTrial: k, numEnvs: 2, numSteps: 200, sequenceLength: 200, numMinibatches: 1,
      totalSteps: 400, evalEvery: 1_000_000, evalEpisodes: 3, policySize: 'XS', gruHidden: 8, embeddingDim: 4, vaeBufferTrials: 10, vaeBatchTrials: 2, vaePrecollectSteps: 0,
      vaeSubsampleElbos: 4, vaeSubsampleDecodes: 4, runsDir: tempRuns(`episodes-${algo}`) }) });
    const trials = r.finalEval.episodeReturns!;
    assert.equal(trials.length, 3, algo);
    trials.forEach((episodes, i) => {
      assert.equal(episodes.length, k, `${algo}: trial ${i} has ${episodes.length} episodes`);
      assert.ok(episodes.every(Number.isFinite), `${algo}: trial ${i}: ${episodes}`);
      assert.equal(episodes[0]! + episodes[1]!, r.finalEval.returns[i], `${algo}: trial ${i}'s episodes sum to its return`);
    });
    const rows = metricsRows(r.runDir).filter((row) => row['eval/return_mean'] !== undefined);
    assert.deepEqual(rows.map((row) => row.step), [0, 400], algo);
    for (const row of rows) {
      const episodes = Object.keys(row).filter((key) => key.startsWith('eval/return_episode_')).sort();
      assert.deepEqual(episodes, ['eval/return_episode_1', 'eval/return_episode_2'], `${algo} at step ${row.step}`);
      const sum = row['eval/return_episode_1']! + row['eval/return_episode_2']!;
      assert.ok(Number.isFinite(sum) && Math.abs(sum - row['eval/return_mean']!) <= 1e-12 * Math.max(1, Math.abs(row['eval/return_mean']!)), `${algo} at step ${row.step}: episodes sum to ${sum}, eval/return_mean ${row['eval/return_mean']}`);
    }
    assert.equal(rows[1]!['eval/return_episode_1'], (trials[0]![0]! + trials[1]![0]! + trials[2]![0]!) / 3, algo);
  }
});
