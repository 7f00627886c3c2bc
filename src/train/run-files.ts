/**
 * The file operations of a run folder (configuration, metrics, checkpoints) behind one small
 * interface, so that every write is one enumerable operation: the kill-point tests wrap it to
 * stop a run at each operation in turn (test/reliability/kill-points.test.ts), and a platform
 * without Node could supply its own. Writes are synchronous: the training loop waits for them
 * anyway, and a signal handler then never runs in the middle of one.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RunFiles {
  exists(path: string): boolean;
  readFile(path: string): Uint8Array;
  /** Entry names of a folder ([] when it does not exist). */
  list(dir: string): string[];
  /** Size in bytes. */
  size(path: string): number;
  /** Create one folder (its parent must exist; an existing folder is fine). */
  mkdir(path: string): void;
  /** Create or replace a file's contents and flush them to disk before returning. */
  writeFile(path: string, data: Uint8Array | string): void;
  /** Append to a file (created if missing); not flushed. */
  appendFile(path: string, data: Uint8Array | string): void;
  /** Flush a file's or a folder's contents (a folder: its entries) to disk. */
  flush(path: string): void;
  /** Atomic rename (replaces a file; a folder only onto a missing path). */
  rename(from: string, to: string): void;
  /** Delete a file or a folder with everything in it; nothing if missing. */
  remove(path: string): void;
  /** Cut a file to `bytes`. */
  truncate(path: string, bytes: number): void;
}

/** A file operation failed; the message names the operation, the path and the system's reason. */
export class RunFilesError extends Error {
  override name = 'RunFilesError';
}

/** Run a file operation; a failure becomes a RunFilesError naming the operation, the path and the system's reason. */
function attempt<T>(what: string, path: string, operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    throw new RunFilesError(`cannot ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The run files on the local file system (node:fs). */
export const nodeRunFiles: RunFiles = {
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

/**
 * Create a folder and its missing parents one at a time, failing at the first that cannot be
 * made with the system's reason (Node's recursive mkdir loops forever on some, e.g. /proc/x).
 */
export function ensureDir(files: RunFiles, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !files.exists(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) files.mkdir(d);
}

/** Replace a file in one atomic step: the whole new contents or the old ones, never a mix. */
export function writeFileAtomic(files: RunFiles, path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  files.writeFile(tmp, data);
  files.rename(tmp, path);
  files.flush(dirname(path));
}
