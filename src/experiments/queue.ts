/**
 * An experiment grid on many machines through a job queue: BullMQ on Redis. `hyperrl
 * experiment <spec> --queue URL` stores the experiment (its spec, its folder, the hyperrl
 * version and compute backend that define its numbers) and adds one job per cell, with the
 * cell's id as job id, so enqueuing again adds nothing (failed cells are retried).
 * `hyperrl worker --queue URL` takes jobs and runs each cell with the local experiment runner
 * (`runExperiment` restricted to that one cell), so a cell on the queue starts, resumes, is
 * skipped when done and gets its diagnostic exactly as in a local run, in the same run folder
 * `<experiment>/runs/<cell id>/` — which must therefore be on a path every worker shares (NFS).
 * The worker that sees an experiment's last cell completed writes its report there too.
 *
 * Recovery is BullMQ's: a worker holds a lock on each job it runs, renewed while it lives; a
 * worker killed mid-run stops renewing, BullMQ's stalled-job check (run by every worker) puts the
 * job back, another worker takes it and the runner resumes the cell from its last checkpoint. A
 * stopped worker (SIGINT/SIGTERM) lets its runs checkpoint and puts their jobs back at once. A
 * cell whose run folder is still locked by the dead host (its heartbeat not yet stale) waits on
 * the queue, delayed, until the lock can be taken over, without using up its tries.
 *
 * Same numbers wherever a cell runs: a worker refuses (puts the job back and stops) when its
 * hyperrl version differs from the enqueuer's or when it resolves the cells' settings
 * differently, and its runs compute on the enqueuer's backend and native ISA variant
 * (`HYPERRL_BACKEND`, `HYPERRL_NATIVE_ISA`), failing the job where this CPU lacks it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job, type RedisOptions } from 'bullmq';
import { ConfigError } from '../core/config.js';
import { packageVersion } from '../core/version.js';
import type { BackendName } from '../tensor/backend.js';
import { createBackend, defaultBackend } from '../tensor/backends/index.js';
import { nativeInfo } from '../tensor/backends/native/index.js';
import { importModules } from '../train/modules.js';
import { resolveTrainConfig } from '../train/run-config.js';
import { describeHolder, secondsUntilStale, staleLockSeconds, type LockHolder } from '../train/run-lock.js';
import { STOP_SIGNALS } from '../train/stop-signals.js';
import { runOutcome, writeReport } from './report.js';
import { formatDuration, loggedStep, runExperiment } from './runner.js';
import { cellMatches, cellRunDir, cells, parseSpec, type Cell, type CellOverride, type ExperimentSpec } from './spec.js';

/** Every experiment shares one BullMQ queue, so a worker serves whichever grid has work. */
export const QUEUE = 'grid';
/** Redis key prefix of the queue and of the experiment records (`hyperrl:grid:*`). */
export const PREFIX = 'hyperrl';
export const EXPERIMENTS_KEY = `${PREFIX}:${QUEUE}:experiments`;
/**
 * Tries per cell: a run that fails (a crash, a host without the backend) is retried on another
 * worker. A cell whose run folder another host has locked uses none of them (it waits, see `waitForLock`).
 */
const ATTEMPTS = 3;

/** The compute that defines a run's numbers: the backend, and for native the ISA variant (SIMD kernels sum in different orders). */
export interface Compute {
  backend: BackendName;
  variant: string;
}

/** What the queue stores per experiment; every cell's job points at it by `identity`. */
export interface ExperimentRecord {
  spec: ExperimentSpec;
  /** Absolute path of the experiment folder, the same on every worker. */
  dir: string;
  version: string;
  compute: Compute;
  /** Hash of every cell's resolved train config: a worker whose hyperrl resolves them otherwise refuses. */
  configs: string;
  enqueuedAt: string;
  enqueuedBy: string;
}

interface CellJob {
  experiment: string;
  identity: string;
  cell: string;
}

export interface CellProgress {
  step: number;
  totalSteps: number;
  worker: string;
}

/** Progress of a cell put back because another host holds its run folder's lock. */
export interface CellLockWait {
  /** The lock's holder in words (command, PID, host, last heartbeat). */
  lockedBy: string;
  /** When the cell is tried again: when the lock goes stale if its holder stays silent. */
  retryAt: string;
}

