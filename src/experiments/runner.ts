/**
 * Runs an experiment's cells as `hyperrl train` child processes, at most `jobs` at a
 * time, each in its fixed folder `<experiment>/runs/<cell id>/` with its output in
 * `train.log` there. Resumable: a cell with `done.json` (written here when its run
 * reaches the last step) is skipped, one with a checkpoint is resumed (found by the same
 * recovery routine as `train --resume`, so whatever a kill left that a resume can use, the
 * runner uses too), one whose checkpoint is damaged is reported and left alone, any other
 * is started afresh. A cell whose folder's lock a live process on this host holds (another
 * runner's child, or a child of an earlier, killed runner still writing its last checkpoint) is
 * set aside and come back to after the free cells; when only such cells are left the runner waits
 * for them, then skips a cell finished meanwhile and resumes one stopped unfinished. A lock held
 * from another host makes the cell fail, naming the holder.
 * Children run in their own process group, so a terminal's Ctrl-C
 * reaches only the runner, which passes one SIGINT per Ctrl-C on (the first lets each
 * child finish its episode and checkpoint; a second makes them quit at once, and the runner with
 * them, 128 + the signal's number); with no child going (only waiting for held cells) the runner
 * returns at once, interrupted. If the
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
import { EXIT_STOPPED, signalExitCode, STOP_SIGNALS, type StopSignal } from '../train/stop-signals.js';
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
  /**
   * A second signal quits the process at once (128 + the signal's number) after passing it on to the
   * children, as `hyperrl experiment` does; without it the runner returns once they have quit (a queue
   * worker then puts their cells back on the queue).
   */
  quitOnSecondSignal?: boolean;
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

/**
 * The holder of the folder's lock when it is a live process on this host: another runner's child
 * (two runners on one experiment with overlapping cells) or a child of an earlier, killed runner of
 * this one still writing its last checkpoint. The runner treats both alike: it sets the cell aside
 * and comes back to it. Null when the folder is free or its lock stale (the child takes that over);
 * a lock held from another host is an error naming the holder.
 */
