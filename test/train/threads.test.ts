/**
 * A training run's results do not depend on the native kernels' thread count: short TD3
 * runs (CleanRL sizes, so the GEMMs, Adam and the dynamic layers are split) with the MLP
 * critic and the compact hyper critic, as child processes with HYPERRL_THREADS=1 and 2,
 * log the same metrics and end with byte-identical parameters and optimiser state.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeInfo } from '../../src/tensor/backends/native/index.js';
import { checkpointFile, tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const ARGS = ['train', '--env', 'Pendulum-v1', '--total-steps', '1400', '--learning-starts', '1000', '--random-steps', '1000',
  '--eval-every', '1400', '--eval-episodes', '2', '--checkpoint-every', '1400', '--log-every', '100', '--quiet'];

const info = nativeInfo();

/** Metrics without wall-clock measurements. */
const metrics = (dir: string): string => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
  .map((l) => { const o = JSON.parse(l) as Record<string, number>; delete o['perf/sps']; return JSON.stringify(o); }).join('\n');

/** Trains with HYPERRL_THREADS=threads; returns the run folder. */
function trainWith(threads: number, extra: string[]): string {
  const runs = tempRuns(`threads-${threads}`);
  const r = spawnSync(process.execPath, [CLI, ...ARGS, ...extra, '--runs-dir', runs], {
    encoding: 'utf8', env: { ...process.env, HYPERRL_BACKEND: 'native', HYPERRL_THREADS: String(threads) },
  });
  assert.equal(r.status, 0, r.stderr);
  const dir = join(runs, readdirSync(runs)[0]!);
  const backend = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { versions: { backend: string } }).versions.backend;
  assert.match(backend, new RegExp(`, ${threads} threads?\\)$`), `the run used the thread count it was given: ${backend}`);
  return dir;
}

function assertSameRuns(extra: string[]): void {
  const one = trainWith(1, extra), two = trainWith(2, extra);
  const m1 = metrics(one);
  assert.ok(m1.split('\n').length >= 4 && m1.includes('losses/qf_loss'), 'the runs logged losses');
  assert.equal(metrics(two), m1);
  for (const f of ['params.safetensors', 'optim.safetensors']) {
    assert.ok(readFileSync(checkpointFile(one, f)).equals(readFileSync(checkpointFile(two, f))), `${f} differs between 1 and 2 threads`);
  }
}

const skip = info.available ? false : `native addon not built: ${info.error}`;
it('TD3 with the MLP critic gives identical results on 1 and 2 threads', { skip }, () => assertSameRuns([]));
it('TD3 with the compact hyper critic gives identical results on 1 and 2 threads', { skip }, () => assertSameRuns(['--critic', 'hyper', '--hyper-preset', 'compact']));