export interface CellResult {
  outcome: string;
  worker: string;
  seconds: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
export const jobId = (experiment: string, cell: Pick<Cell, 'id'>): string => `${experiment}/${cell.id}`;
const workerName = (): string => `${hostname()}/${process.pid}`;

/** The record's identity: what must be equal for two enqueuers, or an enqueuer and a job, to mean the same runs. */
export const identityOf = (r: ExperimentRecord): string => sha256(JSON.stringify([r.spec, r.dir, r.version, r.compute, r.configs]));

const configsHash = (spec: ExperimentSpec): string => sha256(JSON.stringify(cells(spec).map((c) => resolveTrainConfig(c.train))));

/** This machine's compute: the default backend, and the native ISA variant it would use. */
export function localCompute(): Compute {
  const b = defaultBackend({ initialElements: 1024 });
  return { backend: b.name as BackendName, variant: b.name === 'native' ? nativeInfo().isa! : b.detail };
}

const describeCompute = (c: Compute): string => `${c.backend} (${c.variant})`;

/** The child runs' environment computing as `c`; throws (naming both) where this machine cannot. */
function computeEnv(c: Compute): NodeJS.ProcessEnv {
  if (c.backend === 'native') {
    const isas = nativeInfo().isas as string[];
    if (!isas.includes(c.variant)) throw new Error(`the experiment computes on ${describeCompute(c)}, which this CPU lacks (native variants here: ${isas.join(', ')})`);
    return { ...process.env, HYPERRL_BACKEND: 'native', HYPERRL_NATIVE_ISA: c.variant };
  }
  const here = createBackend(c.backend, { initialElements: 1024 }).detail;
  if (here !== c.variant) throw new Error(`the experiment computes on ${describeCompute(c)}, this host's ${c.backend} is ${here}`);
  return { ...process.env, HYPERRL_BACKEND: c.backend };
}

/** A `redis://[user:password@]host[:port][/db]` (or `rediss://`, TLS) URL as connection options. */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--queue: expected a Redis URL such as redis://host:6379, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`--queue: expected a redis:// or rediss:// URL, got '${url}'`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new ConfigError(`--queue: the database in '${url}' must be a number (redis://host:6379/0)`);
  return {
    host: u.hostname || 'localhost', port: u.port ? Number(u.port) : 6379, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The URL for messages, without its password. */
export const safeUrl = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/**
 * A queue whose Redis answered, or an error naming the URL. `persistent`: the returned queue
 * reconnects after a later loss (a worker outlives a Redis restart); otherwise it gives up at
 * once (a command's answer should not hang).
 */
async function openQueue(url: string, persistent: boolean, connectSeconds = 10): Promise<Queue> {
  const probe = new Queue(QUEUE, { connection: { ...redisOptions(url), connectTimeout: connectSeconds * 1000, maxRetriesPerRequest: 1, retryStrategy: () => null }, prefix: PREFIX });
  let lastError = 'no answer';
  probe.on('error', (e: Error) => { lastError = e.message; });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe.waitUntilReady().then((client) => client.runCommand('ping', [])),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), connectSeconds * 1000); }),
    ]);
  } catch {
    await probe.close();
    throw new ConfigError(`cannot reach Redis at ${safeUrl(url)} (${lastError}); is redis-server running there and reachable from ${hostname()}?`);
  } finally {
    clearTimeout(timer);
  }
  if (!persistent) return probe;
  await probe.close();
  return new Queue(QUEUE, { connection: { ...redisOptions(url), maxRetriesPerRequest: null }, prefix: PREFIX });
}

async function readRecord(queue: Queue, name: string): Promise<ExperimentRecord | null> {
  const text = await (await queue.client).hget(EXPERIMENTS_KEY, name);
  return text === null ? null : (JSON.parse(text) as ExperimentRecord);
}

