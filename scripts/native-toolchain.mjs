/**
 * The toolchain shared by the native build scripts: node-gyp without a download (npm's
 * bundled copy, this Node's own headers) and the check that a built addon loads.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** node-gyp's entry script: npm's own (npm passes it to install scripts), else the copy bundled with npm. */
export function findNodeGyp() {
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
export function findNodeDir() {
  const fromNpm = process.env.npm_config_nodedir;
  const candidates = [fromNpm, dirname(dirname(process.execPath)), '/usr', '/usr/local'].filter(Boolean);
  for (const dir of candidates) if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) return dir;
  return null;
}

/** Load an addon file and check its exports; throws with the reason when it cannot run here. */
export function checkAddon(path) {
  const addon = createRequire(import.meta.url)(path);
  if (typeof addon.gemm !== 'function' || typeof addon.isa() !== 'string') throw new Error('unexpected exports');
  return addon;
}
