#!/usr/bin/env node
// Compile the AssemblyScript kernels (wasm/assembly/) into two modules:
//   build/wasm/hyperrl.wasm          SIMD128
//   build/wasm/hyperrl-relaxed.wasm  SIMD128 + relaxed SIMD (FMA micro-kernel)
// Needs only the `assemblyscript` devDependency; works offline.
// Usage: node scripts/build-wasm.mjs [--text]   (--text also writes .wat next to each .wasm)
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'wasm', 'assembly', 'index.ts');
const outDir = join(root, 'build', 'wasm');
const withText = process.argv.includes('--text');

let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch (err) {
  console.error('build-wasm: cannot load the AssemblyScript compiler (devDependency "assemblyscript"); ' +
    'run `npm install` first.\n' + String(err));
  process.exit(1);
}

const common = [
  relative(root, entry),
  '--optimizeLevel', '3', '--shrinkLevel', '0', '--converge',
  '--runtime', 'stub', '--noAssert',
  '--enable', 'simd',
  '--initialMemory', '1',
];

const variants = [
  { file: 'hyperrl.wasm', flags: [] },
  { file: 'hyperrl-relaxed.wasm', flags: ['--enable', 'relaxed-simd'] },
];

mkdirSync(outDir, { recursive: true });
process.chdir(root);
for (const { file, flags } of variants) {
  const out = join(outDir, file);
  const argv = [...common, ...flags, '--outFile', relative(root, out)];
  if (withText) argv.push('--textFile', relative(root, out.replace(/\.wasm$/, '.wat')));
  const t0 = Date.now();
  const { error, stderr } = await asc.main(argv);
  if (error) {
    console.error(`build-wasm: ${file} failed: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${relative(root, out)} (${statSync(out).size} bytes, ${Date.now() - t0} ms)`);
}