/** How two records of one experiment name differ, in words. */
function recordDifferences(a: ExperimentRecord, b: ExperimentRecord): string[] {
  const diffs: string[] = [];
  if (JSON.stringify(a.spec) !== JSON.stringify(b.spec)) {
    const keys = (Object.keys(a.spec) as (keyof ExperimentSpec)[]).filter((k) => JSON.stringify(a.spec[k]) !== JSON.stringify(b.spec[k]));
    diffs.push(`spec (${keys.join(', ')})`);
  }
  if (a.dir !== b.dir) diffs.push(`folder (${a.dir} vs ${b.dir})`);
  if (a.version !== b.version) diffs.push(`hyperrl version (${a.version} vs ${b.version})`);
  if (JSON.stringify(a.compute) !== JSON.stringify(b.compute)) diffs.push(`compute (${describeCompute(a.compute)} vs ${describeCompute(b.compute)})`);
  if (a.configs !== b.configs && diffs.length === 0) diffs.push('resolved train settings (another hyperrl build)');
  return diffs;
}

export interface EnqueueResult {
  added: string[];
  /** Already waiting, running or done (not added again). */
  present: string[];
  /** Failed before and put back to run again. */
  retried: string[];
}

/**
 * Put the experiment's cells (those matching `only`) on the queue at `url`: idempotent (a cell's
 * job id is its id), failed cells are retried. Refuses when the queue holds an experiment of the
 * same name with another spec, folder, version or compute.
 */
export async function enqueueExperiment(url: string, spec: ExperimentSpec, dir: string, only?: CellOverride['where']): Promise<EnqueueResult> {
  const chosen = cells(spec).filter((c) => only === undefined || cellMatches(only, c));
  if (chosen.length === 0) throw new ConfigError(`experiment ${spec.name}: --only ${JSON.stringify(only)} matches no cell of the grid`);
  const record: ExperimentRecord = {
    spec, dir, version: packageVersion(), compute: localCompute(), configs: configsHash(spec),
    enqueuedAt: new Date().toISOString(), enqueuedBy: workerName(),
  };
  const queue = await openQueue(url, false);
  try {
    const client = await queue.client;
    await client.runCommand('hsetnx', [EXPERIMENTS_KEY, spec.name, JSON.stringify(record)]);
    const stored = (await readRecord(queue, spec.name))!;
    const diffs = recordDifferences(stored, record);
    if (diffs.length) {
      throw new ConfigError(`the queue at ${safeUrl(url)} holds experiment '${spec.name}' (enqueued ${stored.enqueuedAt} by ${stored.enqueuedBy}) with a different ${diffs.join(', ')}; give this spec another name, or remove the old one with --clear`);
    }
    const identity = identityOf(stored);
    const result: EnqueueResult = { added: [], present: [], retried: [] };
    for (const cell of chosen) {
      const id = jobId(spec.name, cell);
      const existing = await queue.getJob(id);
      if (existing !== undefined) {
        if (await existing.isFailed()) {
          await existing.retry('failed');
          result.retried.push(cell.id);
        } else {
          result.present.push(cell.id);
        }
        continue;
      }
      const data: CellJob = { experiment: spec.name, identity, cell: cell.id };
      await queue.add(cell.id, data, { jobId: id, attempts: ATTEMPTS, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: false, removeOnFail: false });
      result.added.push(cell.id);
    }
    return result;
  } finally {
    await queue.close();
  }
}

/** Remove an experiment from the queue: its record and every job not running now. Returns the jobs removed. */
export async function clearExperiment(url: string, name: string): Promise<number> {
  const queue = await openQueue(url, false);
  try {
    const record = await readRecord(queue, name);
    if (record === null) throw new ConfigError(`the queue at ${safeUrl(url)} holds no experiment '${name}'`);
    let removed = 0;
    const running: string[] = [];
    for (const cell of cells(record.spec)) {
      const job = await queue.getJob(jobId(name, cell));
      if (job === undefined) continue;
      if (await job.isActive()) running.push(cell.id);
      else { await job.remove(); removed++; }
    }
    if (running.length) throw new ConfigError(`experiment '${name}' has running cells (${running.join(', ')}); stop their workers first, then clear again (${removed} other jobs removed)`);
    await (await queue.client).hdel(EXPERIMENTS_KEY, name);
    return removed;
  } finally {
    await queue.close();
  }
}

