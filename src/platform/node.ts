/** The Node implementation of the platform layer (see types.ts); the only module of the core with Node built-ins. */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { RunFilesError, type RunFiles } from './files.js';
import type { Platform, Thread, ThreadPort } from './types.js';

const bytesOf = (buffer: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);

/** Run a file operation; a failure becomes a RunFilesError naming the operation, the path and the system's reason. */
function attempt<T>(what: string, path: string, operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    throw new RunFilesError(`cannot ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The local file system (node:fs). */
const files: RunFiles = {
  exists: (path) => existsSync(path),
  readFile: (path) => readFileSync(path),
  list: (dir) => (existsSync(dir) ? readdirSync(dir).sort() : []),
  size: (path) => statSync(path).size,
  mkdir: (path) => attempt('create folder', path, () => {
    try {
      mkdirSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw e;
    }
  }),
  writeFile: (path, data) => attempt('write', path, () => {
    const fd = openSync(path, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }),
  appendFile: (path, data) => attempt('append to', path, () => appendFileSync(path, data)),
  flush: (path) => attempt('flush', path, () => {
    // Windows cannot open a folder to flush it (its renames are durable without).
    if (process.platform === 'win32' && statSync(path).isDirectory()) return;
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }),
  rename: (from, to) => attempt(`rename ${from} to`, to, () => renameSync(from, to)),
  remove: (path) => attempt('remove', path, () => rmSync(path, { recursive: true, force: true })),
  truncate: (path, bytes) => attempt('truncate', path, () => truncateSync(path, bytes)),
};

function startThread(url: URL, data: unknown): Thread {
  const worker = new Worker(url, { workerData: data });
  return {
    postMessage: (message) => worker.postMessage(message),
    onceMessage: (listener) => void worker.once('message', listener),
    onError: (listener) => void worker.on('error', listener),
    onExit: (listener) => void worker.on('exit', listener),
    terminate: async () => void (await worker.terminate()),
  };
}

async function threadPort(): Promise<ThreadPort> {
  const port = parentPort;
  if (port === null) throw new Error('threadPort: this is the main thread, not a worker started by startThread');
  return {
    data: workerData as unknown,
    postMessage: (message) => port.postMessage(message),
    onceMessage: (listener) => void port.once('message', listener),
    onExit: (listener) => void process.on('exit', listener),
    close: () => port.close(),
  };
}

export const platform: Platform = {
  name: 'node',
  env: (name) => process.env[name],
  cpuCount: () => availableParallelism(),
  readFileSync: (url) => bytesOf(readFileSync(url)),
  fileExists: (url) => existsSync(fileURLToPath(url)),
  readFile: async (path) => bytesOf(await readFile(path)),
  readText: (url) => readFile(url, 'utf8'),
  files,
  enableRelaxedSimd() {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      return true;
    } catch {
      return false;
    }
  },
  startThread,
  threadPort,
  canBlockOnSharedMemory: () => true,
};
