/**
 * The runner on the smoke spec: killed mid-way (SIGKILL, no cleanup), its children stop
 * with a checkpoint when their IPC channel closes; rerunning the same command skips the
 * finished cells, resumes the others and writes the report.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from '../../src/experiments/runner.js';
import { cells, readSpec } from '../../src/experiments/spec.js';
import { readEvalCurve } from '../../src/experiments/report.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { checkpointStep } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const SPEC = new URL('../../../results/hyperl/specs/smoke.json', import.meta.url).pathname;


it('resumes an experiment killed mid-way: finished runs are skipped, unfinished ones resumed', async () => {
  const out = mkdtempSync(join(tmpdir(), 'hyperrl-experiment-'));
  const spec = await readSpec(SPEC);
  const runDirs = cells(spec).map((c) => join(out, 'runs', c.id));
  const args = [CLI, 'experiment', SPEC, '--jobs', '2', '--out', out];

  const runner = spawn(process.execPath, args, { stdio: 'ignore' });
  // Kill the runner once some run is finished and another has checkpointed but not finished.
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      const done = runDirs.filter((d) => existsSync(join(d, 'done.json')));
      const midway = runDirs.filter((d) => !existsSync(join(d, 'done.json')) && checkpointStep(d) >= 400);
      if (done.length >= 1 && midway.length >= 1) { clearInterval(poll); runner.kill('SIGKILL'); resolve(); }
    }, 50);
    runner.on('exit', () => { clearInterval(poll); reject(new Error('the experiment finished before it could be killed')); });
  });
  const doneBefore = runDirs.filter((d) => existsSync(join(d, 'done.json')));
  assert.ok(doneBefore.length >= 1 && doneBefore.length < runDirs.length);

  const rerun = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stdout + rerun.stderr);
  assert.match(rerun.stdout, new RegExp(`${doneBefore.length} already done, [1-9] to resume`));
  for (const d of doneBefore) assert.doesNotMatch(rerun.stdout, new RegExp(`(start|resume) ${d.split('/').pop()!}`));
  for (const d of runDirs) {
    assert.ok(existsSync(join(d, 'done.json')), `${d} finished`);
    const curve = readEvalCurve(d);
    assert.deepEqual(curve.steps, [0, 500, 1000, 1500, 2000, 2500, 3000], `${d}: one evaluation per 500 steps, none repeated`);
    assert.equal(readFileSync(join(d, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('eval/return_mean')).length, 7);
  }
  const md = readFileSync(join(out, 'results.md'), 'utf8');
  assert.match(md, /## Pendulum-v1 · TD3/);
  assert.match(md, /\| mlp \| 2 \| 3k \|/);
  assert.match(md, /\| hyper \| 2 \| 3k \|/);
  assert.ok(existsSync(join(out, 'learning-curves.svg')));

  // A third run has nothing left to do.
  const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(again.status, 0);
  assert.match(again.stdout, /4 runs, 4 already done/);
});

it('train with an explicit run folder refuses one that already holds a run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-rundir-'));
  writeFileSync(join(dir, 'config.json'), '{}');
  await assert.rejects(train({ config: resolveTrainConfig({ totalSteps: 10 }), runDir: dir, quiet: true }), /already holds a run; resume it instead/);
});

it('runs the gradient diagnostic of finished runs that kept snapshots, and only once', () => {
  const out = mkdtempSync(join(tmpdir(), 'hyperrl-experiment-diag-'));
  const specFile = join(out, 'spec.json');
  writeFileSync(specFile, JSON.stringify({
    name: 'diag', grid: { env: ['Hopper-v5'], algo: ['td3'], critic: ['mlp'], seed: [1] },
    train: { totalSteps: 600, learningStarts: 200, randomSteps: 200, evalEvery: 600, evalEpisodes: 1, checkpointEvery: 300, snapshotEvery: 300, logEvery: 200, actorHidden: [16, 16], criticHidden: [16, 16], batchSize: 32 },
    diagnose: { states: 3, actions: 5, maxEpisodeSteps: 30 },
  }));
  const args = [CLI, 'experiment', specFile, '--jobs', '1', '--out', out];
  const runDir = join(out, 'runs', 'Hopper-v5__td3-mlp__1');
  const steps = (): number[] => (JSON.parse(readFileSync(join(runDir, 'diagnostics', 'grad.json'), 'utf8')) as { checkpoints: { step: number }[] }).checkpoints.map((c) => c.step);

  const first = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stdout + first.stderr);
  // The finish line says how the run ended: its last evaluation and its critic's peak |mean Q|.
  assert.match(first.stdout, /finished Hopper-v5__td3-mlp__1 in \S+: eval return -?\d+\.\d, peak \|mean Q\| \d/);
  assert.match(first.stdout, /diagnosed Hopper-v5__td3-mlp__1/);
  assert.deepEqual(steps(), [300, 600]);

  const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(again.status, 0);
  assert.match(again.stdout, /1 runs, 1 already done, 0 to resume/);
  assert.doesNotMatch(again.stdout, /diagnose/);

  // A finished run whose diagnostic was lost (or interrupted) gets it without retraining.
  rmSync(join(runDir, 'diagnostics'), { recursive: true });
  const third = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(third.status, 0, third.stdout + third.stderr);
  assert.match(third.stdout, /1 already done \(1 without their gradient diagnostic\)/);
  assert.doesNotMatch(third.stdout, /(start|resume) Hopper/);
  assert.deepEqual(steps(), [300, 600]);
});

/** A spec of Pendulum TD3 MLP runs in a fresh folder; returns the spec file and the folder. */
function pendulumSpec(name: string, seeds: number[], train: Record<string, unknown>): { specFile: string; out: string } {
  const out = mkdtempSync(join(tmpdir(), `hyperrl-experiment-${name}-`));
  const specFile = join(out, 'spec.json');
  writeFileSync(specFile, JSON.stringify({ name, grid: { env: ['Pendulum-v1'], algo: ['td3'], critic: ['mlp'], seed: seeds }, train }));
  return { specFile, out };
}

