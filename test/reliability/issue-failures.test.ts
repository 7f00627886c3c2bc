/**
 * Every failure the adversarial review of issue 20 observed, reproduced as it was seen (mostly
 * through the `hyperrl` command, as a user or a cluster scheduler meets it) and now handled:
 *   1. a NaN env poisoned the weights and the run exited 0;
 *   2. the experiment runner deleted a run that a kill between the checkpoint's renames left recoverable;
 *   3. two kills in a row lost the whole run;
 *   4. a partial metrics line (full disk) made a run unresumable;
 *   5. two resumes of one run at once both ran, interleaving their rows;
 *   6. a flipped byte loaded, an edited config.json was not re-validated, SIGTERM/SIGHUP lost the
 *      work since the last checkpoint, a finished run's resume duplicated its final evaluation,
 *      the last evaluation was labelled with the wrong step, and loose value parsing.
 * The case-by-case error texts are in adversarial.test.ts.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellRunDir, cells, readSpec } from '../../src/experiments/spec.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { checkpointStep } from '../helpers/train.js';
import { editConfig, finishedRunCopy, flipByte, scratchPath, toLegacy } from './run-folders.js';
import { fingerprint, runTiny, TINY_PPO } from './tiny-run.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const FAULTY_ENVS = new URL('../envs/faulty-envs.js', import.meta.url).pathname;

/** Pendulum, 200-step episodes, small networks: 1200 steps take a few seconds. */
const PEND = { env: 'Pendulum-v1', totalSteps: 1200, learningStarts: 200, randomSteps: 200, batchSize: 32, actorHidden: [16, 16], criticHidden: [16, 16], evalEvery: 400, evalEpisodes: 1, checkpointEvery: 200, logEvery: 200, seed: 4 };
const PEND_FLAGS = Object.entries(PEND).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${Array.isArray(v) ? v.join(',') : v}`);

const cli = (...args: string[]): SpawnSyncReturns<string> => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/** The uninterrupted run's folder (trained once), to compare continued runs with. */
let straight: Promise<string> | null = null;
const straightRun = (): Promise<string> => (straight ??= (async () => {
  const dir = scratchPath('straight');
  await train({ config: resolveTrainConfig(PEND), runDir: dir, quiet: true });
  return dir;
})());

/** A run of PEND stopped with a checkpoint at `step` (an episode end). */
async function stoppedAt(step: number, dir = scratchPath('stopped')): Promise<string> {
  const r = await train({ config: resolveTrainConfig(PEND), ...(existsSync(join(dir, 'config.json')) ? { resumeDir: dir } : { runDir: dir }), quiet: true, stopAtStep: step });
  assert.equal(r.stoppedBy, 'stopAtStep');
  return dir;
}

/** Spawn `hyperrl train` with `args`, collecting its output; resolves on exit with the status. */
function spawnTrain(args: string[], onOutput?: (all: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: string | null; out: string }> {
  const child = spawn(process.execPath, [CLI, 'train', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const take = (d: Buffer): void => {
    out += d.toString();
    onOutput?.(out, child);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
}

it('1. an env returning NaN stops the run at the door, naming env, episode, step and field, with exit status 3', () => {
  const dir = scratchPath('nan-env');
  const r = cli('train', '--import', FAULTY_ENVS, '--env', 'NanObservation-v0', '--run-dir', dir, '--total-steps', '600', '--learning-starts', '100',
    '--random-steps', '100', '--batch-size', '16', '--actor-hidden', '8', '--critic-hidden', '8', '--eval-every', '600', '--eval-episodes', '1',
    '--checkpoint-every', '100', '--quiet');
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /NanObservation-v0: observation\[1\] is NaN at step 50 of training episode 1; an env must return finite float32 observations and rewards/);
  // Nothing poisoned was saved: the only checkpoint is the one before the NaN (episode 0's end).
  assert.equal(checkpointStep(dir), 200);
});

it('2. the experiment runner resumes a run that a kill left with only checkpoint.old, or with a generation cut short', async () => {
  const out = scratchPath('experiment');
  mkdirSync(out, { recursive: true });
  const specFile = join(out, 'spec.json');
  const { env, seed, ...shared } = PEND;
  writeFileSync(specFile, JSON.stringify({ name: 'kill-between-renames', grid: { env: [env], algo: ['td3'], critic: ['mlp'], seed: [seed, seed + 1] }, train: shared }));
  const [legacyCell, partialCell] = cells(await readSpec(specFile));
  // Seed 4: the state a kill between format 1's two renames left (`checkpoint` renamed to `.old`, `.tmp` not yet renamed in).
  const legacy = cellRunDir(out, legacyCell!);
  await train({ config: resolveTrainConfig(legacyCell!.train), runDir: legacy, quiet: true, stopAtStep: 400 });
  toLegacy(legacy, 'checkpoint.old');
  // Seed 5: a kill during the next generation's write (a copy of the complete one, as `.partial`).
  const partial = cellRunDir(out, partialCell!);
  await train({ config: resolveTrainConfig(partialCell!.train), runDir: partial, quiet: true, stopAtStep: 600 });
  const gens = join(partial, 'checkpoints');
  cpSync(join(gens, readdirSync(gens)[0]!), join(gens, 'g000099-step-800.partial'), { recursive: true });

  const r = cli('experiment', specFile, '--out', out, '--jobs', '1');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /0 already done, 2 to resume, 0 to start/);
  assert.match(r.stdout, new RegExp(`resume ${legacyCell!.id} at step 400`));
  assert.match(r.stdout, new RegExp(`resume ${partialCell!.id} at step 600`));
  // Each continued exactly where it stopped: the same logs and checkpoint as an uninterrupted run of its seed.
  const reference = scratchPath('seed5');
  await train({ config: resolveTrainConfig(partialCell!.train), runDir: reference, quiet: true });
  assert.equal(fingerprint(partial, false), fingerprint(reference, false));
  assert.equal(fingerprint(legacy, false), fingerprint(await straightRun(), false));
});

it('3. two kills in a row: a complete checkpoint.tmp next to an older checkpoint.old is resumed from', async () => {
  const dir = await stoppedAt(400);
  const older = scratchPath('older');
  mkdirSync(older);
  toLegacy(dir, 'checkpoint.old', older); // kept aside while the run goes on
  await stoppedAt(600, dir);
  toLegacy(dir, 'checkpoint.tmp');
  cpSync(join(older, 'checkpoint.old'), join(dir, 'checkpoint.old'), { recursive: true });
  const r = cli('train', '--resume', dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resuming .* at step 600 \(episode 3\) from .*checkpoint\.tmp/);
  assert.equal(fingerprint(dir), fingerprint(await straightRun()));
});

it('4. partial last lines in metrics.jsonl and metrics.csv (a full disk) are cut back on resume', async () => {
  const dir = await stoppedAt(600);
  appendFileSync(join(dir, 'metrics.jsonl'), '{"step":610,"losses/qf_lo');
  appendFileSync(join(dir, 'metrics.csv'), '610,losses/q');
  const r = cli('train', '--resume', dir, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fingerprint(dir), fingerprint(await straightRun()));
});

it('5. of two resumes of one run at once, one runs and the other is refused naming the holder (exit status 4)', async () => {
  const dir = await stoppedAt(200);
  const [a, b] = await Promise.all([spawnTrain(['--resume', dir, '--quiet']), spawnTrain(['--resume', dir, '--quiet'])]);
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 4], `${a.out}\n${b.out}`);
  assert.match((a.code === 4 ? a : b).out, /is in use by hyperrl train --resume \(pid \d+ on this host, started .*\); wait for it to finish or stop it/);
  assert.equal(fingerprint(dir), fingerprint(await straightRun()));
});

it('6a. a flipped byte in a checkpoint is refused, naming the file; an edited config.json is re-validated', async () => {
  const damaged = await stoppedAt(400);
  flipByte(damaged, 'replay.safetensors', 300);
  const r = cli('train', '--resume', damaged);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /step-400\/replay\.safetensors: checksum mismatch .*: the file is damaged/);

  const edited = await stoppedAt(400);
  editConfig(edited, (c) => { c.agent.policyNoise = -1; });
  const e = cli('train', '--resume', edited);
  assert.equal(e.status, 2);
  assert.match(e.stderr, /config\.json: td3: config 'policyNoise' must be a non-negative number, got -1/);
});

for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  it(`6b. ${signal} stops the run at the episode end with a checkpoint (exit status 75), and the resume is bit-identical`, async () => {
    const dir = scratchPath(signal);
    let sent = false;
    const r = await spawnTrain([...PEND_FLAGS, '--run-dir', dir], (out, child) => {
      if (!sent && /step 400: eval/.test(out)) { sent = true; child.kill(signal); }
    });
    assert.equal(r.code, 75, r.out);
    assert.match(r.out, new RegExp(`${signal}: finishing the episode to write a checkpoint \\(a second signal quits at once\\)`));
    const step = checkpointStep(dir);
    assert.ok(step >= 400 && step < 1200, `checkpoint at step ${step}`);
    // The last evaluation carries its own step, not the step the run stopped at.
    assert.match(r.out, new RegExp(`evaluation return -?\\d+\\.\\d ± \\d+\\.\\d over 1 episodes at step ${Math.floor(step / 400) * 400} \\(stopped at step ${step} by ${signal}\\)`));
    const resumed = cli('train', '--resume', dir, '--quiet');
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(fingerprint(dir), fingerprint(await straightRun()));
  });
}

it('6c. a second SIGTERM quits at once, mid-episode, with exit status 143', async () => {
  const dir = scratchPath('twice');
  // HalfCheetah's 1000-step episodes with 256-wide networks take seconds: the second signal comes well before the episode's end.
  const args = ['--env', 'HalfCheetah-v5', '--total-steps', '100000', '--learning-starts', '100', '--random-steps', '100', '--batch-size', '100',
    '--eval-every', '100000', '--eval-episodes', '1', '--checkpoint-every', '100', '--run-dir', dir];
  let sent = 0;
  const r = await spawnTrain(args, (out, child) => {
    if (sent === 0 && /step 0: eval/.test(out)) { sent = 1; child.kill('SIGTERM'); }
    if (sent === 1 && /SIGTERM: finishing the episode/.test(out)) { sent = 2; child.kill('SIGTERM'); }
  });
  assert.equal(r.code, 143, r.out);
  assert.doesNotMatch(r.out, /stopped at step/);
  assert.equal(checkpointStep(dir), 0, 'quit before the episode end, so before any checkpoint');
});

it('6d. resuming a finished run logs nothing twice; the final evaluation is reported with its step', async () => {
  const dir = scratchPath('finished');
  cpSync(await straightRun(), dir, { recursive: true });
  const before = fingerprint(dir);
  const r = cli('train', '--resume', dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /evaluation return -?\d+\.\d ± \d+\.\d over 1 episodes at step 1200 \(/);
  assert.equal(fingerprint(dir), before);
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('eval/return_mean')).length, 4);
});

it('6e. values are parsed strictly and bad settings and paths fail at once, with exit status 2 (usage) or 1', () => {
  for (const [args, error] of [
    [['--total-steps', '0x10'], /--total-steps: expected a decimal number, got '0x10'/],
    [['--no-total-steps', '300'], /--no-total-steps: only on\/off options take --no-/],
    [['--batch-size', '100000', '--buffer-size', '50'], /'batchSize' \(100000\) is larger than the replay buffer \('bufferSize' 50\)/],
  ] as const) {
    const r = cli('train', ...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, error);
  }
  const t0 = performance.now();
  const proc = cli('train', ...PEND_FLAGS, '--runs-dir', '/proc/x');
  assert.equal(proc.status, 1);
  assert.match(proc.stderr, /cannot create folder \/proc\/x: ENOENT/);
  assert.ok(performance.now() - t0 < 60_000, 'fails fast instead of looping');
  // --quiet=false is honoured: progress lines are printed.
  const loud = cli('train', ...PEND_FLAGS, '--total-steps', '200', '--learning-starts', '100', '--quiet=false', '--run-dir', scratchPath('loud'));
  assert.equal(loud.status, 0, loud.stderr);
  assert.match(loud.stderr, /step 0: eval return/);
});

// The on-policy loop (PPO) shares every protection: stop signals end the run at a rollout's end.
const PPO_RUN = { algo: 'ppo', env: 'Pendulum-v1', numEnvs: 2, numSteps: 100, numMinibatches: 2, updateEpochs: 2, actorHidden: [16], criticHidden: [16],
  totalSteps: 1200, evalEvery: 400, evalEpisodes: 1, checkpointEvery: 200, seed: 4 };
const PPO_FLAGS = Object.entries(PPO_RUN).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${Array.isArray(v) ? v.join(',') : v}`);

