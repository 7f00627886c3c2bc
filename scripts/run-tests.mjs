// Runs every compiled test file under dist/test with node's built-in runner.
// (Node 20's `node --test` does not expand globs itself, so the files are listed here.)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js') && (filter.length === 0 || filter.some((f) => path.includes(f)))) files.push(path);
  }
})(join(root, 'dist', 'test'));

// One test file per core at once (node's default is one fewer than the cores: a 2-core machine ran the
// files one after the other, half the machine idle); results do not depend on timing or thread counts.
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${availableParallelism()}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
