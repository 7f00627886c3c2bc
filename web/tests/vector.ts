/**
 * Test page: createVectorEnv on the page's main thread (must fall back to SyncVectorEnv: a page
 * may not block in Atomics.wait) and in a worker (AsyncVectorEnv on nested Web Workers when the
 * page is cross-origin isolated), whose results the worker compares with a SyncVectorEnv's.
 */
import { AsyncVectorEnv, createVectorEnv } from 'hyperrl/browser';
import '../src/runtime.js';
import type { VectorCheck } from './vector-worker.js';

const mainThread = await createVectorEnv('Pendulum-v1', 2);
const mainThreadKind = mainThread instanceof AsyncVectorEnv ? 'AsyncVectorEnv' : 'SyncVectorEnv';
await mainThread.close();
const worker = new Worker(new URL('./vector-worker.ts', import.meta.url), { type: 'module' });
const check = await new Promise<VectorCheck>((resolve) => {
  worker.addEventListener('message', (e: MessageEvent<VectorCheck>) => resolve(e.data));
  worker.addEventListener('error', (e) => resolve({ kind: 'none', identical: false, steps: 0, error: e.message || 'the worker failed to load' }));
});
(window as unknown as { vectorCheck: unknown }).vectorCheck = { mainThreadKind, crossOriginIsolated, ...check };
