/**
 * The experiment queue against a real Redis (test/helpers/redis.ts starts one, or the tests are
 * skipped with the reason): two worker processes share a grid of tiny Pendulum runs, one is
 * SIGKILLed mid-run and its cell is resumed and finished by the other, every cell's numbers are
 * byte-identical to a local `hyperrl experiment` run and no cell finishes twice; a Redis restart
 * mid-grid is survived; enqueuing is idempotent; mismatches and an unreachable Redis are errors
 * that say so.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { EXPERIMENTS_KEY, identityOf, jobId, PREFIX, QUEUE, redisOptions, type ExperimentRecord } from '../../src/experiments/queue.js';
import { loggedStep, trainFlags } from '../../src/experiments/runner.js';
import { cells, parseSpec } from '../../src/experiments/spec.js';
import type { LockHolder } from '../../src/train/run-lock.js';
import { packageVersion } from '../../src/core/version.js';
import { startRedis } from '../helpers/redis.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const BREAKING_ENV = new URL('../../../test/fixtures/queue/breaking-env.mjs', import.meta.url).pathname;

/** Tiny Pendulum TD3 runs: a few seconds each, checkpoints every 200 steps. */
const TRAIN = { totalSteps: 1600, learningStarts: 400, randomSteps: 400, evalEvery: 400, evalEpisodes: 1, checkpointEvery: 200, actorHidden: [16, 16], criticHidden: [16, 16], batchSize: 32 };

function writeSpec(name: string, seeds: number[], train: Record<string, unknown> = TRAIN): { specFile: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), `hyperrl-queue-${name}-`));
  const specFile = join(root, 'spec.json');
  writeFileSync(specFile, JSON.stringify({ name, grid: { env: ['Pendulum-v1'], algo: ['td3'], critic: ['mlp'], seed: seeds }, train }));
  return { specFile, root };
}

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startWorker(url: string, env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--until-empty', '--stall-seconds', '2', '--progress-every', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { out += String(d); });
  return { child, output: () => out, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A worker's exit code, failing the test with its output if it does not exit in time. */
async function exitCode(w: WorkerProcess, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); });
  const code = await Promise.race([w.exited, timeout]);
  clearTimeout(timer);
  if (code === 'timeout') {
    w.child.kill('SIGKILL');
    assert.fail(`worker did not finish in ${ms / 1000} s:\n${w.output()}`);
  }
  return code;
}

/** A run's metric rows without the timing ones (perf/*): what must be equal wherever the run ran. */
function numbers(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n')
    .map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !k.startsWith('perf/'))))
    .filter((row) => Object.keys(row).length > 1);
}

const CELLS = [1, 2, 3].map((s) => `Pendulum-v1__td3-mlp__${s}`);

