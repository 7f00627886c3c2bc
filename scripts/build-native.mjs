#!/usr/bin/env node
/**
 * `npm install` hook: builds the native backend (build/Release/hyperrl_native.node)
 * with node-gyp against the local Node headers, downloading nothing. Any failure
 * is reported in one line and the install still succeeds: hyperrl then uses its
 * WebAssembly kernels. The full compiler output goes to build/native-build.log.
 *
 * HYPERRL_SKIP_NATIVE=1 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** node-gyp's entry script: npm's own (npm passes it to install scripts), else the copy bundled with npm. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    // .../npm/bin/npm-cli.js → .../npm/node_modules/node-gyp/bin/node-gyp.js
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const c of candidates) {
    if (!c || !existsSync(c)) continue;
    // node-gyp's entry script runs under this Node; anything else (a wrapper script) runs as it is.
    return /\.[cm]?js$/.test(c) ? { cmd: process.execPath, args: [c] } : { cmd: c, args: [] };
  }
  return null; // fall back to npx below
}

/** A directory whose include/node holds this Node's headers, so node-gyp downloads nothing. */
function findNodeDir() {
  const fromNpm = process.env.npm_config_nodedir;
  const candidates = [fromNpm, dirname(dirname(process.execPath)), '/usr', '/usr/local'].filter(Boolean);
  for (const dir of candidates) if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) return dir;
  return null;
}

if (process.env.HYPERRL_SKIP_NATIVE === '1') giveUp('HYPERRL_SKIP_NATIVE=1');

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
  const addon = createRequire(import.meta.url)(addonPath);
  if (typeof addon.gemm !== 'function' || typeof addon.isa() !== 'string') throw new Error('unexpected exports');
} catch (e) {
  rmSync(addonPath, { force: true });
  giveUp(`built addon failed to load: ${e.message.split('\n')[0]}`, log);
}
mkdirSync(buildDir, { recursive: true });
writeFileSync(logPath, log);
