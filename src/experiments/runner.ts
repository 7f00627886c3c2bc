/**
 * Runs an experiment's cells as `hyperrl train` child processes, at most `jobs` at a
 * time, each in its fixed folder `<experiment>/runs/<cell id>/` with its output in
 * `train.log` there. Resumable: a cell with `done.json` (written here when its run
 * reaches the last step) is skipped, one with a checkpoint is resumed (found by the same
 * recovery routine as `train --resume`, so whatever a kill left that a resume can use, the
 * runner uses too), one whose checkpoint is damaged is reported and left alone, any other
 * is started afresh. The run folder's lock tells the runner that an earlier child is still
 * writing (it waits) or that another host uses the folder (the cell fails, naming the holder).
 * Children run in their own process group, so a terminal's Ctrl-C
 * reaches only the runner, which passes one SIGINT per Ctrl-C on (the first lets each
 * child finish its episode and checkpoint; a second makes them quit at once). If the
 * runner itself dies, each child sees its IPC channel close and stops the same way.
 * A finished run that kept parameter snapshots (`snapshotEvery`) then gets its
 * gradient-quality diagnostic (`hyperrl diagnose grad`, log in `diagnose.log`) in the
 * same job slot; the diagnostic resumes too, so an interrupted one is finished later.
 * Under a time limit (a batch job's wall limit, a session's end) the runner starts only the
 * runs that its estimate (the same cell's other seeds) says will finish in the time left,
 * the first such in grid order, and at the limit stops the running ones with a checkpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { readGradReport } from '../diagnostics/grad-report.js';
import { ConfigError, kebab } from '../core/config.js';
import { findCheckpoint } from '../train/checkpoint-store.js';
import { readMetricsRows } from '../train/metrics.js';
import { ensureDir, nodeRunFiles } from '../train/run-files.js';
import { describeHolder, holderElsewhere, isStale, readLockHolder, RunLockedError, type LockHolder } from '../train/run-lock.js';
import { snapshotSteps } from '../train/snapshots.js';
import { EXIT_STOPPED, STOP_SIGNALS } from '../train/stop-signals.js';
import { resolveTrainConfig, type ResolvedConfig } from '../train/run-config.js';
import { estimateSeconds } from './estimate.js';
import { runOutcome } from './report.js';
import { cellMatches, cellRunDir, cells, shardCells, type Cell, type CellOverride, type ExperimentSpec, type Shard } from './spec.js';

const CLI = new URL('../cli/main.js', import.meta.url).pathname;
const DONE = 'done.json';

export interface RunnerOptions {
  /** The experiment folder (runs go to `<dir>/runs/`). */
  dir: string;
  /** Most runs at once. */
  jobs: number;
  /** Seconds between progress lines (default 30). */
  progressEvery?: number;
  /** Wall seconds the runner may take: runs estimated not to finish in the time left are not started, running ones are stopped at the limit. */
  timeLimit?: number;
  /** Only the cells matching this (`--only`); the others are left to another runner. */
  only?: CellOverride['where'];
  /** Only every `count`-th of those cells from the `index`-th (`--shard index/count`): one slice of a job array. */
  shard?: Shard;
  /** Environment of the child runs (default: this process's), e.g. the queue's pinned compute backend. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface RunnerResult {
  finished: string[];
  skipped: string[];
  /** `lockedBy`: the cell could not run because another host holds its folder's lock (and may be alive); not a failure of the run itself. */
  failed: { id: string; code: number | null; signal: string | null; lockedBy?: LockHolder }[];
  /** Stopped by SIGINT/SIGTERM before every cell was done. */
  interrupted: boolean;
  /** Cells left undone because of the time limit (not started, or stopped at the limit). */
  timeLimited: string[];
}

/** resume at step 0: the run stopped before its first checkpoint (train --resume starts it again in place). */
export type CellStatus = { state: 'done' | 'resume'; step: number } | { state: 'fresh'; step: 0 } | { state: 'damaged'; step: 0; reason: string };

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * The children's environment: with `concurrent` runs at once, each gets an equal share of the
 * cores for its native kernels (HYPERRL_THREADS) unless the caller chose a count; more threads
 * than cores only make the runs wait for each other. Results do not depend on it.
 */
export function childEnv(concurrent: number, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): NodeJS.ProcessEnv {
  if (env.HYPERRL_THREADS !== undefined && env.HYPERRL_THREADS !== '') return env;
  return { ...env, HYPERRL_THREADS: String(Math.max(1, Math.floor(cores / Math.max(1, concurrent)))) };
}

