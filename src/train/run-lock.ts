/**
 * One process at a time per run folder: `<run>/lock`, created exclusively (a complete file
 * linked into place, so it never exists half-written), naming its holder — host, PID, command,
 * start time and a heartbeat refreshed while it runs. A lock whose holder is a dead process on
 * this host is stale and taken over; any other is refused with a message naming the holder.
 * Training, `diagnose grad` and the experiment runner (before it starts a child on a folder)
 * all go through it, so two resumes of one run cannot interleave their rows.
 *
 * A lock held from another host cannot be checked for life; its heartbeat stands in: while the
 * heartbeat is younger than the stale timeout (STALE_LOCK_SECONDS, 300 s; HYPERRL_LOCK_STALE_SECONDS)
 * the lock is refused, with the heartbeat's age and when it would go stale; once older, its holder
 * is taken to be gone (a crashed host, a killed job) and the lock is taken over. The age is read
 * against this host's clock, so the hosts' clocks must agree to well within the timeout (NTP).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'lock';

export interface LockHolder {
  host: string;
  pid: number;
  command: string;
  startedAt: string;
  heartbeat: string;
  /** Tells this acquisition apart from any other (a PID can be reused). */
  token: string;
}

/** The run folder is locked by another process; the message names the holder, `holder` is its record (null: damaged or lost lock). */
export class RunLockedError extends Error {
  override name = 'RunLockedError';
  constructor(message: string, readonly holder: LockHolder | null = null) {
    super(message);
  }
}

/** Whether a process with this PID exists on this host (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder; null when there is no lock. A lock file that is not a holder record is reported as such. */
export function readLockHolder(runDir: string): LockHolder | null {
  const path = join(runDir, LOCK_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const h = (() => {
    try {
      return JSON.parse(text) as LockHolder;
    } catch {
      return null;
    }
  })();
  if (h === null || typeof h.host !== 'string' || !Number.isInteger(h.pid) || typeof h.token !== 'string') {
    throw new RunLockedError(`${path}: damaged lock file (not a holder record); delete it if no process is using ${runDir}`);
  }
  return h;
}

/**
 * A lock from another host whose heartbeat is older than this many seconds is stale. Ten missed
 * heartbeats (one every 30 s): a live holder refreshes it far more often, even during a long
 * evaluation or checkpoint write.
 */
export const STALE_LOCK_SECONDS = 300;

/** The stale timeout: HYPERRL_LOCK_STALE_SECONDS if set (a positive number of seconds), else STALE_LOCK_SECONDS. */
export function staleLockSeconds(env: Record<string, string | undefined> = process.env): number {
  const text = env.HYPERRL_LOCK_STALE_SECONDS;
  if (text === undefined || text === '') return STALE_LOCK_SECONDS;
  const v = Number(text);
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`HYPERRL_LOCK_STALE_SECONDS must be a positive number of seconds, got '${text}'`);
  return v;
}

/** Seconds since the holder's last heartbeat by this host's clock (NaN if the record's heartbeat is not a date). */
const heartbeatAge = (h: LockHolder, now: number): number => (now - Date.parse(h.heartbeat)) / 1000;

/**
 * Whether the lock may be taken over: its holder is a dead process on this host, or, on another
 * host, its heartbeat is older than `staleSeconds` (an unreadable heartbeat is never stale).
 */
export function isStale(h: LockHolder, staleSeconds = staleLockSeconds(), now = Date.now()): boolean {
  return h.host === hostname() ? !processAlive(h.pid) : heartbeatAge(h, now) > staleSeconds;
}

/**
 * The holder of the folder's lock when it is a process on another host that may still be alive
 * (its heartbeat is younger than the stale timeout): the folder cannot be used here until that
 * lock is released or goes stale. Null otherwise, a damaged lock file included.
 */
export function holderElsewhere(runDir: string, staleSeconds = staleLockSeconds()): LockHolder | null {
  let h: LockHolder | null;
  try {
    h = readLockHolder(runDir);
  } catch {
    return null;
  }
  return h !== null && h.host !== hostname() && !isStale(h, staleSeconds) ? h : null;
}

/** Seconds until a lock of another host goes stale by this host's clock (0 if it is already; Infinity for an unreadable heartbeat). */
export function secondsUntilStale(h: LockHolder, staleSeconds = staleLockSeconds(), now = Date.now()): number {
  const age = heartbeatAge(h, now);
  return Number.isFinite(age) ? Math.max(0, staleSeconds - age) : Infinity;
}

