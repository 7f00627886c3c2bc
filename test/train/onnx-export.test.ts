/**
 * `hyperrl export --format onnx` against hyperrl itself: the exported file, run by
 * onnxruntime-node, gives the actions of `agent.act(obs, false)` (through the run's
 * observation normaliser, as its evaluation uses it) on 1,000 recorded observations, to 1e-5.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { isTwinCriticAgent } from '../../src/algos/agent.js';
import { Ppo } from '../../src/algos/ppo.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { make } from '../../src/envs/registry.js';
import { Box } from '../../src/envs/spaces.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import type { EvalActor } from '../../src/train/evaluate.js';
import { savedEvaluationActor } from '../../src/train/loops/on-policy.js';
import { normalizedActor, ObservationNormalizer } from '../../src/train/obs-normalizer.js';
import { makeAgent, readRunConfig } from '../../src/train/run-config.js';
import { quickTrain } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const OBSERVATIONS = 1000;

/** Observations of the env under uniformly random actions (episodes restarted as they end). */
async function recordObservations(envId: string, count: number, seed: number): Promise<Float32Array> {
  const env = await make(envId);
  const rng = new Xoshiro128Rng(seed);
  const space = env.actionSpace as Box;
  const dim = env.observationSpace.size;
  const out = new Float32Array(count * dim);
  const action = new Float64Array(space.size);
  let obs = env.reset({ seed }).obs;
  for (let i = 0; i < count; i++) {
    out.set(obs, i * dim);
    for (let k = 0; k < action.length; k++) action[k] = space.low[k]! + (space.high[k]! - space.low[k]!) * rng.uniform();
    const r = env.step(action);
    obs = r.terminated || r.truncated ? env.reset().obs : r.obs;
  }
  env.close();
  return out;
}

const OFF_POLICY_RUN = { seed: 3, totalSteps: 400, learningStarts: 200, randomSteps: 200, evalEvery: 1_000_000, evalEpisodes: 1, batchSize: 32, actorHidden: [64, 64], criticHidden: [64, 64], normalizeObs: true };

async function compareExport(overrides: Record<string, unknown>): Promise<void> {
  const { runDir } = await quickTrain(overrides);
  const cli = spawnSync(process.execPath, [CLI, 'export', runDir, '--format', 'onnx'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const file = join(runDir, 'policy.onnx');
  assert.match(cli.stdout, /wrote .*policy\.onnx/);

  const config = readRunConfig(runDir);
  const env = await make(config.run.env);
  const agent = makeAgent(new Engine(createBackend('js')), env, config);
  const obsDim = env.observationSpace.size, actionDim = (env.actionSpace as Box).size;
  env.close();
  const meta = await loadCheckpoint(runDir, agent, null);
  assert.ok(meta.obsNormalizer !== undefined, 'the run normalises observations, so the export must fold them in');
  let actor: EvalActor;
  if (agent instanceof Ppo) {
    actor = savedEvaluationActor(agent, obsDim, meta, runDir);
  } else {
    assert.ok(isTwinCriticAgent(agent));
    const normalizer = new ObservationNormalizer(obsDim);
    normalizer.setState(meta.obsNormalizer!);
    actor = normalizedActor(agent, normalizer);
  }

  const observations = await recordObservations(config.run.env, OBSERVATIONS, 11);
  const session = await ort.InferenceSession.create(readFileSync(file));
  const result = await session.run({ obs: new ort.Tensor('float32', observations, [OBSERVATIONS, obsDim]) });
  const exported = result.action!;
  assert.deepEqual(exported.dims, [OBSERVATIONS, actionDim]);
  const onnxActions = exported.data as Float32Array;
  const mine = new Float64Array(actionDim);
  let maxDiff = 0, spread = 0;
  for (let i = 0; i < OBSERVATIONS; i++) {
    actor.act(observations.subarray(i * obsDim, (i + 1) * obsDim), false, mine);
    for (let k = 0; k < actionDim; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(mine[k]! - onnxActions[i * actionDim + k]!));
      spread = Math.max(spread, Math.abs(mine[k]! - onnxActions[k]!));
    }
  }
  assert.ok(maxDiff <= 1e-5, `max |hyperrl − onnxruntime| = ${maxDiff} over ${OBSERVATIONS} observations`);
  // The comparison has teeth: the policy's actions vary across the observations.
  assert.ok(spread > 1e-2, `actions hardly vary (${spread}); the comparison would not detect a wrong graph`);
}

describe('hyperrl export --format onnx', () => {
  it('TD3 on Pendulum-v1 (MLP critic): onnxruntime-node matches hyperrl\'s actions to 1e-5', async () => {
    await compareExport({ ...OFF_POLICY_RUN, env: 'Pendulum-v1', algo: 'td3' });
  });

  it('SAC on HalfCheetah-v5 (hyper critic): the tanh of the mean, scaled, matches to 1e-5', async () => {
    await compareExport({ ...OFF_POLICY_RUN, env: 'HalfCheetah-v5', algo: 'sac', critic: 'hyper' });
  });

  it('PPO on HalfCheetah-v5 (observations normalised on the vector env): the mean, clipped to the bounds, matches to 1e-5', async () => {
    await compareExport({ env: 'HalfCheetah-v5', algo: 'ppo', seed: 3, numEnvs: 2, numSteps: 128, numMinibatches: 4, totalSteps: 1024, evalEvery: 1_000_000, evalEpisodes: 1 });
  });

  it('names what a PPO export cannot write: a recurrent policy', async () => {
    const { runDir } = await quickTrain({ env: 'Pendulum-v1', algo: 'ppo', seed: 3, numSteps: 64, numMinibatches: 2, updateEpochs: 1, recurrentHidden: 8, sequenceLength: 16, totalSteps: 64, evalEvery: 1_000_000, evalEpisodes: 1 });
    const cli = spawnSync(process.execPath, [CLI, 'export', runDir, '--format', 'onnx'], { encoding: 'utf8' });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, /the ppo's agent is recurrent; the export writes policies of the observation alone/);
  });

  it('rejects an unknown format, naming the ones it has', () => {
    const cli = spawnSync(process.execPath, [CLI, 'export', 'runs/x', '--format', 'tflite'], { encoding: 'utf8' });
    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /--format must be one of torch-safetensors, onnx, got 'tflite'/);
  });
});
