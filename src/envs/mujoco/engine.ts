/**
 * MuJoCo's official WebAssembly build (`@mujoco/mujoco`, pinned to 3.14.0, the
 * engine version Gymnasium's fixtures were recorded with), loaded once per
 * thread, and the compiled models of the built-in tasks, compiled once per
 * thread and shared by every env of that task in the thread.
 */
import loadMujocoModule, { type MainModule, type MjModel } from '@mujoco/mujoco';
import { readFileSync } from 'node:fs';

export type Mujoco = MainModule;
export type { MjData, MjModel } from '@mujoco/mujoco';

declare global {
  /**
   * @mujoco/mujoco's generated typings (mujoco.d.ts, 3.14.0) name the arguments object
   * `Arguments`, Closure Compiler's JSDoc name, which TypeScript does not define; our
   * declarations expose MuJoCo's types, so a project type-checking them without
   * `skipLibCheck` failed there. It is TypeScript's `IArguments`.
   */
  type Arguments = IArguments;
}

let loading: Promise<Mujoco> | undefined;
let loaded: Mujoco | undefined;

/** Loads the WebAssembly module (once per thread; later calls return the same promise). */
export function loadMujoco(): Promise<Mujoco> {
  loading ??= loadMujocoModule().then((module) => (loaded = module));
  return loading;
}

/** The loaded module; throws if `loadMujoco()` (or `make`) has not completed in this thread. */
export function mujoco(): Mujoco {
  if (loaded === undefined) throw new Error('MuJoCo is not loaded in this thread: await loadMujoco() or make(id) first (makeSync needs it loaded)');
  return loaded;
}

/*
 * The MJCF files stay real files next to the sources (readable, diffable,
 * loadable in MuJoCo's own viewer) instead of being embedded as strings.
 * Compiled code lives in dist/src/envs/mujoco/, so the package root is four
 * levels up from this module.
 */
const ASSET_DIR = new URL('../../../../src/envs/mujoco/assets/', import.meta.url);

const models = new Map<string, MjModel>();

/** The compiled model of a bundled asset (e.g. `half_cheetah.xml`), shared within this thread. */
export function bundledModel(asset: string): MjModel {
  let model = models.get(asset);
  if (model === undefined) {
    const mj = mujoco();
    model = mj.MjModel.from_xml_string(readFileSync(new URL(asset, ASSET_DIR), 'utf8'));
    // MuJoCo would silently reset a diverged simulation to its initial state;
    // we want divergence reported as an error instead (see MujocoEnv.simulate).
    model.opt.disableflags |= mj.mjtDisableBit.mjDSBL_AUTORESET.value;
    models.set(asset, model);
  }
  return model;
}
