/** Failure behaviour of a run: damaged or half-written checkpoints, NaN losses, bad config (test/reliability/ has the rest). */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Td3, TD3_SCHEMA } from '../../src/algos/td3.js';
import { ReplayBuffer } from '../../src/replay/replay-buffer.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { requireCheckpoint } from '../../src/train/checkpoint.js';
import { CHECKPOINTS_DIR } from '../../src/train/checkpoint-store.js';
import { defaults } from '../../src/core/config.js';
import { readRunConfig, resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { Sac, SAC_SCHEMA } from '../../src/algos/sac.js';
import { checkpointFile, quickTrain } from '../helpers/train.js';

const SMALL = { actorHidden: [32, 32], criticHidden: [32, 32], batchSize: 32, totalSteps: 600, learningStarts: 200, randomSteps: 200, evalEvery: 600, evalEpisodes: 2, checkpointEvery: 400 };

it('a damaged checkpoint file is an error naming it, and a generation cut short is ignored', async () => {
  const { runDir } = await quickTrain(SMALL);
  const { run, agent: ac } = readRunConfig(runDir);
  const fresh = (): { agent: Td3; replay: ReplayBuffer } => {
    const e = new Engine(createBackend('js'));
    return { agent: new Td3(e, { obsDim: 3, actionLow: [-2], actionHigh: [2] }, ac as never, run.seed), replay: new ReplayBuffer(run.totalSteps, 3, 1, 32) };
  };
  const params = checkpointFile(runDir, 'params.safetensors');
  const good = readFileSync(params);

  // A write killed before its commit leaves a .partial generation (here with a truncated file): the complete one is loaded.
  const partial = join(runDir, CHECKPOINTS_DIR, 'g999999-step-999.partial');
  cpSync(dirname(params), partial, { recursive: true });
  writeFileSync(join(partial, 'params.safetensors'), good.subarray(0, 100));
  assert.equal(requireCheckpoint(runDir, fresh().agent, fresh().replay).step, 600);

  // A truncated file of the complete generation is named, with the size its manifest records.
  writeFileSync(params, good.subarray(0, good.length - 7));
  assert.throws(() => requireCheckpoint(runDir, fresh().agent, fresh().replay), /step-600\/params\.safetensors: \d+ bytes, but .*manifest\.json records \d+: the file is damaged/);
  writeFileSync(params, good);
  // So is a missing manifest: the folder was renamed complete, so this is damage, not a write cut short.
  rmSync(join(dirname(params), 'manifest.json'));
  assert.throws(() => requireCheckpoint(runDir, fresh().agent, fresh().replay), /no usable checkpoint: .*manifest\.json: missing from a complete checkpoint generation/);
});

it('stops on a non-finite loss with a message naming the network and the update', () => {
  for (const [Algo, schema, name] of [[Td3, TD3_SCHEMA, 'TD3 critic loss'], [Sac, SAC_SCHEMA, 'SAC critic loss']] as const) {
    const e = new Engine(createBackend('js'));
    const agent = new (Algo as typeof Td3)(e, { obsDim: 3, actionLow: [-2], actionHigh: [2] }, { ...(defaults(schema as never) as object), batchSize: 8 } as never, 1);
    const replay = new ReplayBuffer(16, 3, 1, 8);
    for (let i = 0; i < 16; i++) replay.add([0, 1, 0], [0.5], 3e38, [0, 1, 0], false); // (Q − y)² overflows float32
    assert.throws(() => agent.update(replay, 0), new RegExp(`${name} is (Infinity|NaN) at update 0`));
  }
});

it('rejects unknown keys and bad values, naming the key', async () => {
  assert.throws(() => resolveTrainConfig({ batchsize: 3 }), /unknown config key 'batchsize'/);
  assert.throws(() => resolveTrainConfig({ gamma: 1.5 }), /config 'gamma' must be in \[0, 1\]/);
  assert.throws(() => resolveTrainConfig({ algo: 'a2c' }), /config 'algo' must be one of td3, sac, ppo/);
  assert.throws(() => resolveTrainConfig({ algo: 'sac', policyDelay: 2 }), /unknown config key 'policyDelay' for sac/);
  assert.throws(() => resolveTrainConfig({ critic: 'transformer' }), /config 'critic' must be one of mlp, hyper/);
  await assert.rejects(train({ config: resolveTrainConfig({ env: 'Pendulm-v1', totalSteps: 10, learningStarts: 5, randomSteps: 5, batchSize: 4 }), quiet: true }), /Did you mean: Pendulum-v1/);
});
