/**
 * What every thread of the page does first: tell MuJoCo where its files are in the bundle,
 * and build a hyperrl engine on the WebAssembly backend (relaxed SIMD where the browser has it).
 */
import mujocoWasmUrl from '@mujoco/mujoco/mujoco.wasm?url';
import { configureMujoco, Engine, instantiateWasmBackend, MODEL_FILES, type MujocoFiles } from 'hyperrl/browser';
import wasmUrl from '../../build/wasm/hyperrl.wasm?url';
import relaxedWasmUrl from '../../build/wasm/hyperrl-relaxed.wasm?url';

const modelTexts = import.meta.glob<string>('../../src/envs/mujoco/assets/*.xml', { query: '?raw', import: 'default', eager: true });
const models: MujocoFiles['models'] = {};
for (const name of MODEL_FILES) {
  const text = modelTexts[`../../src/envs/mujoco/assets/${name}`];
  if (text === undefined) throw new Error(`runtime: the bundle lacks MuJoCo model ${name}`);
  models[name] = text;
}
configureMujoco({ wasmUrl: mujocoWasmUrl, models });

async function bytes(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

export async function createEngine(): Promise<Engine> {
  const [simd, relaxed] = await Promise.all([bytes(wasmUrl), bytes(relaxedWasmUrl)]);
  return new Engine(await instantiateWasmBackend(simd, { relaxedBytes: relaxed }));
}
