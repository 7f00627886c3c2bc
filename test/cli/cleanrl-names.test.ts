/** CleanRL's flag names map to ours, per algorithm; unknown flags get edit-distance suggestions. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { SAC_SCHEMA } from '../../src/algos/sac.js';
import { TD3_SCHEMA } from '../../src/algos/td3.js';
import { parseFlags } from '../../src/cli/flags.js';
import { cleanRlFields } from '../../src/train/cleanrl-names.js';
import { RUN_SCHEMA } from '../../src/train/run-config.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const resolveArgs = (...args: string[]) => resolveTrainConfig(parseFlags(args, [RUN_SCHEMA as never, TD3_SCHEMA as never, SAC_SCHEMA as never, cleanRlFields() as never]).values);

it('accepts a CleanRL TD3 command line', () => {
  const c = resolveArgs('--env-id', 'Hopper-v5', '--total-timesteps', '300000', '--learning-rate', '1e-3', '--policy-frequency', '3',
    '--buffer-size', '50000', '--batch-size', '128', '--learning-starts', '10000', '--num-envs', '1', '--seed', '4');
  assert.equal(c.run.env, 'Hopper-v5');
  assert.equal(c.run.totalSteps, 300_000);
  assert.equal(c.run.bufferSize, 50_000);
  assert.equal(c.run.learningStarts, 10_000);
  assert.equal(c.run.seed, 4);
  const agent = c.agent as typeof c.agent & Record<string, number>;
  assert.equal(agent.actorLr, 1e-3);
  assert.equal(agent.criticLr, 1e-3);
  assert.equal(agent.hyperCriticLr, TD3_SCHEMA.hyperCriticLr.default, 'the hyper critic keeps its own rate');
  assert.equal(agent.policyDelay, 3);
  assert.equal(agent.batchSize, 128);
});

it('maps per algorithm and explains names that do not apply', () => {
  const sac = resolveArgs('--algo', 'sac', '--policy-frequency', '1', '--total-timesteps', '1000');
  assert.equal((sac.agent as unknown as Record<string, number>).policyFrequency, 1);
  assert.throws(() => resolveArgs('--algo', 'sac', '--learning-rate', '1e-3'), /'learningRate' \(CleanRL\) does not apply to sac: .*--policy-lr and --q-lr/);
  assert.throws(() => resolveArgs('--num-envs', '4'), /only --num-envs 1 is accepted/);
  assert.throws(() => resolveArgs('--cuda'), /no equivalent: the backend is native, wasm or js/);
  assert.throws(() => resolveArgs('--learning-rate', '1e-3', '--actor-lr', '3e-4'), /'actorLr' is set twice, as 'learningRate' and as|'actorLr' is set twice, as 'actorLr' and as CleanRL's 'learningRate'/);
  assert.throws(() => resolveArgs('--total-steps', '5', '--total-timesteps', '6'), /'totalSteps' is set twice/);
});

it('suggests flags by edit distance', () => {
  assert.throws(() => resolveArgs('--totl-steps', '5'), /unknown option --totl-steps \(did you mean --total-steps\?\)/);
  assert.throws(() => resolveArgs('--laerning-starts', '5'), /did you mean --learning-starts[,?]/);
  assert.throws(() => resolveTrainConfig({ totalStep: 5 }), /unknown config key 'totalStep' for td3 \(did you mean totalSteps\?\)/);
});

it('train --help shows the values the chosen algorithm and preset use', () => {
  const help = (...args: string[]): string => {
    const r = spawnSync(process.execPath, [CLI, 'train', ...args, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const option = (text: string, flag: string): string => text.split('\n').find((l) => l.startsWith(`  --${flag} `))!.replace(/.*\[(.*)\]$/, '$1');
  assert.equal(option(help(), 'learning-starts'), '25000');
  const sac = help('--algo', 'sac');
  assert.equal(option(sac, 'learning-starts'), '5000');
  assert.equal(option(sac, 'policy-frequency'), '2');
  assert.doesNotMatch(sac, /^  --policy-delay /m, 'only the chosen algorithm\'s options');
  assert.equal(option(help('--algo', 'sac', '--preset', 'hyperrl-paper'), 'learning-starts'), '256');
  assert.equal(option(help('--total-timesteps', '5000', '--learning-rate', '1e-3'), 'actor-lr'), '0.001');
  assert.equal(option(help('--total-timesteps', '5000'), 'total-steps'), '5000');
});