/** Whether a run has parameter snapshots that its gradient-quality report does not cover yet. */
export function needsDiagnosis(dir: string): boolean {
  const snapshots = snapshotSteps(dir);
  if (snapshots.length === 0) return false;
  const done = new Set((readGradReport(dir)?.checkpoints ?? []).map((c) => c.step));
  return snapshots.some((s) => !done.has(s));
}

/** The step of the run folder's newest complete checkpoint, or null if it has none. */
function checkpointStep(dir: string): number | null {
  return findCheckpoint(nodeRunFiles, dir).newest?.step ?? null;
}

/** The last logged step of a run (its progress between checkpoints). */
export function loggedStep(dir: string): number {
  if (!existsSync(join(dir, 'metrics.jsonl'))) return 0;
  return readMetricsRows(dir).pop()?.step ?? 0;
}

/** Keys whose stored value differs from the spec's resolved config (the run folder is not this cell's run). */
function configDifferences(stored: ResolvedConfig, wanted: ResolvedConfig): string[] {
  const diffs: string[] = [];
  for (const part of ['run', 'agent'] as const) {
    const a = stored[part] as unknown as Record<string, unknown>, b = wanted[part] as unknown as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (k === 'runsDir') continue;
      if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) diffs.push(`${k}: run has ${JSON.stringify(a[k])}, spec wants ${JSON.stringify(b[k])}`);
    }
  }
  return diffs;
}

/** Whether the cell's run is finished, resumable or to be started; marks runs that reached the last step as done. */
export function cellStatus(dir: string, cell: Cell): CellStatus {
  if (existsSync(join(dir, DONE))) return { state: 'done', step: cell.totalSteps };
  const { newest, damaged } = findCheckpoint(nodeRunFiles, dir);
  if (newest === null && damaged.length > 0) return { state: 'damaged', step: 0, reason: damaged.join('; ') };
  const hasConfig = existsSync(join(dir, 'config.json'));
  const diffs = hasConfig ? configDifferences(readJson<ResolvedConfig>(join(dir, 'config.json')), resolveTrainConfig(cell.train)) : [];
  // Without a checkpoint the folder holds nothing to keep: started afresh (with this cell's settings).
  if (newest === null) return hasConfig && diffs.length === 0 ? { state: 'resume', step: 0 } : { state: 'fresh', step: 0 };
  if (diffs.length) throw new ConfigError(`${dir} holds a run with other settings than the spec's cell ${cell.id} (${diffs.join('; ')}); delete the folder or give the experiment another name`);
  const step = newest.step;
  if (step >= cell.totalSteps) {
    markDone(dir, step);
    return { state: 'done', step };
  }
  return { state: 'resume', step };
}

function markDone(dir: string, step: number): void {
  writeFileSync(join(dir, DONE), JSON.stringify({ step, finishedAt: new Date().toISOString() }) + '\n');
}

