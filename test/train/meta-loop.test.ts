/**
 * MAML and PEARL through the registry and the meta loop: `hyperrl train --algo maml|pearl`
 * writes config.json, metrics (eval/return_mean on the held-out tasks) and checkpoints,
 * resumes, rejects the off-policy loop's warm-up keys, has --help, and experiment grids
 * name them (MAML's critic axis is its policy).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cells, parseSpec } from '../../src/experiments/spec.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { checkpointFile, tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

const TINY: Record<string, Record<string, unknown>> = {
  maml: { policy: 'mlp', metaBatchSize: 2, fastBatchSize: 2, numTrainTasks: 4, numTestTasks: 2 },
  pearl: {
    netSize: 16, encoderHidden: [16], numTrainTasks: 3, numTestTasks: 2, metaBatch: 2, batchSize: 8, embeddingBatchSize: 4, numInitialSteps: 50,
    numTasksSample: 1, numStepsPrior: 20, numExtraRlStepsPosterior: 20, trainStepsPerIteration: 2, numStepsPerEval: 100, taskBufferSize: 500,
  },
};

const lines = (dir: string): Record<string, number>[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);

for (const algo of ['maml', 'pearl']) {
  it(`${algo}: a run of meta-iterations with config.json, held-out-task evaluations and a checkpoint, stopped and resumed to the end`, async () => {
    const runDir = join(tempRuns(algo), 'run');
    const config = resolveTrainConfig({ algo, env: 'Navigation2D-v0', totalSteps: 3, evalEvery: 2, checkpointEvery: 1, ...TINY[algo] });
    const first = await train({ config, runDir, quiet: true, stopAtStep: 2 });
    assert.equal(first.stoppedBy, 'stopAtStep');
    assert.equal(first.steps, 2);
    assert.equal((JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { run: { algo: string } }).run.algo, algo);
    assert.ok(existsSync(checkpointFile(runDir, 'params.safetensors')));
    const resumed = await train({ config, resumeDir: runDir, quiet: true });
    assert.equal(resumed.steps, 3);
    assert.equal(resumed.stoppedBy, null);
    const rows = lines(runDir);
    const evals = rows.filter((r) => 'eval/return_mean' in r);
    assert.deepEqual(evals.map((r) => r.step), [0, 2, 3], 'the untrained policy, every evalEvery iterations, and the end');
    assert.ok(evals.every((r) => Number.isFinite(r['eval/return_mean'])));
    assert.ok(evals.every((r) => (algo === 'maml' ? 'eval/pre_adaptation_return' : 'eval/prior_return') in r), 'the return before adaptation is logged too');
    const iterations = rows.filter((r) => 'charts/env_steps' in r);
    assert.deepEqual(iterations.map((r) => r.step), [1, 2, 3]);
    assert.ok(iterations.every((r) => r['charts/env_steps']! > 0));
  });
}

/** A run's metrics without the wall-clock ones (perf/*), one JSON line per row. */
const deterministicMetrics = (dir: string): string => lines(dir).map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/'))))).join('\n');

// MAML on HalfCheetah-Vel: its resets draw noise, which must come from the checkpointed generator too.
for (const [algo, env, over] of [['maml', 'HalfCheetahVel-v0', { fastBatchSize: 1, totalSteps: 3 }], ['pearl', 'Navigation2D-v0', {}]] as const) {
  it(`${algo}: stopped and resumed, ends byte-identical to an uninterrupted run on ${env} (metrics, parameters, optimiser state${algo === 'pearl' ? ', task buffers' : ''})`, async () => {
    const config = resolveTrainConfig({ algo, env, totalSteps: 4, evalEvery: 2, checkpointEvery: 1, seed: 3, ...TINY[algo], ...over });
    const straight = join(tempRuns(`${algo}-straight`), 'run'), stopped = join(tempRuns(`${algo}-stopped`), 'run');
    await train({ config, runDir: straight, quiet: true });
    assert.equal((await train({ config, runDir: stopped, quiet: true, stopAtStep: 1 })).steps, 1);
    await train({ config, resumeDir: stopped, quiet: true });
    assert.equal(deterministicMetrics(stopped), deterministicMetrics(straight), 'the resumed run logged other metrics');
    const files = ['params.safetensors', 'optim.safetensors', ...(algo === 'pearl' ? ['agent.safetensors'] : [])];
    for (const f of files) assert.ok(readFileSync(checkpointFile(straight, f)).equals(readFileSync(checkpointFile(stopped, f))), `${f} differs after the resume`);
  });
}

it('rejects the off-policy warm-up keys for meta-learners, naming the key', async () => {
  const config = resolveTrainConfig({ algo: 'pearl', env: 'Navigation2D-v0', learningStarts: 10, ...TINY.pearl });
  await assert.rejects(train({ config, runDir: join(tempRuns('pearl-ls'), 'run'), quiet: true }), /pearl runs meta-iterations.*learningStarts must be 0, got 10/);
});

it('shows --help for maml and pearl, and hyperrl eval refuses a meta run with the reason', async () => {
  for (const [algo, key] of [['maml', '--order'], ['pearl', '--kl-lambda']] as const) {
    const r = spawnSync(process.execPath, [CLI, 'train', '--algo', algo, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(key), `${key} in ${algo}'s --help`);
    assert.ok(r.stdout.includes('[HalfCheetahVel-v0]'), `${algo}'s default preset names its env`);
  }
  const runDir = join(tempRuns('maml-eval'), 'run');
  await train({ config: resolveTrainConfig({ algo: 'maml', env: 'Navigation2D-v0', totalSteps: 1, ...TINY.maml }), runDir, quiet: true });
  const r = spawnSync(process.execPath, [CLI, 'eval', runDir], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /is a maml run, evaluated on its held-out tasks during training/);
});

it('lets experiment grids name maml and pearl: the critic axis sets MAML\'s policy and PEARL\'s networks', () => {
  const spec = parseSpec({
    name: 'meta', grid: { env: ['Navigation2D-v0'], algo: ['maml'], critic: ['mlp', 'context', 'hyper-compact'], seed: [1] }, train: { totalSteps: 2 },
  }, 'test');
  assert.deepEqual(cells(spec).map((c) => [c.id, c.train.policy, c.train.hyperPreset]), [
    ['Navigation2D-v0__maml-mlp__1', 'mlp', undefined], ['Navigation2D-v0__maml-context__1', 'context', undefined], ['Navigation2D-v0__maml-hyper-compact__1', 'hyper', 'compact'],
  ]);
  const pearl = parseSpec({ name: 'p', grid: { env: ['HalfCheetahVelMedium-v0'], algo: ['pearl'], critic: ['mlp', 'hyper'], seed: [1] }, train: { preset: 'pearl-velocity' } }, 'test');
  assert.deepEqual(cells(pearl).map((c) => c.train.critic), ['mlp', 'hyper']);
  assert.throws(() => parseSpec({ name: 'x', grid: { env: ['Navigation2D-v0'], algo: ['pearl'], critic: ['context'], seed: [1] } }, 'test'), /critic' must be one of mlp, hyper/);
});
