/**
 * Config files: `train --config` with flags overriding the file, config.yaml written back
 * and read again to the same configuration, errors naming the file and the key, and the
 * JSON Schema for editors generated from the typed schemas (docs/hyperrl.schema.json current).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainConfigSchema } from '../../src/cli/schema.js';
import { readConfigFile } from '../../src/train/config-file.js';
import { resolveTrainConfig, type ResolvedConfig } from '../../src/train/run-config.js';
import type { OffPolicyConfig } from '../../src/algos/agent.js';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const SCHEMA_DOC = new URL('../../../docs/hyperrl.schema.json', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

it('trains from a YAML file with flags overriding it, and writes a config.yaml that reads back to the same config', () => {
  const dir = tempRuns('config');
  const file = join(dir, 'run.yaml');
  writeFileSync(file, [
    '# a SAC run on Pendulum',
    'algo: sac',
    'env: Pendulum-v1',
    'totalSteps: 400',
    'learningStarts: 100',
    'randomSteps: 100',
    'evalEvery: 400',
    'evalEpisodes: 1',
    'actorHidden: [16, 16]',
    'criticHidden: [16]',
    'batchSize: 32',
    'seed: 3',
    `runsDir: ${join(dir, 'runs')}`,
  ].join('\n'));
  const r = cli('train', '--config', file, '--seed', '7', '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const runDir = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!);
  const stored = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as ResolvedConfig;
  assert.equal(stored.run.algo, 'sac');
  assert.equal(stored.run.totalSteps, 400);
  assert.equal(stored.run.seed, 7, 'the flag overrides the file');
  assert.deepEqual((stored.agent as OffPolicyConfig).actorHidden, [16, 16]);

  const yaml = readFileSync(join(runDir, 'config.yaml'), 'utf8');
  assert.match(yaml, /# environment steps\ntotalSteps: 400\n/);
  assert.match(yaml, /actorHidden: \[ 16, 16 \]/);
  const again = resolveTrainConfig(readConfigFile(join(runDir, 'config.yaml')).settings);
  assert.deepEqual(again, { run: stored.run, agent: stored.agent });
});

it('reads JSON files too, and names the file and the key of a bad setting', () => {
  const dir = tempRuns('config-bad');
  const write = (name: string, text: string): string => { writeFileSync(join(dir, name), text); return join(dir, name); };
  const json = write('run.json', JSON.stringify({ algo: 'sac', qLr: 3e-4, totalSteps: 5000 }));
  const c = resolveTrainConfig(readConfigFile(json).settings);
  assert.equal((c.agent as unknown as Record<string, number>).qLr, 3e-4);

  const fails = (name: string, text: string, re: RegExp): void => {
    const r = cli('train', '--config', write(name, text));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
  };
  fails('typo.yaml', 'totalStep: 5000\n', /config file .*typo\.yaml: train: unknown config key 'totalStep' for td3 \(did you mean totalSteps\?\)/);
  fails('negative.yaml', 'totalSteps: -5\n', /negative\.yaml: train: config 'totalSteps' must be a positive integer, got -5/);
  fails('string.yaml', 'totalSteps: 1_000\n', /string\.yaml: train: config 'totalSteps' must be a number, got string/);
  fails('other-algo.yaml', 'qLr: 0.001\n', /other-algo\.yaml: train: unknown config key 'qLr' for td3/);
  fails('syntax.yaml', 'actorHidden: [64,\ntotalSteps: 5\n', /config file .*syntax\.yaml: .*line 2/);
  fails('list.yaml', '- 1\n- 2\n', /syntax|list\.yaml: expected a mapping of config keys/);
  fails('run-config.json', JSON.stringify({ run: {}, agent: {} }), /a run folder's config\.json .* pass the run's config\.yaml/);
  const missing = cli('train', '--config', join(dir, 'nope.yaml'));
  assert.match(missing.stderr, /--config .*nope\.yaml: ENOENT/);
});

it('generates a JSON Schema with every key, its doc, default and bounds; docs/hyperrl.schema.json is current', () => {
  const schema = trainConfigSchema() as { properties: Record<string, Record<string, unknown>>; allOf: { if: unknown; then: { propertyNames: { enum: string[] } } }[] };
  assert.deepEqual(schema.properties.totalSteps, { type: 'integer', minimum: 1, default: 1_000_000, description: 'environment steps' });
  assert.deepEqual(schema.properties.algo!.enum, ['td3', 'sac', 'ppo', 'maml', 'pearl', 'varibad', 'rl2', 'rnn-hn', 'multi-hn']);
  assert.equal(schema.properties.tau!.maximum, 1);
  assert.equal((schema.properties.actorHidden!.items as { minimum: number }).minimum, 1);
  const allowed = (algo: string): string[] => schema.allOf.find((c) => JSON.stringify(c.if).includes(`"const":"${algo}"`))!.then.propertyNames.enum;
  assert.ok(allowed('sac').includes('qLr') && !allowed('sac').includes('policyDelay'));
  assert.ok(allowed('td3').includes('policyDelay') && !allowed('td3').includes('qLr'));
  assert.ok(allowed('td3').includes('modules'));
  assert.ok(allowed('ppo').includes('numEnvs') && allowed('ppo').includes('truncation') && !allowed('ppo').includes('policyDelay'));
  assert.ok(allowed('varibad').includes('hyperInit') && allowed('rnn-hn').includes('gruHidden') && !allowed('ppo').includes('hyperInit'));
  const r = cli('schema');
  assert.equal(r.status, 0);
  assert.deepEqual(JSON.parse(r.stdout), schema);
  assert.equal(readFileSync(SCHEMA_DOC, 'utf8'), r.stdout, 'regenerate with: node dist/src/cli/main.js schema > docs/hyperrl.schema.json');
});
