/**
 * What `hyperrl`'s exit status says happened (docs/reliability.md has the table). Scripts and
 * cluster schedulers branch on it: 75 means "resume me", 3 and 5 mean "do not retry as is".
 */
import { NonFiniteError } from '../core/non-finite.js';
import { ConfigError } from '../core/config.js';
import { OutOfMemoryError } from '../core/out-of-memory.js';
import { RunLockedError } from '../train/run-lock.js';
import { EXIT_STOPPED } from '../train/stop-signals.js';

export const EXIT = {
  /** Done: the run reached its last step (or the command completed). */
  ok: 0,
  /** Any other failure: an env or I/O error, a damaged checkpoint or log, a bug. */
  failed: 1,
  /** Bad usage or configuration: unknown flag, bad value, invalid or damaged config.json. */
  usage: 2,
  /** Non-finite numbers: an env returned NaN/Inf, or a weight, optimiser moment or loss went non-finite. */
  nonFinite: 3,
  /** The run folder is locked by another live process. */
  locked: 4,
  /** Out of memory (or over HYPERRL_MAX_ARENA_MB): rerun with smaller settings or more memory; the last checkpoint stands. */
  outOfMemory: 5,
  /** Stopped early by a signal (or --stop-at-step) after writing a checkpoint: resume to continue. */
  stopped: EXIT_STOPPED,
} as const;

/** The exit status for an error that ended a command. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof ConfigError) return EXIT.usage;
  if (e instanceof NonFiniteError) return EXIT.nonFinite;
  if (e instanceof RunLockedError) return EXIT.locked;
  if (e instanceof OutOfMemoryError) return EXIT.outOfMemory;
  return EXIT.failed;
}
