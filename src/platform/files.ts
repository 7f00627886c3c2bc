/**
 * Synchronous file operations behind one small interface (the platform's `files`; Node only),
 * so that every write is one enumerable operation: the kill-point tests wrap it to stop a run
 * at each operation in turn (test/reliability/kill-points.test.ts). Writes are synchronous: the
 * training loop waits for them anyway, and a signal handler then never runs in the middle of one.
 * `writeFileAtomic` is the one atomic file replacement of the library (run folders, safetensors,
 * reports).
 */
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

/** The folder a path is in (either separator; '.' for a bare name). */
export function parentDir(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? '.' : cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/**
 * Replace a file in one atomic step: readers see the old contents or the whole new ones, never a
 * mix. The new contents go to `<path>.tmp` (flushed), which is renamed over the file, and the
 * rename is flushed with its folder. A failed write or rename leaves the old file and removes
 * the temporary one.
 */
export function writeFileAtomic(files: RunFiles, path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  try {
    files.writeFile(tmp, data);
    files.rename(tmp, path);
  } catch (e) {
    try {
      files.remove(tmp);
    } catch {
      // the write's failure is the one to report
    }
    throw e;
  }
  files.flush(parentDir(path));
}
