/**
 * The package as a user gets it: the tarball of `npm pack` (with the prebuilt linux-x64
 * addon of `npm run prebuildify`, which `npm pack` runs as prepack), installed into a
 * fresh consumer project from that file, type-checked without skipLibCheck and used to
 * train Pendulum; no source maps without their sources; the bin runs.
 *
 * The tarball is packed with --ignore-scripts after running prebuildify here: `npm pack`
 * would also rerun `prepare` (the build), rewriting dist/ under the other test files.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = (cwd: string, ...args: string[]) => spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

it('packs a tarball that a consumer installs, type-checks without skipLibCheck and trains with', (t) => {
  if (`${process.platform}-${process.arch}` !== 'linux-x64') return t.skip(`prebuilt binaries are made for linux-x64, this is ${process.platform}-${process.arch}`);
  if (!existsSync(join(ROOT, 'build', 'Release', 'hyperrl_native.node'))) return t.skip('no C++ toolchain here (the native addon was not built), so no prebuilt binary can be made');
  const work = mkdtempSync(join(tmpdir(), 'hyperrl-pack-'));

  // prebuilds/ goes into the package only: left in the clone, its binary would shadow the next
  // native build there (build-native keeps a prebuilt binary that loads).
  const hadPrebuilds = existsSync(join(ROOT, 'prebuilds'));
  if (!hadPrebuilds) t.after(() => rmSync(join(ROOT, 'prebuilds'), { recursive: true, force: true }));
  const prebuild = npm(ROOT, 'run', 'prebuildify');
  assert.equal(prebuild.status, 0, prebuild.stdout + prebuild.stderr);
  const pack = npm(ROOT, 'pack', '--ignore-scripts', '--json', '--pack-destination', work);
  assert.equal(pack.status, 0, pack.stderr);
  const [{ filename, files }] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
  const paths = files.map((f) => f.path);
  assert.ok(paths.some((p) => /^prebuilds\/linux-x64\/.+\.node$/.test(p)), 'a prebuilt linux-x64 addon');
  assert.deepEqual(paths.filter((p) => p.endsWith('.map')), [], 'no source maps pointing at sources that are not shipped');
  assert.deepEqual(paths.filter((p) => /^(test|results|bench\/results|dist\/test)\//.test(p)), []);
  for (const p of ['dist/src/index.d.ts', 'dist/src/cli/main.js', 'build/wasm/hyperrl.wasm', 'docs/hyperrl.schema.json', 'src/envs/mujoco/assets/hopper.xml', 'binding.gyp', 'scripts/build-native.mjs']) assert.ok(paths.includes(p), p);

  const consumer = join(work, 'consumer');
  execFileSync('mkdir', [consumer]);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const install = npm(consumer, 'install', '--prefer-offline', join(work, filename));
  assert.equal(install.status, 0, install.stdout + install.stderr);
  assert.equal(existsSync(join(consumer, 'node_modules', 'hyperrl', 'build', 'Release')), false, 'the prebuilt addon was used, nothing compiled');

  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, outDir: 'out',
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    files: ['index.ts'],
  }));
  writeFileSync(join(consumer, 'index.ts'), [
    "import { Box, make, resolveTrainConfig, train, type TrainResult } from 'hyperrl';",
    "const env = await make('Hopper-v5');",
    "if (!(env.actionSpace instanceof Box)) throw new Error('Hopper has a Box action space');",
    'env.close();',
    "const config = resolveTrainConfig({ env: 'Pendulum-v1', totalSteps: 300, learningStarts: 100, randomSteps: 100, evalEpisodes: 1, actorHidden: [16], criticHidden: [16], batchSize: 32, runsDir: 'runs' });",
    'const result: TrainResult = await train({ config, quiet: true });',
    'console.log(JSON.stringify({ steps: result.steps, evalReturn: result.finalEval.mean }));',
  ].join('\n'));
  const tsc = spawnSync(process.execPath, [TSC, '-p', consumer], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

  const run = spawnSync(process.execPath, [join(consumer, 'out', 'index.js')], { cwd: consumer, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '', 'no wasm-fallback notice: the native backend loaded');
  const { steps, evalReturn } = JSON.parse(run.stdout) as { steps: number; evalReturn: number };
  assert.equal(steps, 300);
  assert.ok(Number.isFinite(evalReturn) && evalReturn < 0, `Pendulum return ${evalReturn}`);
  assert.equal(readdirSync(join(consumer, 'runs')).length, 1);

  const bin = spawnSync(join(consumer, 'node_modules', '.bin', 'hyperrl'), ['envs'], { encoding: 'utf8' });
  assert.equal(bin.status, 0, bin.stderr);
  assert.match(bin.stdout, /^Pendulum-v1$/m);
});

it('runs the CLI from a clone through the hyperrl npm script, without installing anything', () => {
  const cache = mkdtempSync(join(tmpdir(), 'hyperrl-npm-cache-'));
  const r = npm(ROOT, 'run', '--silent', '--cache', cache, 'hyperrl', '--', 'train', '--algo', 'sac', '--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}--learning-starts +.*\[5000\]$/m);
  assert.equal(existsSync(join(cache, '_npx')), false, 'npm did not install the repository as a package');
});
