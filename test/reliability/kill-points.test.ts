/**
 * A kill at any file operation of a run (TD3's off-policy loop and PPO's on-policy loop) — writing its configuration, appending metrics, every
 * step of every checkpoint write, whole or torn in the middle of a write — once, or twice in a
 * row in every combination, and the run continued from what the kills left ends bit-identical
 * to an uninterrupted run (same checkpoint, same logs, no leftovers). In-process, over the
 * enumerated kill points of the tiny run (tiny-run.ts); sigkill.test.ts checks real SIGKILLs.
 *
 * Second kills: at every operation of the continued run up to and including its first
 * checkpoint commit; there the folder is asserted equal to the uninterrupted run's at the same
 * commit, so any later second kill is a single kill of that run, which the first part covers.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Killed, KillSwitch, type FileOp, type KillPoint } from './kill-switch.js';
import { fingerprint, runTiny, TINY, TINY_PPO } from './tiny-run.js';

// tmpfs where there is one: thousands of small folders are created and removed.
const scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hyperrl-kill-points-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const newFolder = (): string => join(scratch, `run-${folders++}`);
const copyOf = (dir: string): string => {
  const copy = newFolder();
  if (existsSync(dir)) cpSync(dir, copy, { recursive: true }); // a kill at the first operation leaves no folder
  return copy;
};
const describe = (p: KillPoint, ops: readonly FileOp[]): string => `${p.torn ? 'torn ' : ''}${ops[p.op]!.kind} ${basename(ops[p.op]!.path)} (operation ${p.op})`;


const isCommit = (o: FileOp): boolean => o.kind === 'rename' && /\/g\d+-step-\d+$/.test(o.path);

/** The last operation of the first checkpoint commit (its rename out of `.partial`, then the flush and removals after it), or null if there is none. */
function firstCommitEnd(ops: readonly FileOp[]): number | null {
  let i = ops.findIndex(isCommit);
  if (i < 0) return null;
  while (ops[i + 1]?.kind === 'flush' || ops[i + 1]?.kind === 'remove') i++;
  return i;
}

for (const [name, settings] of [['TD3', TINY], ['PPO', TINY_PPO]] as const) {
  it(`${name}: survives a kill at every file operation, once and twice in a row, bit-identically`, () => killEverywhere(settings));
}

async function killEverywhere(settings: Record<string, unknown>): Promise<void> {
  /** Start or continue the tiny run in `dir`, killed at `at`. */
  const runKilled = async (dir: string, at: KillPoint): Promise<void> => {
    await assert.rejects(runTiny(dir, new KillSwitch(at), settings), Killed);
  };
  /** Start or continue the tiny run in `dir` to its end; returns its operations. */
  const runThrough = async (dir: string): Promise<FileOp[]> => {
    const files = new KillSwitch();
    await runTiny(dir, files, settings);
    return files.ops;
  };

  const straightDir = newFolder();
  const straightOps = await runThrough(straightDir);
  const finished = fingerprint(straightDir);
  const firstPoints = KillSwitch.points(straightOps);
  assert.ok(firstPoints.length >= 50, `${firstPoints.length} kill points`);

  /** The uninterrupted run's folder right after the commit ending at operation `end` (killed at the next operation). */
  const straightAt = new Map<string, string>();
  for (let end = 0; end < straightOps.length; end++) {
    const o = straightOps[end]!;
    if (!isCommit(o)) continue;
    while (straightOps[end + 1]?.kind === 'flush' || straightOps[end + 1]?.kind === 'remove') end++;
    const dir = newFolder();
    if (end + 1 < straightOps.length) await runKilled(dir, { op: end + 1, torn: false });
    else await runThrough(dir);
    straightAt.set(basename(o.path).replace(/^g\d+-/, ''), fingerprint(dir));
  }

  let combinations = 0;
  for (const first of firstPoints) {
    const killedOnce = newFolder();
    await runKilled(killedOnce, first);
    const base = copyOf(killedOnce);
    const continuedOps = await runThrough(killedOnce);
    assert.equal(fingerprint(killedOnce), finished, `after a kill at ${describe(first, straightOps)}`);

    // A run killed after its last commit only tidies up when continued: then every operation is a second kill point.
    const end = firstCommitEnd(continuedOps) ?? continuedOps.length - 1;
    for (const second of KillSwitch.points(continuedOps).filter((p) => p.op <= end)) {
      const twice = copyOf(base);
      await runKilled(twice, second);
      await runThrough(twice);
      assert.equal(fingerprint(twice), finished, `after kills at ${describe(first, straightOps)}, then at ${describe(second, continuedOps)}`);
      combinations++;
    }
    // Past its first commit the continued run's folder is the uninterrupted run's at that commit.
    const commit = continuedOps.findIndex(isCommit);
    const atCommit = copyOf(base);
    if (commit >= 0 && end + 1 < continuedOps.length) {
      await runKilled(atCommit, { op: end + 1, torn: false });
      const step = basename(continuedOps[commit]!.path).replace(/^g\d+-/, '');
      assert.equal(fingerprint(atCommit), straightAt.get(step), `after a kill at ${describe(first, straightOps)}, the continued run's first commit (${step})`);
    }
    for (const d of [killedOnce, base, atCommit]) rmSync(d, { recursive: true, force: true });
  }
  console.log(`${String(settings.algo ?? 'td3')}: ${straightOps.length} file operations, kill points: ${firstPoints.length} single, ${combinations} double`);
}