it('two workers run a grid; one SIGKILLed mid-run, its cell resumed by the other; numbers equal a local run', async (t) => {
  const redis = await startRedis(t);
  if (redis === null) return;
  try {
    const { specFile, root } = writeSpec(`grid${process.pid}`, [1, 2, 3]);
    const out = join(root, 'queued');
    const first = cli('experiment', specFile, '--queue', redis.url, '--out', out);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /3 cells added, 0 already there/);
    const again = cli('experiment', specFile, '--queue', redis.url, '--out', out);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /0 cells added, 3 already there/, 'enqueuing twice adds nothing');

    const a = startWorker(redis.url);
    // Worker A takes the first cell; kill it (SIGKILL: no cleanup, its lock stops being renewed) mid-run.
    const victim = join(out, 'runs', CELLS[0]!);
    await waitFor('worker A half-way through its cell', () => loggedStep(victim) >= 800 && !existsSync(join(victim, 'done.json')), 120_000);
    const b = startWorker(redis.url);
    a.child.kill('SIGKILL');
    assert.equal(await exitCode(b, 240_000), 0, b.output());

    const resumed = new RegExp(`resume ${CELLS[0]} at step ([1-9]\\d*)`).exec(b.output());
    assert.ok(resumed, `worker B resumed the killed worker's cell from its checkpoint:\n${b.output()}`);
    for (const id of CELLS) {
      const finishes = (a.output() + b.output()).split('\n').filter((l) => l.includes(`: finished ${id} in`)).length;
      assert.equal(finishes, 1, `${id} ran to completion once`);
    }
    // The worker that saw the last cell completed wrote the report into the folder.
    assert.match(b.output(), new RegExp(`every cell done; report: ${out}/results.md`));
    assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /\| mlp \| 3 \| 1\.6k \|/);
    const status = cli('experiment', specFile, '--queue', redis.url, '--status');
    assert.equal(status.status, 0, status.stderr);
    for (const id of CELLS) assert.match(status.stdout, new RegExp(`${id} +completed: eval return -?\\d+\\.\\d`));
    assert.match(status.stdout, /3 completed/);

    // The same grid run locally: every cell's numbers identical, row for row (the resumed one included).
    const local = join(root, 'local');
    const run = cli('experiment', specFile, '--out', local, '--jobs', '1');
    assert.equal(run.status, 0, run.stdout + run.stderr);
    for (const id of CELLS) {
      const queued = numbers(join(out, 'runs', id));
      assert.ok(queued.filter((r) => 'eval/return_mean' in r).length === 5, `${id}: five evaluations, none repeated`);
      assert.deepEqual(queued, numbers(join(local, 'runs', id)), `${id}: queued run equals the local run`);
    }
  } finally {
    await redis.stop();
  }
});

it('a cell locked by a crashed host waits on the queue until the lock is stale, then resumes once; a crashing cell fails after its tries', async (t) => {
  const redis = await startRedis(t);
  if (redis === null) return;
  const staleSeconds = 12;
  try {
    const name = `lock${process.pid}`;
    const root = mkdtempSync(join(tmpdir(), `hyperrl-queue-${name}-`));
    const specFile = join(root, 'spec.json');
    writeFileSync(specFile, JSON.stringify({ name, modules: [BREAKING_ENV], grid: { env: ['Pendulum-v1', 'Breaking-v0'], algo: ['td3'], critic: ['mlp'], seed: [1] }, train: TRAIN }));
    const out = join(root, 'queued');
    await import(BREAKING_ENV); // registers Breaking-v0 here too, for reading the spec's cells
    const [locked, breaking] = cells(parseSpec(JSON.parse(readFileSync(specFile, 'utf8')), specFile));
    // A host ran the first cell to a checkpoint at step 800 and crashed: its lock stays, heartbeat fresh.
    const runDir = join(out, 'runs', locked!.id);
    const part = cli('train', `--run-dir=${runDir}`, ...trainFlags(locked!.train), '--stop-at-step=800');
    assert.equal(part.status, 75, part.stdout + part.stderr);
    const heartbeat = new Date();
    const crashed: LockHolder = { host: 'crashed-host', pid: 4242, command: 'hyperrl train', startedAt: heartbeat.toISOString(), heartbeat: heartbeat.toISOString(), token: 'f00dfeedf00dfeed' };
    writeFileSync(join(runDir, 'lock'), JSON.stringify(crashed) + '\n');

    const enqueue = cli('experiment', specFile, '--queue', redis.url, '--out', out);
    assert.equal(enqueue.status, 0, enqueue.stdout + enqueue.stderr);
    const w = startWorker(redis.url, { HYPERRL_LOCK_STALE_SECONDS: String(staleSeconds) });
    const waitLine = new RegExp(`${name}/${locked!.id}: .*${locked!.id} is in use by hyperrl train \\(pid 4242 on host crashed-host, .*; back on the queue, tried again in \\d+ s \\(not counted as a try\\)`);
    await waitFor('the locked cell put back on the queue', () => waitLine.test(w.output()), 60_000);
    const waiting = cli('experiment', specFile, '--queue', redis.url, '--status');
    assert.match(waiting.stdout, new RegExp(`${locked!.id} +delayed: its run folder is locked by hyperrl train \\(pid 4242 on host crashed-host, last heartbeat ${heartbeat.toISOString()}\\); tried again at `), waiting.stdout + waiting.stderr);

    // The breaking cell uses its 3 tries (backoff 10 s, 20 s): the worker then exits 1.
    assert.equal(await exitCode(w, 180_000), 1, w.output());
    const log = w.output();
    assert.equal(log.split('\n').filter((l) => l.includes(`: resume ${locked!.id} at step 800`)).length, 1, `the locked cell resumed from the crashed host's checkpoint once:\n${log}`);
    assert.equal(log.split('\n').filter((l) => l.includes(`: finished ${locked!.id} in`)).length, 1, 'and finished once');
    assert.doesNotMatch(log, new RegExp(`${locked!.id}: failed \\(try`), 'waiting for the lock used no try');
    assert.match(readFileSync(join(runDir, 'train.log'), 'utf8'), /took over the lock of .* from hyperrl train \(pid 4242 on host crashed-host, last heartbeat .*\): its heartbeat was older than the stale timeout/);
    const queue = new Queue(QUEUE, { connection: redisOptions(redis.url), prefix: PREFIX });
    const job = (await queue.getJob(jobId(name, locked!)))!;
    await queue.close();
    assert.ok(job.processedOn! >= heartbeat.getTime() + staleSeconds * 1000, `the cell ran only once the lock was stale (${new Date(job.processedOn!).toISOString()})`);

    const status = cli('experiment', specFile, '--queue', redis.url, '--status');
    assert.match(status.stdout, new RegExp(`${locked!.id} +completed: eval return -?\\d+\\.\\d`), status.stdout);
    assert.match(status.stdout, new RegExp(`${breaking!.id} +failed: FAILED ${breaking!.id} \\(exit 1\\).*Breaking-v0 broke at its step 51, as it always does.* \\(after 3 tries; enqueue again to retry\\)`), status.stdout);
    assert.match(status.stdout, /1 completed, 1 failed|1 failed, 1 completed/);
  } finally {
    await redis.stop();
  }
});