/** One line per cell (state, progress or outcome, worker) and a summary, as seen on the queue from any machine. */
export async function experimentStatus(url: string, name: string): Promise<string[]> {
  const queue = await openQueue(url, false);
  try {
    const record = await readRecord(queue, name);
    if (record === null) throw new ConfigError(`the queue at ${safeUrl(url)} holds no experiment '${name}'; enqueue it with hyperrl experiment <spec> --queue ${safeUrl(url)}`);
    const counts = new Map<string, number>();
    const lines = [`experiment ${name}: folder ${record.dir}, hyperrl ${record.version} on ${describeCompute(record.compute)}, enqueued ${record.enqueuedAt} by ${record.enqueuedBy}`];
    for (const cell of cells(record.spec)) {
      const job = await queue.getJob(jobId(name, cell));
      const state = job === undefined ? 'not enqueued' : await job.getState();
      counts.set(state, (counts.get(state) ?? 0) + 1);
      let detail = '';
      if (job !== undefined && state === 'completed') {
        const r = job.returnvalue as CellResult;
        detail = `${r.outcome ? `${r.outcome}, ` : ''}${formatDuration(r.seconds)} on ${r.worker}`;
      } else if (job !== undefined && state === 'active' && typeof job.progress === 'object' && 'step' in job.progress) {
        const p = job.progress as unknown as CellProgress;
        detail = `step ${p.step}/${p.totalSteps} (${Math.floor((100 * p.step) / p.totalSteps)}%) on ${p.worker}`;
      } else if (job !== undefined && state === 'delayed' && typeof job.progress === 'object' && 'lockedBy' in job.progress) {
        const w = job.progress as unknown as CellLockWait;
        detail = `its run folder is locked by ${w.lockedBy}; tried again at ${w.retryAt}`;
      } else if (job !== undefined && state === 'failed') {
        detail = `${job.failedReason} (after ${job.attemptsMade} tries; enqueue again to retry)`;
      } else if (job !== undefined && job.attemptsMade > 0) {
        detail = `tried ${job.attemptsMade} times: ${job.failedReason}`;
      }
      lines.push(`  ${cell.id.padEnd(40)} ${state}${detail ? `: ${detail}` : ''}`);
    }
    lines.push(`${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`);
    return lines;
  } finally {
    await queue.close();
  }
}

export interface WorkerOptions {
  url: string;
  /** Cells run at once by this worker. */
  concurrency: number;
  /** Seconds without a lock renewal after which a job counts as stalled (its worker dead) and goes to another worker. */
  stallSeconds: number;
  /** Seconds between progress lines and progress updates on the queue. */
  progressEvery: number;
  /** Exit once no job is waiting, delayed or running anywhere (a batch job's worker). */
  untilEmpty: boolean;
  log?: (line: string) => void;
}

export interface WorkerResult {
  completed: string[];
  /** Failed tries (a cell retried elsewhere counts once per try). */
  failed: string[];
  /** Stopped by a signal; its running cells were checkpointed and put back. */
  interrupted: boolean;
  /** Why this worker stopped taking jobs it cannot run as the enqueuer meant (version, settings, compute, folder). */
  refused?: string;
}

/** This worker cannot run the experiment as enqueued: the job goes back for another worker, this one stops. */
class RefusedError extends Error {}

/** A checked experiment: its spec read back as this hyperrl reads it, and the child runs' environment. */
interface PreparedExperiment {
  record: ExperimentRecord;
  spec: ExperimentSpec;
  env: NodeJS.ProcessEnv;
}

