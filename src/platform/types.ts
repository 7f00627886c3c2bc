/**
 * What the library needs from the system it runs on, so its core (tensor, nn, envs,
 * algos, replay, core) imports no Node built-in and runs unchanged in a browser:
 * environment variables, files, the CPU count and threads.
 *
 * Modules import the implementation as `#platform` (package.json "imports"): Node
 * resolves it to node.ts, a bundler targeting browsers (the "browser" condition:
 * esbuild --platform=browser, Vite, webpack) to browser.ts. Nothing needs installing.
 */
import type { RunFiles } from './files.js';

export interface Platform {
  readonly name: 'node' | 'browser';
  /** An environment variable (HYPERRL_BACKEND, ...); always undefined in a browser. */
  env(name: string): string | undefined;
  /** Logical CPUs for worker threads. */
  cpuCount(): number;
  /** A file's bytes, synchronously (Node only: browsers have no synchronous file access). */
  readFileSync(url: URL): Uint8Array<ArrayBuffer>;
  fileExists(url: URL): boolean;
  /** A file's bytes; a browser fetches the path or URL. */
  readFile(path: string | URL): Promise<Uint8Array<ArrayBuffer>>;
  /** A resource's text (e.g. an MJCF model next to the code); a browser fetches it. */
  readText(url: URL): Promise<string>;
  /** Synchronous file operations (Node only); `writeFileAtomic(platform.files, …)` (files.ts) replaces a file atomically. */
  readonly files: RunFiles;
  /** Lets this engine compile relaxed-SIMD WebAssembly if it can (Node 20 needs a V8 flag); false if it cannot. */
  enableRelaxedSimd(): boolean;
  /** Starts a module worker thread that receives `data` (see `threadPort` on its side). */
  startThread(url: URL, data: unknown): Thread;
  /** In a thread started by `startThread`: its data and the channel to the parent. */
  threadPort(): Promise<ThreadPort>;
  /**
   * Whether this thread may block in Atomics.wait on shared memory: Node's threads can,
   * a browser's workers can when the page is cross-origin isolated, a browser's main thread never.
   */
  canBlockOnSharedMemory(): boolean;
}

/** A worker thread seen from its parent. */
export interface Thread {
  postMessage(message: unknown): void;
  /** The next message from the thread. */
  onceMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  /** The thread ended (Node reports exits; a browser only errors). */
  onExit(listener: (code: number) => void): void;
  terminate(): Promise<void>;
}

/** A worker thread's side of the channel. */
export interface ThreadPort {
  readonly data: unknown;
  postMessage(message: unknown): void;
  onceMessage(listener: (message: unknown) => void): void;
  /** Runs when the thread is about to exit (Node), so the parent learns it is gone. */
  onExit(listener: () => void): void;
  close(): void;
}
