/**
 * Byte-identity of fixed-seed training runs against outputs recorded before the training
 * code was restructured (issue 15: algorithms as registry plugins, the loop split into
 * shared pieces): the resolved config, every metrics.jsonl row (timing columns aside) and
 * the SHA-256 of every tensor of the final checkpoint (parameters, Adam moments, replay)
 * and of the parameter snapshots. A refactoring of the training code must leave them alone.
 *
 * The runs go through the CLI with HYPERRL_BACKEND=js: the float reference backend gives
 * the same bits on every CPU (native and wasm pick ISA-specific kernels, FMA included).
 * Budgets are tiny (Pendulum-v1, 16-16 networks, a few hundred steps) so this takes seconds.
 *
 * An intended behaviour change re-records the file, and says why in its commit:
 *   npx tsc -p . && HYPERRL_RECORD_GOLDEN=1 node --test dist/test/train/registry-identity.test.js
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/nn/safetensors.js';
import { snapshotPath, snapshotSteps } from '../../src/train/snapshots.js';
import { checkpointFile, tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
// Compiled tests run from dist/test/train; the fixture stays in the source tree.
const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'training', 'golden-runs.json');

const SMALL = ['--env', 'Pendulum-v1', '--actor-hidden', '16,16', '--critic-hidden', '16,16', '--eval-episodes', '2', '--quiet'];

/** The recorded runs: the flags after `hyperrl train`. */
const RUNS: Record<string, string[]> = {
  // TD3 with observation normalisation and parameter snapshots (both go through checkpoints and snapshots).
  'td3-mlp': [...SMALL, '--algo', 'td3', '--critic', 'mlp', '--batch-size', '32', '--total-steps', '600', '--learning-starts', '200',
    '--random-steps', '200', '--eval-every', '300', '--log-every', '100', '--checkpoint-every', '400', '--snapshot-every', '300', '--normalize-obs'],
  // SAC with the compact hyper critic and a learned temperature; few updates (the js backend is slow on it).
  'sac-hyper': [...SMALL, '--algo', 'sac', '--critic', 'hyper', '--batch-size', '8', '--total-steps', '300', '--learning-starts', '270',
    '--random-steps', '200', '--eval-every', '300', '--log-every', '50', '--seed', '7'],
  // SAC with HypeRL's preset: fixed temperature, actor and targets every update, updates while acting randomly.
  'sac-mlp-paper': [...SMALL, '--algo', 'sac', '--critic', 'mlp', '--preset', 'hyperrl-paper', '--batch-size', '32', '--total-steps', '500',
    '--learning-starts', '100', '--random-steps', '300', '--eval-every', '250', '--log-every', '100'],
};

interface RunOutput {
  /** config.json without its versions (they name the machine and the commit). */
  config: unknown;
  /** metrics.jsonl rows without their perf/* (wall-clock) columns. */
  metrics: string[];
  /** `<file>/<tensor>` → SHA-256 of the tensor's bytes, plus every file's metadata. */
  tensors: Record<string, string>;
}

function runFolder(runsDir: string): string {
  const entries = readdirSync(runsDir);
  assert.equal(entries.length, 1, `${runsDir} should hold one run`);
  return join(runsDir, entries[0]!);
}

async function hashTensors(file: string, label: string, out: Record<string, string>): Promise<void> {
  const { tensors, metadata } = await readSafetensors(file);
  for (const name of Object.keys(tensors).sort()) {
    const { dtype, shape, data } = tensors[name]!;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    out[`${label}/${name}`] = `${dtype}[${shape.join(',')}] ${createHash('sha256').update(bytes).digest('hex')}`;
  }
  out[`${label}/__metadata__`] = JSON.stringify(metadata);
}

