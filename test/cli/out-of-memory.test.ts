/**
 * A training run that runs out of memory (here: over HYPERRL_MAX_ARENA_MB) exits with status 5 and a
 * message naming the allocation, the arena's size and what lowers the memory — on 1 and 2 native
 * threads and on wasm — instead of "Array buffer allocation failed" (status 1), an abort in the
 * native addon, or the kernel's OOM killer.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EXIT } from '../../src/cli/exit-codes.js';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

for (const { backend, threads } of [{ backend: 'native', threads: 1 }, { backend: 'native', threads: 2 }, { backend: 'wasm', threads: 1 }]) {
  it(`a second-order MAML meta-update over the arena cap exits ${EXIT.outOfMemory} naming the allocation (${backend}, ${threads} thread${threads > 1 ? 's' : ''})`, () => {
    const runs = tempRuns('oom');
    const r = spawnSync(process.execPath, [CLI, 'train', '--algo', 'maml', '--policy', 'mlp', '--env', 'Navigation2D-v0', '--order', 'second',
      '--meta-batch-size', '4', '--fast-batch-size', '4', '--total-steps', '3200', '--threads', String(threads), '--runs-dir', runs, '--quiet'],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HYPERRL_MAX_ARENA_MB: '6', HYPERRL_BACKEND: backend } });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, EXIT.outOfMemory, r.stderr);
    assert.equal(EXIT.outOfMemory, 5, 'the status docs/reliability.md documents');
    assert.match(r.stderr, /^hyperrl: out of memory allocating a tensor of shape \[\d+(, \d+)*\]: \d+\.\d MB requested, the arena already holds \d+\.\d MB \(cap 6\.0 MB\); it would exceed the arena cap/m);
    assert.match(r.stderr, /To fix: --outer-pass per-task .*; fewer tasks per meta-batch \(--meta-batch-size, now 4\); .*first-order MAML \(--order first\)/);
  });
}