/** Check that this host runs the experiment as the enqueuer meant; writes the folder's spec.json when missing. */
async function prepareExperiment(record: ExperimentRecord): Promise<PreparedExperiment> {
  const name = record.spec.name;
  if (record.version !== packageVersion()) throw new RefusedError(`experiment ${name} was enqueued with hyperrl ${record.version}, this worker runs ${packageVersion()}: its runs would not match; run workers of the enqueuer's version`);
  try {
    await importModules(record.spec.modules);
  } catch (e) {
    throw new RefusedError(`experiment ${name}: ${(e as Error).message} (env modules must be on a path every worker shares)`);
  }
  const spec = parseSpec(JSON.parse(JSON.stringify(record.spec)), `experiment ${name} on the queue`);
  if (JSON.stringify(spec) !== JSON.stringify(record.spec) || configsHash(spec) !== record.configs) {
    throw new RefusedError(`experiment ${name}: this worker resolves the cells' train settings otherwise than the enqueuer (another hyperrl build of version ${record.version}); run workers of the enqueuer's build`);
  }
  let env: NodeJS.ProcessEnv;
  try {
    env = computeEnv(record.compute);
  } catch (e) {
    throw new RefusedError(`experiment ${name}: ${(e as Error).message}`);
  }
  const specFile = join(record.dir, 'spec.json');
  try {
    mkdirSync(record.dir, { recursive: true });
  } catch (e) {
    throw new RefusedError(`experiment ${name}: cannot create its folder ${record.dir} on ${hostname()} (${(e as Error).message}); the folder must be on a path every worker shares`);
  }
  const text = JSON.stringify(record.spec, null, 2) + '\n';
  if (!existsSync(specFile)) writeFileSync(specFile, text);
  else if (JSON.stringify(JSON.parse(readFileSync(specFile, 'utf8'))) !== JSON.stringify(record.spec)) {
    throw new UnrecoverableError(`experiment ${name}: ${specFile} holds another spec than the one enqueued; the folder belongs to another experiment`);
  }
  return { record, spec, env };
}