function liveHolderHere(dir: string): LockHolder | null {
  const holder = readLockHolder(dir);
  if (holder === null || isStale(holder)) return null;
  if (holder.host !== hostname()) throw new RunLockedError(describeHolder(dir, holder), holder);
  return holder;
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
  let signals = 0;
  /** Queued cells whose folder a live process on this host holds (set aside until it lets go). */
  const held = new Map<string, LockHolder>();
  /** Workers waiting for a held cell; a signal or the time limit wakes them to stop. */
  const sleepers = new Set<() => void>();
  const pause = (ms: number): Promise<void> => new Promise((resolve) => {
    const wake = (): void => { clearTimeout(timer); sleepers.delete(wake); resolve(); };
    const timer = setTimeout(wake, ms);
    sleepers.add(wake);
  });
  const wakeAll = (): void => { for (const wake of [...sleepers]) wake(); };

  const remainingSteps = (): number => queue.reduce((a, q) => a + (q.status.state === 'done' ? 0 : q.cell.totalSteps - q.status.step), 0)
    + [...running.values()].reduce((a, r) => a + r.cell.totalSteps - loggedStep(r.dir), 0);
  const progressLine = (): void => {
    const live = [...running.values()].map((r) => ({ r, step: loggedStep(r.dir) }));
    const done = progressed + live.reduce((a, { r, step }) => a + Math.max(0, step - r.startStep), 0);
    const rate = done / ((performance.now() - startedAt) / 1000);
    // Steps per second of the whole pool; the ETA assumes the pool stays as busy as it has been.
    const eta = rate > 0 ? remainingSteps() / rate : Infinity;
    const finished = result.skipped.length + result.finished.length;
    log(`${finished}/${all.length} done, ${running.size} running (${live.map(({ r, step }) => `${r.cell.id} ${Math.floor((100 * step) / r.cell.totalSteps)}%`).join(', ')}), ${queue.length} waiting${held.size ? ` (${held.size} in use by another process)` : ''}; ${rate.toFixed(0)} steps/s, ETA ${formatDuration(eta)}`);
  };

  // The first signal stops the children at their next episode end (one after the time limit: at
  // once), and a runner with no child going stops waiting and returns now. A second signal passes
  // the children theirs (they quit at once, their last checkpoint remains); it quits the runner at
  // once too if asked to, as it does `train`.
  const onSignal = (signal: StopSignal): void => {
    signals++;
    for (const { child } of running.values()) child.kill('SIGINT');
    if (signals > 1) {
      log(`${signal} again: stopping ${running.size} runs at once (their last checkpoint remains)${opts.quitOnSecondSignal ? '; quitting' : ''}`);
      if (opts.quitOnSecondSignal) process.exit(signalExitCode(signal));
      return;
    }
    if (running.size === 0) log('interrupt: no run going here; stopping now; rerun the same command to resume');
    else if (!stopping) log(`interrupt: stopping ${running.size} runs at their next episode end with a checkpoint (again to stop them at once); rerun the same command to resume`);
    else log(`interrupt: stopping ${running.size} runs at once (they were stopping for the time limit); rerun the same command to resume`);
    stopping = true;
    result.interrupted = true;
    wakeAll();
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
    wakeAll();
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
      liveHolderHere(dir);
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
      if (item.status.state !== 'done') {
        result.skipped.push(cell.id);
        log(`${cell.id} was finished meanwhile by another process`);
      }
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
      } else if (heldHere(item)) {
        // Another runner's child took the lock between this runner's look and its child's start: the cell is theirs for now.
        queue.push(item);
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

  /** Whether another live process on this host holds the item's folder now (said once per cell); a foreign or damaged lock is launch's to report. */
  const heldHere = (item: (typeof queue)[number]): boolean => {
    let holder: LockHolder | null;
    try {
      holder = liveHolderHere(item.dir);
    } catch {
      return false;
    }
    if (holder === null) held.delete(item.cell.id);
    else if (!held.has(item.cell.id)) {
      held.set(item.cell.id, holder);
      log(`set aside ${item.cell.id} while it is in use (${describeHolder(item.dir, holder)}); going on with the other cells`);
    }
    return holder !== null;
  };
  let waitingFor = '';
  // Each worker takes the first cell that fits the time left and is not held by another live
  // process here; held cells are come back to. When only held cells are left, it waits for them:
  // one finished meanwhile is skipped as done, one stopped unfinished is resumed.
  const worker = async (): Promise<void> => {
    while (!stopping) {
      const i = queue.findIndex((item) => fits(item) && !heldHere(item));
      if (i >= 0) {
        await launch(queue.splice(i, 1)[0]!);
        continue;
      }
      const waiting = queue.filter((item) => fits(item) && held.has(item.cell.id)).map((item) => item.cell.id);
      if (waiting.length === 0) return; // time only runs out: nothing left fits for this worker either later
      if (waitingFor !== waiting.join()) log(`waiting for ${waiting.join(', ')}: nothing else is left to start (Ctrl-C stops the runner; rerun to resume)`);
      waitingFor = waiting.join();
      await pause(500);
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
    const [inUse, unfit] = [queue.filter((q) => held.has(q.cell.id)), queue.filter((q) => !held.has(q.cell.id))].map((qs) => qs.map((q) => q.cell.id).join(', '));
    log(`time limit: not started ${[unfit && `${unfit} (estimated not to finish in the time left)`, inUse && `${inUse} (in use by another process)`].filter(Boolean).join(', ')}; rerun to continue`);
  }
  log(`experiment ${spec.name}: ${result.finished.length} finished now, ${result.skipped.length} were done, ${result.failed.length} failed${result.interrupted ? ', interrupted' : ''}${result.timeLimited.length ? `, ${result.timeLimited.length} left by the time limit` : ''} (${formatDuration((performance.now() - startedAt) / 1000)})`);
  return result;
}
