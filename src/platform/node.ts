/** The Node implementation of the platform layer (see types.ts); the only module of the core with Node built-ins. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { Platform, Thread, ThreadPort } from './types.js';

const bytesOf = (buffer: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);

async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temporary, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  // Persist the rename itself. Windows cannot open a directory for fsync.
  if (process.platform !== 'win32') {
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

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
  writeFileAtomic,
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