it('under a time limit, starts no run that the finished seeds say cannot finish in time', () => {
  const { specFile, out } = pendulumSpec('limit', [1, 2], { totalSteps: 3000, learningStarts: 1000, randomSteps: 1000, evalEvery: 1500 });
  // Seed 1 "finished" at 1 step/s: 3000 s for the cell, far past a 60 s limit.
  const seed1 = join(out, 'runs', 'Pendulum-v1__td3-mlp__1');
  mkdirSync(seed1, { recursive: true });
  writeFileSync(join(seed1, 'metrics.jsonl'), [0, 1500, 3000].map((step) => JSON.stringify({ step, 'eval/return_mean': -1000, 'perf/sps': 1 })).join('\n') + '\n');
  writeFileSync(join(seed1, 'done.json'), '{}\n');
  const r = spawnSync(process.execPath, [CLI, 'experiment', specFile, '--out', out, '--time-limit', '60s'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /time limit: not started Pendulum-v1__td3-mlp__2 \(estimated not to finish in the time left\)/);
  assert.match(r.stdout, /1 left by the time limit/);
  assert.ok(!existsSync(join(out, 'runs', 'Pendulum-v1__td3-mlp__2', 'train.log')), 'seed 2 was not started');
  const bad = spawnSync(process.execPath, [CLI, 'experiment', specFile, '--out', out, '--time-limit', '1h30'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--time-limit: expected a positive duration such as 2h30m/);
});

it('at the time limit, stops the running runs with a checkpoint to resume from', () => {
  const { specFile, out } = pendulumSpec('deadline', [1], { totalSteps: 200000, learningStarts: 500, randomSteps: 500, evalEvery: 100000, evalEpisodes: 1, checkpointEvery: 1000, actorHidden: [16, 16], criticHidden: [16, 16], batchSize: 32 });
  const r = spawnSync(process.execPath, [CLI, 'experiment', specFile, '--out', out, '--time-limit', '6s'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /time limit reached: stopping 1 runs/);
  assert.match(r.stdout, /stopped Pendulum-v1__td3-mlp__1 at step \d+ \(checkpoint\)/);
  const dir = join(out, 'runs', 'Pendulum-v1__td3-mlp__1');
  const step = checkpointStep(dir);
  assert.ok(step > 0 && step < 200000, `checkpoint at step ${step}`);
  assert.ok(!existsSync(join(dir, 'done.json')));
});

it('shares the cores among the runs it starts at once, unless HYPERRL_THREADS chooses a thread count', () => {
  assert.equal(childEnv(2, {}, 8).HYPERRL_THREADS, '4');
  assert.equal(childEnv(3, {}, 8).HYPERRL_THREADS, '2');
  assert.equal(childEnv(4, {}, 2).HYPERRL_THREADS, '1');
  assert.equal(childEnv(2, { HYPERRL_THREADS: '3' }, 8).HYPERRL_THREADS, '3');
});

it('--shard i/n runs only its slice of the grid (here: the finished seed 2 of seeds 1, 2)', () => {
  const { specFile, out } = pendulumSpec('shard', [1, 2], { totalSteps: 3000 });
  // Seed 2 is finished (as another shard would have left it): shard 1/2 has nothing to run.
  const seed2 = join(out, 'runs', 'Pendulum-v1__td3-mlp__2');
  mkdirSync(seed2, { recursive: true });
  writeFileSync(join(seed2, 'metrics.jsonl'), [0, 1500, 3000].map((step) => JSON.stringify({ step, 'eval/return_mean': -1000, 'perf/sps': 100 })).join('\n') + '\n');
  writeFileSync(join(seed2, 'done.json'), '{}\n');
  const r = spawnSync(process.execPath, [CLI, 'experiment', specFile, '--out', out, '--shard', '1/2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /experiment shard: 1 runs, 1 already done, 0 to resume, 0 to start/);
  assert.ok(!existsSync(join(out, 'runs', 'Pendulum-v1__td3-mlp__1')), 'seed 1 belongs to shard 0/2');
  const empty = spawnSync(process.execPath, [CLI, 'experiment', specFile, '--out', out, '--shard', '5/8'], { encoding: 'utf8' });
  assert.equal(empty.status, 0, empty.stdout + empty.stderr);
  assert.match(empty.stdout, /experiment shard: 0 runs/);
  const bad = spawnSync(process.execPath, [CLI, 'experiment', specFile, '--out', out, '--shard', '2/2'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--shard: expected i\/n with 0 ≤ i < n/);
});

/** A lock on `dir` as `hyperrl train` writes it, held by a live process of this host (a `sleep`, to be killed by the caller). */
function holdFolder(dir: string): ChildProcess {
  const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
  const now = new Date().toISOString();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lock'), JSON.stringify({ host: hostname(), pid: holder.pid, command: 'hyperrl train', startedAt: now, heartbeat: now, token: 'other-runner' }) + '\n');
  return holder;
}

/** `hyperrl experiment` with one job, in the background; `output()`: its stdout and stderr so far. */
function startRunner(specFile: string, out: string): { runner: ChildProcess; output: () => string } {
  const runner = spawn(process.execPath, [CLI, 'experiment', specFile, '--jobs', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  runner.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
  runner.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
  return { runner, output: () => text };
}

/** Resolves with the runner's output so far once `done` holds for it; rejects if the runner exits first or after `seconds`. */
function until(runner: ChildProcess, output: () => string, done: (out: string) => boolean, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => { clearInterval(poll); reject(new Error(`not within ${seconds} s; runner output:\n${output()}`)); }, seconds * 1000);
    const poll = setInterval(() => {
      if (!done(output())) return;
      clearInterval(poll); clearTimeout(timeout); resolve(output());
    }, 50);
    runner.on('exit', () => { clearInterval(poll); clearTimeout(timeout); reject(new Error(`the runner exited early:\n${output()}`)); });
  });
}

/** The runner's exit status, or 'still running' if it has not exited within `seconds`. */
function exitWithin(runner: ChildProcess, seconds: number): Promise<number | null | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`still running ${seconds} s later`), seconds * 1000);
    runner.on('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

const TINY = { totalSteps: 400, learningStarts: 200, randomSteps: 200, evalEvery: 400, evalEpisodes: 1, checkpointEvery: 400, actorHidden: [16, 16], criticHidden: [16, 16], batchSize: 32 };

it('sets aside a cell that another live process holds, runs the free ones, then skips it once that process has finished it', async () => {
  const { specFile, out } = pendulumSpec('held', [1, 2], TINY);
  const heldDir = join(out, 'runs', 'Pendulum-v1__td3-mlp__1');
  const holder = holdFolder(heldDir);
  const { runner, output } = startRunner(specFile, out);
  try {
    // Seed 1 comes first in grid order; with one job the runner used to wait on it for as long as its holder ran.
    await until(runner, output, (o) => /waiting for Pendulum-v1__td3-mlp__1/.test(o), 120);
    assert.match(output(), /set aside Pendulum-v1__td3-mlp__1 while it is in use \(.* is in use by hyperrl train \(pid \d+ on this host/);
    assert.match(output(), /finished Pendulum-v1__td3-mlp__2/);
    assert.ok(existsSync(join(out, 'runs', 'Pendulum-v1__td3-mlp__2', 'done.json')));
    assert.ok(!existsSync(join(heldDir, 'train.log')), 'the held cell was not touched');
    // The other process finishes the held cell and lets go of its lock.
    writeFileSync(join(heldDir, 'metrics.jsonl'), [0, 400].map((step) => JSON.stringify({ step, 'eval/return_mean': -1000, 'perf/sps': 100 })).join('\n') + '\n');
    writeFileSync(join(heldDir, 'done.json'), '{}\n');
    holder.kill();
    const code = await new Promise<number | null>((resolve) => runner.on('exit', (c) => resolve(c)));
    assert.equal(code, 0, output());
    assert.match(output(), /Pendulum-v1__td3-mlp__1 was finished meanwhile by another process/);
    assert.match(output(), /1 finished now, 1 were done, 0 failed/);
    assert.doesNotMatch(output(), /(start|resume) Pendulum-v1__td3-mlp__1/);
  } finally {
    holder.kill();
    runner.kill('SIGKILL');
  }
});

it('exits at once with status 75 on SIGTERM while it only waits for a held cell', async () => {
  const { specFile, out } = pendulumSpec('held-signal', [1], TINY);
  const holder = holdFolder(join(out, 'runs', 'Pendulum-v1__td3-mlp__1'));
  const { runner, output } = startRunner(specFile, out);
  try {
    await until(runner, output, (o) => /waiting/.test(o), 60);
    const exited = exitWithin(runner, 10);
    runner.kill('SIGTERM');
    assert.equal(await exited, 75, output());
    assert.match(output(), /interrupt: no run going here; stopping now; rerun the same command to resume/);
    assert.match(output(), /0 finished now, 0 were done, 0 failed, interrupted/);
    assert.ok(!existsSync(join(out, 'results.md')), 'an interrupted runner writes no report');
  } finally {
    holder.kill();
    runner.kill('SIGKILL');
  }
});

it('quits at once on a second SIGTERM (143), its running child too', async () => {
  // Wide critics make each learning step slow, so the child is still in its second episode (it stops
  // at an episode end, step 400) when the second signal arrives: first logged row at step 250.
  const { specFile, out } = pendulumSpec('second-signal', [1], { totalSteps: 200000, learningStarts: 256, randomSteps: 256, batchSize: 256, criticHidden: [1024, 1024], actorHidden: [1024, 1024], logEvery: 250, evalEvery: 100000, evalEpisodes: 1, checkpointEvery: 1000 });
  const { runner, output } = startRunner(specFile, out);
  const runDir = join(out, 'runs', 'Pendulum-v1__td3-mlp__1');
  try {
    await until(runner, output, (o) => /start Pendulum-v1__td3-mlp__1/.test(o) && existsSync(join(runDir, 'lock')) && existsSync(join(runDir, 'metrics.jsonl')) && readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').includes('"step":250'), 60);
    const exited = exitWithin(runner, 10);
    runner.kill('SIGTERM');
    // Signals are not queued: a second SIGTERM that arrives before the runner has handled the first
    // merges with it. Send it once the first was handled, while the child is still stopping.
    await until(runner, output, (o) => /interrupt: stopping 1 runs/.test(o), 10);
    runner.kill('SIGTERM');
    assert.equal(await exited, 143, output());
    assert.match(output(), /SIGTERM again: stopping 1 runs at once \(their last checkpoint remains\); quitting/);
    // The child got both signals too: it quits and releases the run folder's lock.
    for (let i = 0; i < 100 && existsSync(join(runDir, 'lock')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!existsSync(join(runDir, 'lock')), 'the child quit and released its lock');
  } finally {
    runner.kill('SIGKILL');
  }
});
