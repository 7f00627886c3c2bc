/** A silent fallback to a slower backend must not hide a broken build: on this machine all three must load. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeBackends, defaultBackend } from '../../src/tensor/backends/index.js';

it('loads the native, wasm and js backends on this machine', () => {
  const probe = probeBackends();
  for (const [name, status] of Object.entries(probe)) assert.equal(status, true, `${name} backend failed to load: ${String(status)}`);
});

it('picks native by default and honours HYPERRL_BACKEND', () => {
  const saved = process.env.HYPERRL_BACKEND;
  try {
    delete process.env.HYPERRL_BACKEND;
    assert.equal(defaultBackend().name, 'native');
    process.env.HYPERRL_BACKEND = 'wasm';
    assert.equal(defaultBackend().name, 'wasm');
    process.env.HYPERRL_BACKEND = 'cuda';
    assert.throws(() => defaultBackend(), /HYPERRL_BACKEND='cuda' is not a backend/);
  } finally {
    if (saved === undefined) delete process.env.HYPERRL_BACKEND;
    else process.env.HYPERRL_BACKEND = saved;
  }
});

/** Run `defaultBackend()` twice in a child whose native addon is looked for in `dir` only (node-gyp-build's HYPERRL_PREBUILD). */
function backendWithAddonsIn(dir: string): { stdout: string; stderr: string } {
  const script = `import { defaultBackend } from ${JSON.stringify(new URL('../../src/tensor/backends/index.js', import.meta.url).href)};
    console.log(defaultBackend().name, defaultBackend().name);`;
  const env: Record<string, string | undefined> = { ...process.env, HYPERRL_PREBUILD: dir };
  delete env.HYPERRL_BACKEND;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

it('loads a prebuilt binary from prebuilds/<platform>-<arch>/ when nothing was compiled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-prebuilds-'));
  const platformDir = join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(platformDir, { recursive: true });
  // The compiled addon stands in for a prebuilt one: node-gyp-build finds it by folder and file name.
  copyFileSync(new URL('../../../build/Release/hyperrl_native.node', import.meta.url), join(platformDir, 'node.napi.glibc.node'));
  const r = backendWithAddonsIn(dir);
  assert.equal(r.stdout.trim(), 'native native');
  assert.equal(r.stderr, '');
});

it('says in one line, once, that it fell back to wasm when no native addon loads', () => {
  const r = backendWithAddonsIn(mkdtempSync(join(tmpdir(), 'hyperrl-no-addon-')));
  assert.equal(r.stdout.trim(), 'wasm wasm');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^hyperrl: NOTICE: using the wasm backend, several times slower than native, because native: .*not built.*HYPERRL_BACKEND=wasm/);
});
