/**
 * MuJoCo's official WebAssembly build (`@mujoco/mujoco`, pinned to 3.14.0, the
 * engine version Gymnasium's fixtures were recorded with), loaded once per
 * thread, and the compiled models of the built-in tasks, compiled once per
 * thread and shared by every env of that task in the thread.
 */
import loadMujocoModule, { type MainModule, type MjModel } from '@mujoco/mujoco';
import { platform } from '#platform';

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


/** The model files of the built-in tasks, in src/envs/mujoco/assets/. */
export const MODEL_FILES = [
  'ant.xml', 'half_cheetah.xml', 'hopper.xml', 'humanoid.xml', 'inverted_double_pendulum.xml',
  'inverted_pendulum.xml', 'pusher.xml', 'reacher.xml', 'swimmer.xml', 'walker2d.xml',
] as const;

/** Where MuJoCo's files come from when they are not next to the code (browser bundles). */
export interface MujocoFiles {
  /** URL of mujoco.wasm (default: beside @mujoco/mujoco's mujoco.js, where Node and Vite find it). */
  wasmUrl?: string | URL;
  /** The texts of MODEL_FILES by file name (default: read or fetched from src/envs/mujoco/assets/). */
  models?: Partial<Record<(typeof MODEL_FILES)[number], string>>;
}

let files: MujocoFiles = {};
let loading: Promise<Mujoco> | undefined;
let loaded: Mujoco | undefined;
const modelTexts = new Map<string, string>();

/** Say where MuJoCo's files are, before the first `loadMujoco()`/`make` of this thread. */
export function configureMujoco(options: MujocoFiles): void {
  if (loading !== undefined) throw new Error('configureMujoco: MuJoCo is already loaded or loading in this thread; configure it before the first make()');
  files = options;
}

/** Loads the WebAssembly module and the task models' MJCF (once per thread; later calls return the same promise). */
export function loadMujoco(): Promise<Mujoco> {
  const wasmUrl = files.wasmUrl;
  const moduleArg = wasmUrl === undefined ? {} : { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? String(wasmUrl) : prefix + path) };
  loading ??= Promise.all([
    loadMujocoModule(moduleArg),
    ...MODEL_FILES.map(async (name) => modelTexts.set(name, files.models?.[name] ?? await platform.readText(new URL(name, ASSET_DIR)))),
  ]).then(([module]) => (loaded = module));
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
    const xml = modelTexts.get(asset);
    if (xml === undefined) throw new Error(`bundledModel: '${asset}' is not one of the model files (${MODEL_FILES.join(', ')})`);
    model = mj.MjModel.from_xml_string(xml);
    // MuJoCo would silently reset a diverged simulation to its initial state;
    // we want divergence reported as an error instead (see MujocoEnv.simulate).
    model.opt.disableflags |= mj.mjtDisableBit.mjDSBL_AUTORESET.value;
    models.set(asset, model);
  }
  return model;
}
