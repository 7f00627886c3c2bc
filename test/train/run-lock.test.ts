/**
 * The run lock's stale timeout for holders on other hosts: a forged lock file from another
 * host is refused while its heartbeat is younger than the timeout and taken over after it;
 * HYPERRL_LOCK_STALE_SECONDS sets the timeout.
 */
import { afterEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStale, LOCK_FILE, RunLock, RunLockedError, STALE_LOCK_SECONDS, staleLockSeconds, type LockHolder } from '../../src/train/run-lock.js';

const saved = process.env.HYPERRL_LOCK_STALE_SECONDS;
afterEach(() => {
  if (saved === undefined) delete process.env.HYPERRL_LOCK_STALE_SECONDS;
  else process.env.HYPERRL_LOCK_STALE_SECONDS = saved;
});

/** A run folder holding a lock forged for a holder on another host, its heartbeat `ageSeconds` old. */
function forgedLock(ageSeconds: number): { dir: string; holder: LockHolder } {
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-lock-'));
  mkdirSync(dir, { recursive: true });
  const beat = new Date(Date.now() - ageSeconds * 1000).toISOString();
  const holder: LockHolder = { host: `not-${hostname()}.example`, pid: 4242, command: 'hyperrl train', startedAt: beat, heartbeat: beat, token: 'forged' };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
  return { dir, holder };
}

it('refuses a lock from another host while its heartbeat is younger than the timeout, naming the timeout', () => {
  delete process.env.HYPERRL_LOCK_STALE_SECONDS;
  const { dir } = forgedLock(STALE_LOCK_SECONDS - 20);
  assert.throws(() => RunLock.acquire(dir, 'test'), (e: unknown) => e instanceof RunLockedError
    && /on host not-.*\.example, .*last heartbeat 2\d\d s ago\); it is taken over once its heartbeat is 300 s old/.test(e.message));
  assert.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder).token, 'forged', 'the lock is left alone');
});

it('takes over a lock from another host whose heartbeat is older than the timeout, and releases its own', () => {
  delete process.env.HYPERRL_LOCK_STALE_SECONDS;
  const { dir, holder } = forgedLock(STALE_LOCK_SECONDS + 5);
  const lock = RunLock.acquire(dir, 'test');
  try {
    assert.equal(lock.tookOverFrom?.host, holder.host);
    const now = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
    assert.deepEqual([now.host, now.pid, now.command], [hostname(), process.pid, 'test']);
    lock.assertHeld();
  } finally {
    lock.release();
  }
  assert.throws(() => readFileSync(join(dir, LOCK_FILE)), /ENOENT/);
});

it('reads the timeout from HYPERRL_LOCK_STALE_SECONDS and rejects a bad value by name', () => {
  assert.equal(staleLockSeconds({}), STALE_LOCK_SECONDS);
  assert.equal(staleLockSeconds({ HYPERRL_LOCK_STALE_SECONDS: '45' }), 45);
  for (const bad of ['0', '-3', 'soon']) assert.throws(() => staleLockSeconds({ HYPERRL_LOCK_STALE_SECONDS: bad }), /HYPERRL_LOCK_STALE_SECONDS must be a positive number of seconds/);
  process.env.HYPERRL_LOCK_STALE_SECONDS = '60';
  const { dir } = forgedLock(90);
  const lock = RunLock.acquire(dir, 'test');
  assert.notEqual(lock.tookOverFrom, null);
  lock.release();
  // An unreadable heartbeat is never stale (nothing tells that the holder is gone).
  assert.equal(isStale({ ...forgedLock(0).holder, heartbeat: 'yesterday' }, 1), false);
});
