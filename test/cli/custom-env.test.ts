/**
 * A user's env module (test/fixtures/custom-env/point-env.mjs, as in docs/custom-envs.md)
 * registered with --import for train, found again by eval from the run's config, and
 * named in an experiment spec's `modules` for the runner and its child processes.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const POINT_ENV = new URL('../../../test/fixtures/custom-env/point-env.mjs', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const SMALL = { totalSteps: 300, learningStarts: 100, randomSteps: 100, evalEvery: 300, evalEpisodes: 1, checkpointEvery: 300, actorHidden: [16], criticHidden: [16], batchSize: 32 };
const flags = Object.entries(SMALL).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${String(v)}`);

it('trains a custom env imported with --import, and evaluates it without naming the module again', () => {
  const runs = tempRuns('custom-env');
  const unknown = cli('train', '--env', 'Point1D-v0', ...flags, '--runs-dir', runs, '--quiet');
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /Unknown env id 'Point1D-v0'/);

  const r = cli('train', '--import', POINT_ENV, '--env', 'Point1D-v0', ...flags, '--runs-dir', runs, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /evaluation return -\d+\.\d ± 0\.0 over 1 episodes at step 300 \(/);
  const runDir = join(runs, readdirSync(runs).find((d) => d.startsWith('Point1D-v0'))!);
  assert.deepEqual((JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { modules: string[] }).modules, [POINT_ENV]);
  const evaluated = cli('eval', runDir, '--episodes', '2');
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.match(evaluated.stdout, /at step 300: return -\d+\.\d ± \d+\.\d over 2 episodes/);

  const missing = cli('train', '--import', join(runs, 'nope.mjs'), '--env', 'Point1D-v0');
  assert.match(missing.stderr, /env module .*nope\.mjs does not exist/);
});

it('runs an experiment whose spec names the env module, relative to the spec file', () => {
  const out = tempRuns('custom-env-experiment');
  const specFile = join(out, 'spec.json');
  writeFileSync(specFile, JSON.stringify({
    name: 'custom', modules: [relative(out, POINT_ENV)],
    grid: { env: ['Point1D-v0'], algo: ['td3'], critic: ['mlp'], seed: [1] }, train: SMALL,
  }));
  const r = cli('experiment', specFile, '--jobs', '1', '--out', out);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /finished Point1D-v0__td3-mlp__1/);
  assert.ok(existsSync(join(out, 'runs', 'Point1D-v0__td3-mlp__1', 'done.json')));

  const without = join(out, 'without.json');
  writeFileSync(without, JSON.stringify({ name: 'without', grid: { env: ['Point1D-v0'], algo: ['td3'], critic: ['mlp'], seed: [1] }, train: SMALL }));
  assert.match(cli('experiment', without, '--out', out).stderr, /'grid\.env\[0\]' must be a registered environment/);
});

it('trains PPO on a custom env with --vector-env async: the workers import the --import module, same metrics as sync', () => {
  const runs = tempRuns('custom-env-async');
  const ppo = ['--algo', 'ppo', '--env', 'Point1D-v0', '--num-envs', '4', '--num-steps', '32', '--num-minibatches', '2', '--update-epochs', '1',
    '--total-steps', '256', '--eval-every', '256', '--eval-episodes', '1', '--checkpoint-every', '256', '--log-every', '128', '--quiet'];
  const metrics = (vectorEnv: string): string => {
    const out = join(runs, vectorEnv);
    const r = cli('train', '--import', POINT_ENV, ...ppo, '--vector-env', vectorEnv, '--workers', '2', '--runs-dir', out);
    assert.equal(r.status, 0, `--vector-env ${vectorEnv}: ${r.stderr}`);
    const runDir = join(out, readdirSync(out)[0]!);
    return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
      .map((l) => { const o = JSON.parse(l) as Record<string, number>; for (const k of Object.keys(o)) if (k.startsWith('perf/')) delete o[k]; return JSON.stringify(o); }).join('\n');
  };
  const sync = metrics('sync');
  assert.match(sync, /charts\/episodic_return|losses\//, 'the run logged');
  assert.equal(metrics('async'), sync);
});