it('workers survive a Redis restart mid-grid and finish it', async (t) => {
  const redis = await startRedis(t);
  if (redis === null) return;
  if (redis.restart === null) { t.skip('REDIS_URL is an external server, which this test cannot restart'); return; }
  try {
    const { specFile, root } = writeSpec(`restart${process.pid}`, [1, 2], { ...TRAIN, totalSteps: 1200 });
    const out = join(root, 'queued');
    const enqueue = cli('experiment', specFile, '--queue', redis.url, '--out', out);
    assert.equal(enqueue.status, 0, enqueue.stdout + enqueue.stderr);
    const w = startWorker(redis.url);
    const first = join(out, 'runs', CELLS[0]!);
    await waitFor('the first cell under way', () => loggedStep(first) >= 400, 120_000);
    await redis.restart(1500);
    assert.equal(await exitCode(w, 240_000), 0, w.output());
    assert.match(w.output(), /lost Redis at redis:\/\/127\.0\.0\.1:\d+ \(.*\); reconnecting/);
    const status = cli('experiment', specFile, '--queue', redis.url, '--status');
    assert.match(status.stdout, /2 completed/, status.stdout + status.stderr);
    for (const id of CELLS.slice(0, 2)) assert.ok(existsSync(join(out, 'runs', id, 'done.json')), `${id} finished`);
  } finally {
    await redis.stop();
  }
});

