/**
 * The file operations of a run folder (configuration, metrics, checkpoints): the platform's
 * (src/platform/files.ts), so that every write is one enumerable operation the kill-point tests
 * can stop a run at, plus the folder helpers of a run.
 */
import { platform } from '#platform';
import { dirname } from 'node:path';
import type { RunFiles } from '../platform/files.js';

export { RunFilesError, writeFileAtomic, type RunFiles } from '../platform/files.js';

/** The run files on the local file system (node:fs). */
export const nodeRunFiles: RunFiles = platform.files;

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
