/**
 * Real SIGKILLs of `hyperrl train` child processes with the real file layer, aimed at the
 * moment a checkpoint generation starts being written (a watch on the checkpoints folder sees
 * the `.partial` folder appear): once, and twice in a row. The dead process's lock is left
 * behind and taken over by the resume. kill-points.test.ts enumerates every kill point in-process.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { LOCK_FILE, readLockHolder } from '../../src/train/run-lock.js';
import { checkpointStep } from '../helpers/train.js';
import { scratchPath } from './run-folders.js';
import { fingerprint } from './tiny-run.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const RUN = { env: 'Pendulum-v1', totalSteps: 1000, learningStarts: 200, randomSteps: 200, batchSize: 32, actorHidden: [16, 16], criticHidden: [16, 16], evalEvery: 500, evalEpisodes: 1, checkpointEvery: 200, logEvery: 100, seed: 9 };
const FLAGS = Object.entries(RUN).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${Array.isArray(v) ? v.join(',') : v}`);

/**
 * Start (`args`) or resume the run in `dir` and SIGKILL it as soon as it starts writing a checkpoint
 * generation past step `after`. Resolves with whether the kill left that write unfinished.
 */
async function killDuringCheckpoint(dir: string, args: string[], after: number): Promise<boolean> {
  const gens = join(dir, 'checkpoints');
  const entries = (): string[] => (existsSync(gens) ? readdirSync(gens) : []);
  // A `.partial` that an earlier kill left is not this process's write.
  const earlier = new Set(entries());
  const child = spawn(process.execPath, [CLI, 'train', ...args, '--quiet'], { stdio: 'ignore' });
  const partialPast = (): string | undefined => {
    const now = entries();
    // Once the resume has removed an earlier one, the same name is this process's own write.
    for (const n of earlier) if (!now.includes(n)) earlier.delete(n);
    return now.find((n) => n.endsWith('.partial') && !earlier.has(n) && Number(/step-(\d+)/.exec(n)![1]) > after);
  };
  let seen: string | undefined;
  await new Promise<void>((resolve, reject) => {
    let watcher: ReturnType<typeof watch> | null = null;
    const check = (): void => {
      seen ??= partialPast();
      if (seen !== undefined) {
        child.kill('SIGKILL');
        finish();
      }
    };
    // The folder appears with the first generation; from then a watch reacts as soon as a `.partial` is created.
    const poll = setInterval(() => {
      if (watcher === null && existsSync(gens)) watcher = watch(gens, check);
      check();
    }, 5);
    const finish = (): void => {
      clearInterval(poll);
      watcher?.close();
      resolve();
    };
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') return;
      finish();
      reject(new Error(`the run ended (${code}) before a checkpoint past step ${after} began`));
    });
  });
  await new Promise((r) => child.on('close', r));
  console.log(`killed while writing ${seen}`);
  return existsSync(join(dir, 'checkpoints', seen!));
}

it('survives SIGKILLs during checkpoint writes, once and twice in a row, bit-identically', async () => {
  const straight = scratchPath('straight');
  await train({ config: resolveTrainConfig(RUN), runDir: straight, quiet: true });

  for (const kills of [1, 2]) {
    const dir = scratchPath(`sigkill-${kills}`);
    const cutShort: boolean[] = [await killDuringCheckpoint(dir, [...FLAGS, '--run-dir', dir], 200)];
    // The killed process could not release its lock: the resume takes the stale lock over.
    assert.equal(readLockHolder(dir) !== null, true, `${LOCK_FILE} left by the killed process`);
    // The second kill: during the resumed run's first checkpoint write.
    if (kills === 2) cutShort.push(await killDuringCheckpoint(dir, ['--resume', dir], checkpointStep(dir)));
    const resumed = spawnSync(process.execPath, [CLI, 'train', '--resume', dir, '--quiet'], { encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(fingerprint(dir), fingerprint(straight), `after ${kills} SIGKILL(s) (writes cut short: ${cutShort.join(', ')})`);
    console.log(`${kills} SIGKILL(s) during checkpoint writes; writes left unfinished: ${cutShort.join(', ')}`);
  }
});