it('refuses a changed spec under an enqueued name and a folder of another experiment; --clear removes it', async (t) => {
  const redis = await startRedis(t);
  if (redis === null) return;
  try {
    const name = `mismatch${process.pid}`;
    const { specFile, root } = writeSpec(name, [1]);
    const out = join(root, 'queued');
    assert.equal(cli('experiment', specFile, '--queue', redis.url, '--out', out).status, 0);
    // The same name with other settings: the enqueuer says what differs.
    writeFileSync(specFile, JSON.stringify({ name, grid: { env: ['Pendulum-v1'], algo: ['td3'], critic: ['mlp'], seed: [1] }, train: { ...TRAIN, batchSize: 64 } }));
    const changed = cli('experiment', specFile, '--queue', redis.url, '--out', out);
    assert.equal(changed.status, 2);
    assert.match(changed.stderr, new RegExp(`holds experiment '${name}' .* with a different spec \\(train\\); give this spec another name, or remove the old one with --clear`));
    // The folder a worker finds holds another spec: the cell fails at once, saying so; nothing runs.
    writeFileSync(join(out, 'spec.json'), JSON.stringify({ name, other: true }));
    const w = startWorker(redis.url);
    assert.equal(await exitCode(w, 60_000), 1, w.output());
    assert.match(w.output(), /holds another spec than the one enqueued; the folder belongs to another experiment/);
    assert.ok(!existsSync(join(out, 'runs')), 'no run started');
    const status = cli('experiment', specFile, '--queue', redis.url, '--status');
    assert.match(status.stdout, /Pendulum-v1__td3-mlp__1 +failed: .*holds another spec/);
    // --clear removes it; the changed spec can then be enqueued.
    const clear = cli('experiment', specFile, '--queue', redis.url, '--clear');
    assert.equal(clear.status, 0, clear.stderr);
    assert.match(clear.stdout, new RegExp(`removed experiment ${name} and its 1 cells`));
    assert.match(cli('experiment', specFile, '--queue', redis.url, '--out', join(root, 'other')).stdout, /1 cells added/);
  } finally {
    await redis.stop();
  }
});

it('a worker of another hyperrl version refuses: the cell goes back to the queue, the worker exits 1 naming both versions', async (t) => {
  const redis = await startRedis(t);
  if (redis === null) return;
  try {
    const name = `version${process.pid}`;
    const { specFile, root } = writeSpec(name, [1]);
    const out = join(root, 'queued');
    assert.equal(cli('experiment', specFile, '--queue', redis.url, '--out', out).status, 0);
    // Make the queue say the experiment was enqueued by another version (as an older enqueuer would have).
    const queue = new Queue(QUEUE, { connection: redisOptions(redis.url), prefix: PREFIX });
    const client = await queue.client;
    const record = JSON.parse((await client.hget(EXPERIMENTS_KEY, name))!) as ExperimentRecord;
    record.version = '0.0.0-other';
    await client.hset(EXPERIMENTS_KEY, { [name]: JSON.stringify(record) });
    const job = (await queue.getJob(jobId(name, { id: 'Pendulum-v1__td3-mlp__1' })))!;
    await job.updateData({ ...job.data, identity: identityOf(record) });
    await queue.close();
    const w = startWorker(redis.url);
    assert.equal(await exitCode(w, 60_000), 1, w.output());
    assert.match(w.output(), new RegExp(`refused: experiment ${name} was enqueued with hyperrl 0\\.0\\.0-other, this worker runs ${packageVersion().replace(/\./g, '\\.')}`));
    assert.ok(!existsSync(join(out, 'runs')), 'nothing ran');
    assert.match(cli('experiment', specFile, '--queue', redis.url, '--status').stdout, /Pendulum-v1__td3-mlp__1 +waiting/);
  } finally {
    await redis.stop();
  }
});

it('names the URL when Redis cannot be reached or the URL is not a Redis one', () => {
  const closed = cli('worker', '--queue', 'redis://127.0.0.1:1');
  assert.equal(closed.status, 2);
  assert.match(closed.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
  // The enqueuer too, without the URL's password.
  const { specFile } = writeSpec('unreachable', [1]);
  const enqueue = cli('experiment', specFile, '--queue', 'redis://me:secret@127.0.0.1:1');
  assert.equal(enqueue.status, 2);
  assert.match(enqueue.stderr, /cannot reach Redis at redis:\/\/me:\*\*\*@127\.0\.0\.1:1 /);
  assert.doesNotMatch(enqueue.stderr, /secret/);
  const bad = cli('worker', '--queue', 'http://x');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--queue: expected a redis:\/\/ or rediss:\/\/ URL, got 'http:\/\/x'/);
});