/** Train with `args` on the js backend in a fresh folder and collect what the golden file compares. */
async function record(args: readonly string[]): Promise<RunOutput> {
  const runsDir = tempRuns('golden');
  const r = spawnSync(process.execPath, [CLI, 'train', ...args, '--runs-dir', runsDir], { encoding: 'utf8', env: { ...process.env, HYPERRL_BACKEND: 'js' } });
  assert.equal(r.status, 0, `hyperrl train ${args.join(' ')} failed:\n${r.stderr}`);
  const dir = runFolder(runsDir);
  const { versions: _, ...config } = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown> & { versions: unknown };
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((line) => {
    const row = JSON.parse(line) as Record<string, number>;
    for (const k of Object.keys(row)) if (k.startsWith('perf/')) delete row[k];
    return JSON.stringify(row);
  });
  const tensors: Record<string, string> = {};
  for (const f of ['params', 'optim', 'replay']) await hashTensors(checkpointFile(dir, `${f}.safetensors`), f, tensors);
  for (const step of snapshotSteps(dir)) await hashTensors(snapshotPath(dir, step), `snapshots/step-${step}`, tensors);
  // config.runsDir is the temp folder: not part of the behaviour.
  (config as { run: { runsDir: string } }).run.runsDir = '<tmp>';
  return { config, metrics, tensors };
}

/** Every difference between two outputs, one line each (empty: identical). */
function differences(want: RunOutput, got: RunOutput): string[] {
  const diffs: string[] = [];
  if (JSON.stringify(want.config) !== JSON.stringify(got.config)) diffs.push(`config: recorded ${JSON.stringify(want.config)}, got ${JSON.stringify(got.config)}`);
  const rows = Math.max(want.metrics.length, got.metrics.length);
  for (let i = 0; i < rows; i++) if (want.metrics[i] !== got.metrics[i]) diffs.push(`metrics row ${i}: recorded ${want.metrics[i]}, got ${got.metrics[i]}`);
  for (const k of new Set([...Object.keys(want.tensors), ...Object.keys(got.tensors)])) {
    if (want.tensors[k] !== got.tensors[k]) diffs.push(`${k}: recorded ${want.tensors[k]}, got ${got.tensors[k]}`);
  }
  return diffs;
}

if (process.env.HYPERRL_RECORD_GOLDEN === '1') {
  it('records the golden runs', async () => {
    const runs: Record<string, { args: string[] } & RunOutput> = {};
    for (const [name, args] of Object.entries(RUNS)) runs[name] = { args, ...await record(args) };
    writeFileSync(GOLDEN, JSON.stringify({ recordedWith: `node ${process.version}, HYPERRL_BACKEND=js`, runs }, null, 1) + '\n');
  });
} else {
  const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { runs: Record<string, { args: string[] } & RunOutput> };

  for (const [name, args] of Object.entries(RUNS)) {
    it(`${name}: the same config, metrics and tensors as recorded`, async () => {
      const want = golden.runs[name];
      assert.ok(want !== undefined, `${GOLDEN} has no run '${name}': re-record it (see the header of this test)`);
      assert.deepEqual(want.args, args, `the flags of '${name}' changed since it was recorded`);
      const diffs = differences(want, await record(args));
      assert.deepEqual(diffs, [], `${name} differs from ${GOLDEN} in ${diffs.length} places`);
    });
  }

  // The comparison must be able to fail: another seed changes the metrics and every parameter.
  it('tells a run with another seed apart', async () => {
    const want = golden.runs['td3-mlp']!;
    const got = await record([...RUNS['td3-mlp']!, '--seed', '2']);
    const diffs = differences(want, got);
    assert.ok(diffs.some((d) => d.startsWith('config:')), 'the seed is in the config');
    assert.ok(diffs.some((d) => d.startsWith('metrics row')), 'the metrics change with the seed');
    const params = Object.keys(want.tensors).filter((k) => k.startsWith('params/') && !k.endsWith('__metadata__'));
    assert.ok(params.length >= 8, `parameters recorded: ${params.length}`);
    for (const k of params) assert.ok(diffs.some((d) => d.startsWith(`${k}:`)), `${k} should differ with another seed`);
  });
}