/**
 * Take cells from the queue and run them until stopped (SIGINT/SIGTERM: running cells
 * checkpoint and go back to the queue) or, with `untilEmpty`, until no work is left.
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerResult> {
  const log = opts.log ?? ((l: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${l}`));
  const queue = await openQueue(opts.url, true);
  const result: WorkerResult = { completed: [], failed: [], interrupted: false };
  const prepared = new Map<string, Promise<PreparedExperiment>>();
  let running = 0;
  let worker: Worker | undefined;

  const experiment = async (data: CellJob): Promise<PreparedExperiment> => {
    let p = prepared.get(data.identity);
    if (p === undefined) {
      const record = await readRecord(queue, data.experiment);
      if (record === null || identityOf(record) !== data.identity) {
        throw new UnrecoverableError(`experiment ${data.experiment} on the queue is ${record === null ? 'gone' : 'another one now (enqueued again with other settings)'}; this job belongs to the old one`);
      }
      p = prepareExperiment(record);
      prepared.set(data.identity, p);
    }
    return p;
  };

  const processor = async (job: Job<CellJob>, token?: string): Promise<CellResult> => {
    let ex: PreparedExperiment;
    try {
      ex = await experiment(job.data);
    } catch (e) {
      if (!(e instanceof RefusedError)) throw e;
      // Not this worker's to run: back to the queue for a worker that can, and this one stops.
      result.refused = e.message;
      await job.moveToWait(token);
      void worker?.close();
      throw new WaitingError();
    }
    const cell = cells(ex.spec).find((c) => c.id === job.data.cell);
    if (cell === undefined) throw new UnrecoverableError(`experiment ${job.data.experiment} has no cell ${job.data.cell}`);
    const dir = cellRunDir(ex.record.dir, cell);

    /**
     * Another host holds the run folder's lock and may be alive: not the cell's failure, and not
     * one to spend its tries on (they are gone in about a minute, the lock goes stale only after
     * HYPERRL_LOCK_STALE_SECONDS, 300 s; a host that crashed mid-cell leaves exactly this). The job
     * goes back to the queue, delayed until the lock would go stale, without using a try; then a
     * worker takes the lock over and resumes the cell, or finds it released (and maybe finished).
     */
    const waitForLock = async (holder: LockHolder): Promise<never> => {
      const staleSeconds = staleLockSeconds(ex.env);
      const seconds = Math.min(staleSeconds, Math.ceil(secondsUntilStale(holder, staleSeconds)) + 1);
      const retryAt = new Date(Date.now() + seconds * 1000);
      const wait: CellLockWait = { lockedBy: `${holder.command} (pid ${holder.pid} on host ${holder.host}, last heartbeat ${holder.heartbeat})`, retryAt: retryAt.toISOString() };
      await job.updateProgress(wait as unknown as object);
      await job.moveToDelayed(retryAt.getTime(), token);
      log(`${job.id}: ${describeHolder(dir, holder, staleSeconds)}; back on the queue, tried again in ${seconds} s (not counted as a try)`);
      throw new DelayedError();
    };
    const started = performance.now();
    running++;
    const lines: string[] = [];
    const progress = (): void => {
      const p: CellProgress = { step: loggedStep(dir), totalSteps: cell.totalSteps, worker: workerName() };
      void job.updateProgress(p as unknown as object).catch(() => undefined);
    };
    const ticker = setInterval(progress, opts.progressEvery * 1000);
    try {
      const r = await runExperiment(ex.spec, {
        dir: ex.record.dir, jobs: 1, only: { env: cell.env, algo: cell.algo, critic: cell.critic, seed: cell.seed },
        progressEvery: opts.progressEvery, env: ex.env,
        log: (line) => {
          lines.push(line);
          log(`${job.data.experiment}/${cell.id}: ${line}`);
          void job.log(line).catch(() => undefined);
        },
      });
      if (r.interrupted) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const lockedBy = r.failed[0]?.lockedBy;
      if (lockedBy !== undefined) await waitForLock(lockedBy);
      if (r.failed.length) {
        throw new Error(lines.filter((l) => l.startsWith('FAILED')).pop() ?? `cell ${cell.id} failed`);
      }
      progress();
      result.completed.push(job.id!);
      return { outcome: runOutcome(dir), worker: workerName(), seconds: (performance.now() - started) / 1000 };
    } finally {
      clearInterval(ticker);
      running--;
    }
  };

  worker = new Worker<CellJob, CellResult>(QUEUE, processor, {
    connection: { ...redisOptions(opts.url), maxRetriesPerRequest: null },
    prefix: PREFIX,
    concurrency: opts.concurrency,
    lockDuration: opts.stallSeconds * 1000,
    stalledInterval: opts.stallSeconds * 1000,
    // A job is put back each time its worker dies; only a cell that kills worker after worker fails.
    maxStalledCount: 10,
  });
  let lastLoss = 0;
  worker.on('error', (e) => {
    // Redis gone (restarted, network): BullMQ reconnects by itself; say so at most once a minute.
    if (Date.now() - lastLoss > 60_000) log(`lost Redis at ${safeUrl(opts.url)} (${e.message}); reconnecting`);
    lastLoss = Date.now();
  });
  // The worker that sees an experiment's last cell completed writes its report into the folder
  // (after the job is marked completed, so of two workers finishing the last two cells at once the
  // later one sees both; both writing is harmless, the report is the same).
  const reports: Promise<void>[] = [];
  worker.on('completed', (job) => {
    const data = job.data as CellJob;
    reports.push((async () => {
      const ex = await experiment(data);
      for (const cell of cells(ex.spec)) if (!(await (await queue.getJob(jobId(data.experiment, cell)))?.isCompleted())) return;
      const files = await writeReport(ex.spec, ex.record.dir);
      log(`experiment ${data.experiment}: every cell done; report: ${files.map((f) => join(ex.record.dir, f)).join(', ')}`);
    })().catch((e: Error) => log(`experiment ${data.experiment}: the report could not be written (${e.message}); write it with hyperrl experiment <spec> --out <folder> --only-report`)));
  });
  worker.on('failed', (job, e) => {
    if (job === undefined || e instanceof WaitingError) return;
    result.failed.push(job.id!);
    log(`${job.id}: failed (try ${job.attemptsMade} of ${ATTEMPTS}${e instanceof UnrecoverableError ? ', not retried' : ''}): ${e.message}`);
  });
  log(`worker ${workerName()} on ${safeUrl(opts.url)}: up to ${opts.concurrency} cells at once, jobs of dead workers taken over after ${opts.stallSeconds} s`);

  const stop = (): void => {
    if (!result.interrupted) log('stopping: running cells checkpoint and go back to the queue (again to stop them at once)');
    result.interrupted = true;
    void worker?.close();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  const emptyCheck = opts.untilEmpty ? setInterval(() => {
    if (running > 0) return;
    void queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children').then((c) => {
      if (running === 0 && Object.values(c).every((n) => n === 0)) {
        log('no cell left on the queue: exiting');
        void worker?.close();
      }
    }, () => undefined);
  }, 2000) : null;
  try {
    await new Promise<void>((resolve) => worker!.on('closed', () => resolve()));
    await Promise.all(reports);
  } finally {
    if (emptyCheck !== null) clearInterval(emptyCheck);
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
    await queue.close();
  }
  if (result.refused) log(`refused: ${result.refused}`);
  return result;
}
