/**
 * The browser implementation of the platform layer (see types.ts): fetch for
 * files, module Web Workers for threads, no environment variables, no file writes.
 */
import type { RunFiles } from './files.js';
import type { Platform, Thread, ThreadPort } from './types.js';

const nodeOnly = (what: string): never => {
  throw new Error(`${what} needs Node's file system; in a browser, pass bytes instead (e.g. decodeSafetensors(bytes), instantiateWasmBackend(bytes))`);
};

async function fetchOk(path: string | URL): Promise<Response> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${String(path)}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/*
 * The DOM's worker types, declared here: the project compiles against Node's types only,
 * and these are all this file uses.
 */
interface MessageLike { data: unknown }
interface BrowserWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageLike) => void, options?: { once: boolean }): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}
interface BrowserGlobals {
  Worker?: new (url: URL, options: { type: 'module' }) => BrowserWorker;
  WorkerGlobalScope?: unknown;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}
const browser = globalThis as unknown as BrowserGlobals;

function startThread(url: URL, data: unknown): Thread {
  if (browser.Worker === undefined) throw new Error('startThread: this JavaScript engine has no Worker');
  const worker = new browser.Worker(url, { type: 'module' });
  // The thread's first message is its data (Web Workers have no workerData).
  worker.postMessage(data);
  return {
    postMessage: (message) => worker.postMessage(message),
    onceMessage: (listener) => worker.addEventListener('message', (event) => listener(event.data), { once: true }),
    onError: (listener) => worker.addEventListener('error', (event) => listener(new Error(event.message || `worker ${url.href} failed to load`))),
    onExit: () => { /* Web Workers report no exit; a thread that stops answering is caught by the caller's timeout. */ },
    terminate: async () => worker.terminate(),
  };
}

interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageLike) => void, options?: { once: boolean }): void;
  close(): void;
}

async function threadPort(): Promise<ThreadPort> {
  const scope = globalThis as unknown as WorkerScope;
  const data = await new Promise<unknown>((resolve) => scope.addEventListener('message', (event) => resolve(event.data), { once: true }));
  return {
    data,
    postMessage: (message) => scope.postMessage(message),
    onceMessage: (listener) => scope.addEventListener('message', (event) => listener(event.data), { once: true }),
    onExit: () => { /* see startThread */ },
    close: () => scope.close(),
  };
}

export const platform: Platform = {
  name: 'browser',
  env: () => undefined,
  cpuCount: () => browser.navigator?.hardwareConcurrency ?? 1,
  readFileSync: (url) => nodeOnly(`reading ${url.href} synchronously`),
  fileExists: () => false,
  readFile: async (path) => new Uint8Array(await (await fetchOk(path)).arrayBuffer()),
  readText: async (url) => (await fetchOk(url)).text(),
  // Every file operation: a page has no file system.
  files: new Proxy({} as RunFiles, { get: (_, op) => (path: string) => nodeOnly(`file operation ${String(op)} on ${path}`) }),
  // A browser either validates relaxed SIMD or does not; there is no flag to set.
  enableRelaxedSimd: () => false,
  startThread,
  threadPort,
  // Atomics.wait throws on a page's main thread; in a worker it needs shared memory, i.e. cross-origin isolation.
  canBlockOnSharedMemory: () => browser.WorkerGlobalScope !== undefined && browser.crossOriginIsolated === true,
};
