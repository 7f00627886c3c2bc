#!/usr/bin/env node
/**
 * `npm install` hook for the native backend. A prebuilt binary for this platform
 * (prebuilds/<platform>-<arch>/, made by `npm run prebuild` and shipped in the package)
 * is used when it loads; otherwise the addon is compiled (build/Release/hyperrl_native.node)
 * with node-gyp against the local Node headers, downloading nothing. Any failure is
 * reported in one line and the install still succeeds: hyperrl then uses its
 * WebAssembly kernels (and says so when it starts). The compiler output goes to
 * build/native-build.log.
 *
 * HYPERRL_SKIP_NATIVE=1 skips the build; HYPERRL_BUILD_NATIVE=1 compiles even when a prebuilt binary loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAddon, findNodeDir, findNodeGyp } from './native-toolchain.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const logPath = join(buildDir, 'native-build.log');
const addonPath = join(buildDir, 'Release', 'hyperrl_native.node');

function giveUp(reason, log) {
  if (log !== undefined) {
    try {
      mkdirSync(buildDir, { recursive: true });
      writeFileSync(logPath, log);
      reason += '; see build/native-build.log';
    } catch {
      // the warning below still explains what happened
    }
  }
  console.warn(`hyperrl: native backend not built (${reason}); using WebAssembly`);
  process.exit(0);
}

if (process.env.HYPERRL_SKIP_NATIVE === '1') giveUp('HYPERRL_SKIP_NATIVE=1');

if (process.env.HYPERRL_BUILD_NATIVE !== '1') {
  // node-gyp-build reads PREBUILDS_ONLY when it loads: look at the shipped binaries only, not at an earlier build/.
  process.env.PREBUILDS_ONLY = '1';
  let prebuilt = null;
  try {
    prebuilt = createRequire(import.meta.url)('node-gyp-build').path(root);
    checkAddon(prebuilt);
  } catch (e) {
    if (prebuilt !== null) console.warn(`hyperrl: the prebuilt native backend ${prebuilt} does not load here (${e.message.split('\n')[0]}); compiling it`);
    prebuilt = null;
  }
  if (prebuilt !== null) process.exit(0);
}

const nodedir = findNodeDir();
if (nodedir === null) giveUp(`Node headers not found next to ${process.execPath}`);

const gyp = findNodeGyp() ?? { cmd: process.platform === 'win32' ? 'npx.cmd' : 'npx', args: ['--yes', 'node-gyp'] };
// configure + build rather than rebuild: `rebuild` deletes all of build/, where other build outputs live too.
rmSync(addonPath, { force: true });
let log = '';
for (const step of [['configure'], ['build', '--jobs=max']]) {
  const args = [...gyp.args, ...step, '--release', `--nodedir=${nodedir}`];
  const run = spawnSync(gyp.cmd, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60 * 1000,
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  log += `$ ${gyp.cmd} ${args.join(' ')}\n${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? `\n${run.error.stack}\n` : ''}`;
  if (run.error) giveUp(run.error.code === 'ENOENT' ? 'node-gyp not found' : `node-gyp did not run: ${run.error.message}`, log);
  if (run.status !== 0) giveUp(`node-gyp ${step[0]} failed with ${run.status !== null ? `exit code ${run.status}` : run.signal}`, log);
}
if (!existsSync(addonPath)) giveUp('node-gyp produced no addon', log);

// Load it once here, so a binary that cannot run never sits where the backend looks for it.
try {
  checkAddon(addonPath);
} catch (e) {
  rmSync(addonPath, { force: true });
  giveUp(`built addon failed to load: ${e.message.split('\n')[0]}`, log);
}
mkdirSync(buildDir, { recursive: true });
writeFileSync(logPath, log);
