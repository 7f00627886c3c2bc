/** The vector env a thread can run: workers where it may block on shared memory, else one thread. */
import { platform } from '#platform';
import { AsyncVectorEnv, type AsyncVectorEnvOptions } from './async.js';
import { SyncVectorEnv } from './sync.js';
import type { VectorEnv } from './vector-env.js';

/**
 * An AsyncVectorEnv (worker threads stepping through SharedArrayBuffer slabs) where this
 * thread may wait on shared memory — Node, or a browser worker of a cross-origin isolated
 * page — else a SyncVectorEnv (a page's main thread, a page without isolation). Both give
 * the same results for the same seeds.
 */
export async function createVectorEnv(id: string, numEnvs: number, options: AsyncVectorEnvOptions = {}): Promise<VectorEnv> {
  return platform.canBlockOnSharedMemory() ? AsyncVectorEnv.create(id, numEnvs, options) : SyncVectorEnv.create(id, numEnvs, options);
}
