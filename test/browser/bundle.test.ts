/**
 * `hyperrl/browser` bundles for browsers: esbuild with --platform=browser over the
 * package's own export (so the "browser" conditions of package.json "imports" apply),
 * recording every Node built-in any module of the graph asks for.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';

const root = new URL('../../../', import.meta.url).pathname;
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

interface BuiltinImport { path: string; importer: string; kind: string }

async function bundleBrowserEntry(): Promise<{ builtins: BuiltinImport[]; inputs: string[]; bytes: number }> {
  const builtins: BuiltinImport[] = [];
  // Records and externalises built-ins so the build finishes and reports all of them, not the first.
  const recordBuiltins: Plugin = {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!NODE_BUILTINS.has(args.path)) return undefined;
        builtins.push({ path: args.path, importer: args.importer.replace(root, ''), kind: args.kind });
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    stdin: { contents: "export * from 'hyperrl/browser';", resolveDir: root, loader: 'js' },
    bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
    plugins: [recordBuiltins],
  });
  return { builtins, inputs: Object.keys(result.metafile!.inputs), bytes: result.outputFiles[0]!.contents.length };
}

describe('the hyperrl/browser bundle', () => {
  it('has no Node built-in in its graph but Emscripten\'s guarded one in @mujoco/mujoco', async () => {
    const { builtins, inputs } = await bundleBrowserEntry();
    const own = builtins.filter((b) => !b.importer.startsWith('node_modules/'));
    assert.deepEqual(own, [], `hyperrl modules import Node built-ins: ${JSON.stringify(own)}`);
    // MuJoCo's Emscripten runtime runs `await import('module')` only under `if (ENVIRONMENT_IS_NODE)`;
    // bundlers for browsers need it marked external (Vite does so itself; esbuild: --external:module).
    const dependencies = builtins.filter((b) => b.importer.startsWith('node_modules/'));
    assert.deepEqual(dependencies, [{ path: 'module', importer: 'node_modules/@mujoco/mujoco/mujoco.js', kind: 'dynamic-import' }]);
    // The browser variants were chosen, and the Node ones left out.
    assert.ok(inputs.includes('dist/src/platform/browser.js'), 'the browser platform layer is bundled');
    assert.ok(inputs.includes('dist/src/tensor/backends/native/browser.js'), 'the browser stand-in of the native loader is bundled');
    for (const nodeOnly of ['dist/src/platform/node.js', 'dist/src/tensor/backends/native/index.js']) {
      assert.ok(!inputs.includes(nodeOnly), `${nodeOnly} is not in a browser bundle`);
    }
  });

  it('exports what a page needs to train and run policies', async () => {
    const browser = await import('../../src/browser.js');
    for (const name of ['instantiateWasmBackend', 'Engine', 'Td3', 'Sac', 'Ppo', 'ReplayBuffer', 'RolloutBuffer', 'make', 'configureMujoco', 'createVectorEnv', 'decodeSafetensors', 'MlpCritic', 'HyperCritic', 'evaluate']) {
      assert.equal(typeof (browser as Record<string, unknown>)[name], 'function', `hyperrl/browser exports ${name}`);
    }
  });
});