/** The holder in words, for refusals and waits. */
export function describeHolder(runDir: string, h: LockHolder, staleSeconds = staleLockSeconds()): string {
  const age = Math.max(0, Math.round(heartbeatAge(h, Date.now())));
  const here = h.host === hostname();
  return `${runDir} is in use by ${h.command} (pid ${h.pid} on ${here ? 'this host' : `host ${h.host}`}, started ${h.startedAt}, last heartbeat ${Number.isFinite(age) ? `${age} s` : 'unknown'} ago)` +
    (here ? '; wait for it to finish or stop it'
      : `; it is taken over once its heartbeat is ${staleSeconds} s old (HYPERRL_LOCK_STALE_SECONDS), or delete ${join(runDir, LOCK_FILE)} if that process is gone`);
}

const randomToken = (): string => randomBytes(8).toString('hex');

export class RunLock {
  private readonly path: string;
  private holder: LockHolder;
  private readonly timer: ReturnType<typeof setInterval>;
  private released = false;
  /** The stale lock this acquisition replaced (a dead process here, or a silent host), if any. */
  tookOverFrom: LockHolder | null = null;
  /** Also on process.exit (a second Ctrl-C): the lock goes with the process. */
  private readonly onExit = (): void => this.release();

  private constructor(private readonly runDir: string, holder: LockHolder, heartbeatSeconds: number) {
    this.path = join(runDir, LOCK_FILE);
    this.holder = holder;
    this.timer = setInterval(() => this.beat(), heartbeatSeconds * 1000);
    this.timer.unref();
    process.on('exit', this.onExit);
  }

  /** Take the run folder's lock for `command` (e.g. 'hyperrl train'); a RunLockedError names the holder if another live process has it. */
  static acquire(runDir: string, command: string, heartbeatSeconds = 30): RunLock {
    const path = join(runDir, LOCK_FILE);
    const now = new Date().toISOString();
    const mine: LockHolder = { host: hostname(), pid: process.pid, command, startedAt: now, heartbeat: now, token: randomToken() };
    const staleSeconds = staleLockSeconds();
    let replaced: LockHolder | null = null;
    // A few rounds: each lost race (another process took over a stale lock first) means looking again.
    for (let round = 0; round < 5; round++) {
      if (createExclusive(path, mine)) {
        const lock = new RunLock(runDir, mine, heartbeatSeconds);
        lock.tookOverFrom = replaced;
        return lock;
      }
      const holder = readLockHolder(runDir);
      if (holder === null) continue; // released meanwhile
      if (!isStale(holder, staleSeconds)) throw new RunLockedError(describeHolder(runDir, holder, staleSeconds), holder);
      takeOverStale(path, holder);
      replaced = holder;
    }
    const holder = readLockHolder(runDir);
    throw new RunLockedError(holder === null ? `${path}: could not take the lock (other processes kept taking it)` : describeHolder(runDir, holder), holder);
  }

  /** Throws if this process no longer holds the lock (it was taken over), naming the new holder. */
  assertHeld(): void {
    const h = readLockHolder(this.runDir);
    if (h?.token !== this.holder.token) {
      throw new RunLockedError(`lost the lock of ${this.runDir}: ${h === null ? 'the lock file was deleted' : describeHolder(this.runDir, h)}`);
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    process.off('exit', this.onExit);
    try {
      if (readLockHolder(this.runDir)?.token === this.holder.token) rmSync(this.path, { force: true });
    } catch {
      // A damaged or foreign lock file is not ours to delete.
    }
  }

  private beat(): void {
    try {
      if (readLockHolder(this.runDir)?.token !== this.holder.token) return; // taken over; assertHeld reports it
      this.holder = { ...this.holder, heartbeat: new Date().toISOString() };
      const tmp = `${this.path}.${process.pid}.${randomToken()}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.holder) + '\n');
      renameSync(tmp, this.path);
    } catch {
      // A missed heartbeat only makes the holder look older to a person reading the refusal.
    }
  }
}

/** Link a complete holder record into place; false if a lock exists already. */
function createExclusive(path: string, holder: LockHolder): boolean {
  const tmp = `${path}.${process.pid}.${holder.token}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder) + '\n');
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Remove a stale lock unless someone replaced it meanwhile: move it aside, and if what was
 * moved is not the stale record we judged (another process took over between our read and the
 * move), put it back. The caller then tries to create its own lock again.
 */
function takeOverStale(path: string, stale: LockHolder): void {
  const aside = `${path}.stale.${process.pid}.${randomToken()}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  let moved: LockHolder | null = null;
  try {
    moved = JSON.parse(readFileSync(aside, 'utf8')) as LockHolder;
  } catch {
    // unreadable: it was the damaged stale file
  }
  if (moved !== null && moved.token !== stale.token) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process locked meanwhile: its lock stands, and the one moved here is re-judged by its holder's assertHeld
    }
  }
  rmSync(aside, { force: true });
}
