/**
 * The native backend as a browser bundle sees it (package.json "imports"
 * `#native-backend`, "browser" condition): the addon is a Node N-API module, so
 * creating it explains what to use instead, and the bundle carries no Node loader.
 */
import type { Backend } from '../../backend.js';

export function createNativeBackend(): Backend {
  throw new Error('hyperrl native backend: a Node addon, not available in browsers; use the wasm backend (instantiateWasmBackend(bytes) from hyperrl/browser)');
}