it('6b (PPO). SIGTERM stops a PPO run at the rollout end with a checkpoint (exit status 75), and the resume is bit-identical', async () => {
  const straightPpo = scratchPath('ppo-straight');
  await train({ config: resolveTrainConfig(PPO_RUN), runDir: straightPpo, quiet: true });
  const dir = scratchPath('ppo-sigterm');
  let sent = false;
  const r = await spawnTrain([...PPO_FLAGS, '--run-dir', dir], (out, child) => {
    if (!sent && /step 0: eval/.test(out)) { sent = true; child.kill('SIGTERM'); }
  });
  assert.equal(r.code, 75, r.out);
  assert.match(r.out, /SIGTERM: finishing the rollout to write a checkpoint \(a second signal quits at once\)/);
  const step = checkpointStep(dir);
  // Every rollout end is a scheduled checkpoint here (checkpointEvery = numEnvs × numSteps), so the envs restart there in both runs.
  assert.ok(step >= 200 && step < 1200 && step % 200 === 0, `checkpoint at step ${step}`);
  assert.match(r.out, new RegExp(`stopped at step ${step} by SIGTERM`));
  const resumed = cli('train', '--resume', dir, '--quiet');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(fingerprint(dir), fingerprint(straightPpo));
});

it('6d (PPO). resuming a finished PPO run logs nothing twice and writes no checkpoint', async () => {
  const dir = await finishedRunCopy(TINY_PPO);
  const before = fingerprint(dir);
  const r = await runTiny(dir);
  assert.equal(r.finalEval.step, 40);
  assert.equal(fingerprint(dir), before);
});