/** `hyperrl train` flags for a cell's settings (`--key=value`, lists comma-separated). */
export function trainFlags(settings: Record<string, unknown>): string[] {
  return Object.entries(settings).map(([k, v]) => `--${kebab(k)}=${Array.isArray(v) ? v.join(',') : String(v)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A child of an earlier runner that was killed may still be writing its last checkpoint: wait
 * while the folder's lock has a live holder on this host. A stale lock is left to the child to take
 * over; one held from another host is an error naming the holder.
 */
async function waitForLock(dir: string, log: (l: string) => void): Promise<void> {
  for (let waited = false; ; waited = true) {
    const holder = readLockHolder(dir);
    if (holder === null || isStale(holder)) return;
    if (holder.host !== hostname()) throw new RunLockedError(describeHolder(dir, holder), holder);
    if (!waited) log(`waiting: ${describeHolder(dir, holder)}`);
    await sleep(200);
  }
}

export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

export async function runExperiment(spec: ExperimentSpec, opts: RunnerOptions): Promise<RunnerResult> {
  const log = opts.log ?? ((l: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${l}`));
  const matching = cells(spec).filter((c) => opts.only === undefined || cellMatches(opts.only, c));
  if (matching.length === 0) throw new ConfigError(`experiment ${spec.name}: --only ${JSON.stringify(opts.only)} matches no cell of the grid`);
  const all = opts.shard === undefined ? matching : shardCells(matching, opts.shard);
  const result: RunnerResult = { finished: [], skipped: [], failed: [], interrupted: false, timeLimited: [] };
  const queue: { cell: Cell; dir: string; status: CellStatus }[] = [];
  for (const cell of all) {
    const dir = cellRunDir(opts.dir, cell);
    const status = cellStatus(dir, cell);
    if (status.state === 'done') result.skipped.push(cell.id);
    // A finished run whose diagnostic is missing or incomplete goes first (it only needs the diagnostic).
    if (status.state === 'done' && needsDiagnosis(dir)) queue.unshift({ cell, dir, status });
    else if (status.state !== 'done') queue.push({ cell, dir, status });
  }
  const toDiagnose = queue.filter((q) => q.status.state === 'done').length;
  log(`experiment ${spec.name}: ${all.length} runs, ${result.skipped.length} already done${toDiagnose ? ` (${toDiagnose} without their gradient diagnostic)` : ''}, ${queue.filter((q) => q.status.state === 'resume').length} to resume, ${queue.filter((q) => q.status.state === 'fresh').length} to start; up to ${opts.jobs} at once; folder ${opts.dir}`);
  if (queue.length === 0) return result;
  const env = childEnv(Math.min(opts.jobs, queue.length), opts.env);

  // Every child imports the spec's env modules (a resumed run also finds them in its config).
  const imports = spec.modules.map((m) => `--import=${m}`);
  const running = new Map<string, { child: ChildProcess; dir: string; cell: Cell; startStep: number; started: number }>();
  const startedAt = performance.now();
  let progressed = 0; // env steps done by this runner's children that have exited
  let stopping = false;

  const remainingSteps = (): number => queue.reduce((a, q) => a + (q.status.state === 'done' ? 0 : q.cell.totalSteps - q.status.step), 0)
    + [...running.values()].reduce((a, r) => a + r.cell.totalSteps - loggedStep(r.dir), 0);
  const progressLine = (): void => {
    const live = [...running.values()].map((r) => ({ r, step: loggedStep(r.dir) }));
    const done = progressed + live.reduce((a, { r, step }) => a + Math.max(0, step - r.startStep), 0);
    const rate = done / ((performance.now() - startedAt) / 1000);
    // Steps per second of the whole pool; the ETA assumes the pool stays as busy as it has been.
    const eta = rate > 0 ? remainingSteps() / rate : Infinity;
    const finished = result.skipped.length + result.finished.length;
    log(`${finished}/${all.length} done, ${running.size} running (${live.map(({ r, step }) => `${r.cell.id} ${Math.floor((100 * step) / r.cell.totalSteps)}%`).join(', ')}), ${queue.length} waiting; ${rate.toFixed(0)} steps/s, ETA ${formatDuration(eta)}`);
  };

  const onSignal = (): void => {
    if (!stopping) log(`interrupt: stopping ${running.size} runs at their next episode end with a checkpoint (again to stop them at once); rerun the same command to resume`);
    stopping = true;
    result.interrupted = true;
    for (const { child } of running.values()) child.kill('SIGINT');
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const ticker = setInterval(progressLine, (opts.progressEvery ?? 30) * 1000);
  const deadline = opts.timeLimit === undefined ? Infinity : startedAt + opts.timeLimit * 1000;
  const limitTimer = Number.isFinite(deadline) ? setTimeout(() => {
    if (stopping) return;
    log(`time limit reached: stopping ${running.size} runs at their next episode end with a checkpoint; rerun the same command to resume`);
    stopping = true;
    for (const { cell, child } of running.values()) {
      result.timeLimited.push(cell.id);
      child.kill('SIGINT');
    }
  }, deadline - startedAt) : null;
  /** Whether the item may start now: its estimated time fits before the deadline (no estimate: it is tried). */
  const fits = (item: (typeof queue)[number]): boolean => {
    if (!Number.isFinite(deadline) || item.status.state === 'done') return true;
    const estimate = estimateSeconds(opts.dir, item.cell, item.status.step, all);
    return estimate === null || performance.now() + estimate * 1000 <= deadline;
  };

  /** `hyperrl diagnose grad` on a finished run, as a child like the training runs (stopped the same way). */
  const diagnose = async (cell: Cell, dir: string): Promise<void> => {
    const out = openSync(join(dir, 'diagnose.log'), 'a');
    const child = spawn(process.execPath, [CLI, ...imports, 'diagnose', 'grad', dir, ...trainFlags(spec.diagnose)], { stdio: ['ignore', out, out, 'ipc'], detached: true, env });
    closeSync(out);
    const started = performance.now();
    running.set(cell.id, { child, dir, cell, startStep: cell.totalSteps, started });
    log(`diagnose ${cell.id} (gradient quality at its ${snapshotSteps(dir).length} snapshots)`);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    running.delete(cell.id);
    const took = formatDuration((performance.now() - started) / 1000);
    if (code === 0 && !needsDiagnosis(dir)) log(`diagnosed ${cell.id} in ${took}`);
    else if (stopping) log(`stopped the diagnostic of ${cell.id} (resumes with the experiment)`);
    else log(`FAILED the diagnostic of ${cell.id} (exit ${code}) after ${took}; see ${join(dir, 'diagnose.log')}`);
  };

  const launch = async (item: (typeof queue)[number]): Promise<void> => {
    const { cell, dir } = item;
    try {
      await waitForLock(dir, log);
    } catch (e) {
      const lockedBy = e instanceof RunLockedError ? e.holder : null;
      result.failed.push({ id: cell.id, code: null, signal: null, ...(lockedBy ? { lockedBy } : {}) });
      log(`FAILED ${cell.id}: ${(e as Error).message}`);
      return;
    }
    if (stopping) return;
    const status = cellStatus(dir, cell); // re-read: an earlier child may have checkpointed meanwhile
    if (status.state === 'damaged') {
      result.failed.push({ id: cell.id, code: null, signal: null });
      log(`FAILED ${cell.id}: its checkpoint is damaged, so the folder is left as it is: ${status.reason}`);
      return;
    }
    if (status.state === 'done') {
      if (item.status.state !== 'done') result.skipped.push(cell.id);
      if (needsDiagnosis(dir)) await diagnose(cell, dir);
      return;
    }
    if (status.state === 'fresh') rmSync(dir, { recursive: true, force: true }); // no checkpoint and not this cell's settings: nothing to keep
    ensureDir(nodeRunFiles, dir);
    const args = status.state === 'resume' ? ['train', `--resume=${dir}`] : ['train', `--run-dir=${dir}`, ...trainFlags(cell.train)];
    const out = openSync(join(dir, 'train.log'), 'a');
    const child = spawn(process.execPath, [CLI, ...imports, ...args], { stdio: ['ignore', out, out, 'ipc'], detached: true, env });
    closeSync(out);
    running.set(cell.id, { child, dir, cell, startStep: status.step, started: performance.now() });
    log(`${status.state === 'resume' ? `resume ${cell.id} at step ${status.step}` : `start ${cell.id}`} (${cell.totalSteps} steps)`);
    await new Promise<void>((resolve) => child.on('exit', (code, signal) => {
      const r = running.get(cell.id)!;
      running.delete(cell.id);
      const step = checkpointStep(dir) ?? 0;
      progressed += Math.max(0, loggedStep(dir) - r.startStep);
      const took = formatDuration((performance.now() - r.started) / 1000);
      if (code === 0 && step >= cell.totalSteps) {
        markDone(dir, step);
        result.finished.push(cell.id);
        const outcome = runOutcome(dir);
        log(`finished ${cell.id} in ${took}${outcome ? `: ${outcome}` : ''}`);
      } else if (code === 0 || code === EXIT_STOPPED || stopping) {
        log(`stopped ${cell.id} at step ${step} (checkpoint)`);
      } else {
        // A child that failed while another host holds the folder's lock lost the race for it (or had it taken over): the lock's failure, not the run's.
        const lockedBy = holderElsewhere(dir);
        result.failed.push({ id: cell.id, code, signal, ...(lockedBy ? { lockedBy } : {}) });
        const tail = existsSync(join(dir, 'train.log')) ? readFileSync(join(dir, 'train.log'), 'utf8').trimEnd().split('\n').slice(-3).join(' | ') : '';
        log(`FAILED ${cell.id} (exit ${code ?? signal}) after ${took}: ${tail}; see ${join(dir, 'train.log')}`);
      }
      resolve();
    }));
    if (!stopping && existsSync(join(dir, DONE)) && needsDiagnosis(dir)) await diagnose(cell, dir);
  };

  const worker = async (): Promise<void> => {
    while (!stopping) {
      const i = queue.findIndex(fits);
      if (i < 0) return; // time only runs out: nothing left fits for this worker either later
      await launch(queue.splice(i, 1)[0]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, queue.length)) }, worker));
  } finally {
    clearInterval(ticker);
    if (limitTimer !== null) clearTimeout(limitTimer);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
  if (Number.isFinite(deadline) && !result.interrupted && queue.length) {
    result.timeLimited.push(...queue.map((q) => q.cell.id));
    log(`time limit: not started ${queue.map((q) => q.cell.id).join(', ')} (estimated not to finish in the time left); rerun to continue`);
  }
  log(`experiment ${spec.name}: ${result.finished.length} finished now, ${result.skipped.length} were done, ${result.failed.length} failed${result.interrupted ? ', interrupted' : ''}${result.timeLimited.length ? `, ${result.timeLimited.length} left by the time limit` : ''} (${formatDuration((performance.now() - startedAt) / 1000)})`);
  return result;
}
