/**
 * `hyperrl export` and `hyperrl diagnose grad` on meta-RL runs: the agent is rebuilt with the
 * run's trial options (a 2-episode VariBAD trial appends the boundary flag, Multi+HN the task
 * vector, so a plain env would not fit the checkpoint), then each command says what it does
 * not support instead of failing on a shape mismatch.
 */
import '../../src/envs/index.js';
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/** A tiny Navigation2D run (2 envs × 100 steps, one rollout) of a meta algorithm. */
async function metaRun(algo: string, overrides: Record<string, unknown>): Promise<string> {
  const config = resolveTrainConfig({ algo, env: 'Navigation2D-v0', numEnvs: 2, numSteps: 100, numMinibatches: 1, sequenceLength: 100, totalSteps: 200,
    policySize: 'XS', gruHidden: 8, embeddingDim: 4, vaeBufferTrials: 10, vaePrecollectSteps: 0, evalEpisodes: 1, evalEvery: 1_000_000, runsDir: tempRuns(`meta-export-${algo}`), ...overrides });
  return (await train({ quiet: true, config })).runDir;
}

for (const [algo, overrides, reads] of [
  ['varibad', { episodesPerTrial: 2 }, 'the VAE\'s belief about the task from the trial so far'],
  ['multi-hn', {}, 'the true task vector'],
  ['rl2', {}, 'a recurrent state over the trial so far'],
] as const) {
  it(`${algo}: export and diagnose rebuild the run's agent with its trial options and name what they do not support`, async () => {
    const runDir = await metaRun(algo, overrides);
    const onnx = cli('export', runDir, '--format', 'onnx');
    assert.notEqual(onnx.status, 0);
    assert.match(onnx.stderr, new RegExp(`ONNX export: the ${algo}'s agent is a meta-RL (standard|hyper) policy conditioned on ${reads}; the export writes MLP policies of the observation alone`));
    const torch = cli('export', runDir, '--format', 'torch-safetensors');
    assert.notEqual(torch.status, 0);
    assert.match(torch.stderr, new RegExp(`is a ${algo} run; --format torch-safetensors knows actor-critic agents with a twin critic \\(TD3, SAC\\)`));
    const diagnose = cli('diagnose', 'grad', runDir);
    assert.notEqual(diagnose.status, 0);
    assert.match(diagnose.stderr, new RegExp(`diagnose grad: .* is a ${algo} run; the diagnostic needs an agent with a twin critic \\(TD3, SAC\\)`));
  });
}
