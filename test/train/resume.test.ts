/**
 * A run killed mid-way (SIGKILL: no chance to clean up) and resumed from its last
 * checkpoint ends bit-identical to an uninterrupted run with the same seed: same
 * parameters, optimiser state and replay buffer, same logged metrics.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const ARGS = ['train', '--actor-hidden', '64,64', '--critic-hidden', '64,64', '--batch-size', '64', '--total-steps', '3000',
  '--learning-starts', '500', '--random-steps', '500', '--checkpoint-every', '400', '--eval-every', '1000', '--log-every', '200', '--quiet'];

const runDirIn = (runs: string): string => join(runs, readdirSync(runs)[0]!);
const checkpointStep = (dir: string): number => {
  const meta = join(dir, 'checkpoint', 'meta.json');
  return existsSync(meta) ? (JSON.parse(readFileSync(meta, 'utf8')) as { step: number }).step : 0;
};
/** Metrics without wall-clock measurements. */
const metrics = (dir: string): string => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
  .map((l) => { const o = JSON.parse(l) as Record<string, number>; delete o['perf/sps']; return JSON.stringify(o); }).join('\n');

/** Checkpoint metadata without wall-clock fields. */
const meta = (dir: string): string => {
  const m = JSON.parse(readFileSync(join(dir, 'checkpoint', 'meta.json'), 'utf8')) as Record<string, unknown>;
  delete m.elapsed;
  delete m.savedAt;
  return JSON.stringify(m);
};

async function killAndResume(extra: string[], args = ARGS, files = ['params.safetensors', 'optim.safetensors', 'replay.safetensors']): Promise<void> {
  const straight = tempRuns('straight');
  const done = spawnSync(process.execPath, [CLI, ...args, ...extra, '--runs-dir', straight], { encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);

  const killed = tempRuns('killed');
  const child = spawn(process.execPath, [CLI, ...args, ...extra, '--runs-dir', killed], { stdio: 'ignore' });
  let dir = '';
  // Kill it as soon as a checkpoint beyond the first update exists.
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (readdirSync(killed).length > 0) dir = runDirIn(killed);
      if (dir && checkpointStep(dir) >= 800) { clearInterval(poll); child.kill('SIGKILL'); resolve(); }
    }, 20);
    child.on('exit', () => { clearInterval(poll); if (!dir || checkpointStep(dir) >= 3000) reject(new Error('the run finished before it could be killed')); else resolve(); });
  });
  await new Promise((r) => child.on('close', r));
  const stoppedAt = checkpointStep(dir);
  assert.ok(stoppedAt > 0 && stoppedAt < 3000, `killed with a checkpoint at step ${stoppedAt}`);

  const resumed = spawnSync(process.execPath, [CLI, 'train', '--resume', dir, '--quiet'], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  const a = join(runDirIn(straight), 'checkpoint'), b = join(dir, 'checkpoint');
  for (const f of files) {
    assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs after resuming from step ${stoppedAt}`);
  }
  assert.equal(meta(dir), meta(runDirIn(straight)));
  assert.equal(metrics(dir), metrics(runDirIn(straight)));
}

it('resumes a killed run bit-identically to an uninterrupted one', () => killAndResume([]));

// The hyper critic (its primary network, heads, target copy and their Adam moments) and SAC (its
// temperature and that optimiser too) go through the same checkpoint: the reproduction resumes both.
it('resumes HyperTD3 bit-identically', () => killAndResume(['--critic', 'hyper']));
it('resumes SAC with the hyper critic bit-identically', () => killAndResume(['--algo', 'sac', '--critic', 'hyper']));

// The observation statistics travel in the checkpoint: without them the resumed run would act and learn on differently scaled inputs.
it('resumes bit-identically with observation normalisation', () => killAndResume(['--normalize-obs']));

// PPO: checkpoints between rollouts restart the envs (in both runs), and carry the observation
// and reward statistics (in meta.json); two envs stepped on two worker threads.
const PPO_ARGS = ['train', '--algo', 'ppo', '--num-envs', '2', '--num-steps', '100', '--num-minibatches', '4', '--update-epochs', '2', '--total-steps', '3000',
  '--checkpoint-every', '400', '--eval-every', '1000', '--quiet'];
it('resumes PPO bit-identically (observation and reward normalisation, async vector env)', () =>
  killAndResume(['--vector-env', 'async', '--workers', '2'], PPO_ARGS, ['params.safetensors', 'optim.safetensors']));

it('writes a checkpoint at the end of the episode on SIGINT, and `hyperrl eval` re-evaluates it', async () => {
  const runs = tempRuns('sigint');
  // Checkpoints far apart: the interrupt must be noticed at the next episode end, not the next checkpoint.
  const child = spawn(process.execPath, [CLI, ...ARGS.filter((a) => a !== '--quiet'), '--total-steps', '100000', '--checkpoint-every', '50000', '--runs-dir', runs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (/step 1000: eval/.test(out)) { clearInterval(poll); child.kill('SIGINT'); resolve(); }
    }, 20);
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, out);
  const dir = runDirIn(runs);
  const step = checkpointStep(dir);
  assert.ok(step >= 1000 && step <= 1400 && step % 200 === 0, `checkpoint at step ${step} should be the first episode ends after the interrupt at step ~1000`);
  assert.match(out, new RegExp(`stopped at step ${step}; resume with: hyperrl train --resume`));
  const ev = spawnSync(process.execPath, [CLI, 'eval', dir, '--episodes', '2'], { encoding: 'utf8' });
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, new RegExp(`at step ${step}: return -?\\d+\\.\\d ± \\d+\\.\\d over 2 episodes`));
});
