#!/usr/bin/env node
/**
 * `npm run prebuildify` (also run by `npm pack` / `npm publish`; not named `prebuild`, which npm would run before every `npm run build`): the native addon for this
 * platform as prebuilds/<platform>-<arch>/node.napi.<libc>.node, with prebuildify (N-API,
 * so one binary serves every Node version). Built in a temporary copy of the sources:
 * prebuildify runs `node-gyp rebuild`, which empties build/, where the wasm kernels live.
 * Against this Node's own headers, downloading nothing.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAddon, findNodeDir, findNodeGyp } from './native-toolchain.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodedir = findNodeDir();
if (nodedir === null) throw new Error(`prebuild: Node headers not found next to ${process.execPath}`);
const gyp = findNodeGyp();
if (gyp === null) throw new Error('prebuild: node-gyp not found (run it through npm: npm run prebuild)');

const work = mkdtempSync(join(tmpdir(), 'hyperrl-prebuild-'));
try {
  cpSync(join(root, 'binding.gyp'), join(work, 'binding.gyp'));
  cpSync(join(root, 'native'), join(work, 'native'), { recursive: true });
  const prebuildify = join(dirname(createRequire(import.meta.url).resolve('prebuildify/package.json')), 'bin.js');
  const run = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', '--tag-libc', '--cwd', work, '--out', root], {
    stdio: 'inherit',
    // node-gyp reads npm_config_nodedir: this Node's headers, no download. prebuildify runs the one named here.
    env: { ...process.env, npm_config_nodedir: nodedir, PREBUILD_NODE_GYP: [gyp.cmd, ...gyp.args].map((a) => JSON.stringify(a)).join(' '), PREBUILD_SHELL: '/bin/sh' },
  });
  if (run.status !== 0) throw new Error(`prebuild: prebuildify failed (${run.status ?? run.signal})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
for (const file of readdirSync(dir)) {
  const addon = checkAddon(join(dir, file));
  console.log(`prebuild: ${join('prebuilds', `${process.platform}-${process.arch}`, file)} loads (ISA ${addon.isa()})`);
}
