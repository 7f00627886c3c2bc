/**
 * Backend selection: native if its addon loads, else WebAssembly, else the JS
 * reference. HYPERRL_BACKEND=native|wasm|js forces one and fails loudly when the
 * forced backend cannot load (a silent fallback would hide a broken build).
 * The native loader comes through `#native-backend` (package.json "imports"), so a
 * browser bundle gets browser.ts in its place and no Node loader.
 */
import { createNativeBackend } from '#native-backend';
import { platform } from '#platform';
import { parseMaxArenaMb } from '../arena.js';
import type { Backend, BackendName, DType } from '../backend.js';
import { withValidation } from '../validate.js';
import { createJsBackend } from './js/index.js';
import { parseThreads } from './threads.js';
import { createWasmBackend } from './wasm/index.js';

export const BACKEND_NAMES: readonly BackendName[] = ['native', 'wasm', 'js'];

export interface LoadOptions {
  /** Initial arena size in elements (it grows on demand). */
  initialElements?: number;
  /** Only the js backend supports float64 (the gradient-check reference). */
  dtype?: DType;
  /** Skip argument validation (benchmarks of raw kernel overhead only). */
  unchecked?: boolean;
  /**
   * Threads for the native kernels of this JS thread (default: HYPERRL_THREADS, else the
   * cores available). Results do not depend on it. wasm and js run on one thread.
   */
  threads?: number;
  /**
   * Arena cap in bytes (default: HYPERRL_MAX_ARENA_MB, else none): an allocation beyond it throws
   * OutOfMemoryError instead of taking the machine's memory (docs/reliability.md, "Out of memory").
   */
  maxArenaBytes?: number;
}

/** Create a specific backend; throws an Error explaining why if it cannot load. */
export function createBackend(name: BackendName, opts: LoadOptions = {}): Backend {
  if (opts.dtype === 'float64' && name !== 'js') throw new Error(`backend '${name}' is float32 only; float64 is available on 'js'`);
  if (opts.threads !== undefined && opts.threads !== 1 && name !== 'native') {
    throw new Error(`backend '${name}' runs on one thread; threads = ${opts.threads} needs the native backend`);
  }
  const maxArenaBytes = opts.maxArenaBytes ?? parseMaxArenaMb(platform.env('HYPERRL_MAX_ARENA_MB'));
  let be: Backend;
  switch (name) {
    case 'native': be = createNativeBackend({ initialElements: opts.initialElements, threads: opts.threads, maxArenaBytes }); break;
    case 'wasm': be = createWasmBackend({ initialElements: opts.initialElements, maxArenaBytes }); break;
    case 'js': be = createJsBackend(opts.dtype ?? 'float32', opts.initialElements, maxArenaBytes); break;
    default: throw new Error(`unknown backend '${String(name)}'; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  return opts.unchecked ? be : withValidation(be);
}

/** Why each backend did or did not load on this machine. */
export function probeBackends(): Record<BackendName, string | true> {
  const out = {} as Record<BackendName, string | true>;
  for (const name of BACKEND_NAMES) {
    try {
      createBackend(name, { initialElements: 1024 });
      out[name] = true;
    } catch (e) {
      out[name] = (e as Error).message;
    }
  }
  return out;
}

/** The backend to use by default: HYPERRL_BACKEND if set, else the fastest that loads (HYPERRL_THREADS must be valid). */
export function defaultBackend(opts: LoadOptions = {}): Backend {
  // A bad thread count is a mistake to report, not a reason to fall back to a slower backend.
  const threads = platform.env('HYPERRL_THREADS');
  if (threads !== undefined && threads !== '') parseThreads(threads, 'HYPERRL_THREADS');
  const forced = platform.env('HYPERRL_BACKEND');
  if (forced !== undefined && forced !== '') {
    if (!(BACKEND_NAMES as readonly string[]).includes(forced)) {
      throw new Error(`HYPERRL_BACKEND='${forced}' is not a backend; expected one of ${BACKEND_NAMES.join(', ')}`);
    }
    return createBackend(forced as BackendName, opts);
  }
  const errors: string[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      // A fallback to the single-threaded backends ignores the thread count.
      const backend = createBackend(name, name === 'native' ? opts : { ...opts, threads: undefined });
      if (errors.length > 0) fallbackNotice(name, errors[0]!);
      return backend;
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend could be loaded:\n${errors.join('\n')}`);
}

let noticeGiven = false;

/** Once per process, one line: a silently slower backend looks like a slow library. */
function fallbackNotice(used: BackendName, why: string): void {
  if (noticeGiven) return;
  noticeGiven = true;
  console.warn(`hyperrl: NOTICE: using the ${used} backend, several times slower than native, because ${why.split('\n')[0]} (HYPERRL_BACKEND=${used} chooses it without this notice)`);
}
