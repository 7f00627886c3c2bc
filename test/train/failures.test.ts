/** Failure behaviour of a run: corrupt or half-written checkpoints, NaN losses, bad config. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Td3, TD3_SCHEMA } from '../../src/algos/td3.js';
import { ReplayBuffer } from '../../src/replay/replay-buffer.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { defaults } from '../../src/core/config.js';
import { readRunConfig, resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { Sac, SAC_SCHEMA } from '../../src/algos/sac.js';
import { quickTrain } from '../helpers/train.js';

const SMALL = { actorHidden: [32, 32], criticHidden: [32, 32], batchSize: 32, totalSteps: 600, learningStarts: 200, randomSteps: 200, evalEvery: 600, evalEpisodes: 2, checkpointEvery: 400 };

it('a corrupt checkpoint file gives an error naming it, and an interrupted write leaves the previous checkpoint usable', async () => {
  const { runDir } = await quickTrain(SMALL);
  const ckpt = join(runDir, 'checkpoint');
  const { run, agent: ac } = readRunConfig(runDir);
  const fresh = (): { agent: Td3; replay: ReplayBuffer } => {
    const e = new Engine(createBackend('js'));
    return { agent: new Td3(e, { obsDim: 3, actionLow: [-2], actionHigh: [2] }, ac as never, run.seed), replay: new ReplayBuffer(run.totalSteps, 3, 1, 32) };
  };
  const good = readFileSync(join(ckpt, 'params.safetensors'));

  // A write that died after creating checkpoint.tmp: the complete checkpoint is still the one loaded.
  cpSync(ckpt, join(runDir, 'checkpoint.tmp'), { recursive: true });
  writeFileSync(join(runDir, 'checkpoint.tmp', 'params.safetensors'), good.subarray(0, 100));
  const { agent, replay } = fresh();
  assert.equal((await loadCheckpoint(runDir, agent, replay)).step, 600);

  // A crash between the two renames: only checkpoint.old exists, and it is used.
  renameSync(ckpt, join(runDir, 'checkpoint.old'));
  assert.equal((await loadCheckpoint(runDir, fresh().agent, fresh().replay)).step, 600);
  renameSync(join(runDir, 'checkpoint.old'), ckpt);

  // Corruption of the current checkpoint is reported with the file's path.
  writeFileSync(join(ckpt, 'params.safetensors'), good.subarray(0, good.length - 7));
  await assert.rejects(loadCheckpoint(runDir, fresh().agent, fresh().replay), /checkpoint\/params\.safetensors/);
  rmSync(join(ckpt, 'meta.json'));
  await assert.rejects(loadCheckpoint(runDir, fresh().agent, fresh().replay), /no checkpoint to resume from/);
  assert.ok(existsSync(join(ckpt, 'replay.safetensors')));
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
  await assert.rejects(train({ config: resolveTrainConfig({ env: 'Pendulm-v1', totalSteps: 10, learningStarts: 5, randomSteps: 5 }), quiet: true }), /Did you mean: Pendulum-v1/);
});
