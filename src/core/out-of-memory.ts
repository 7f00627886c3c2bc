/**
 * Running out of memory as an error that says so. Without it a large run ends with
 * "Array buffer allocation failed", an abort inside the native addon, or the kernel's OOM
 * killer; with it the run stops with what was being allocated, how much, how much the
 * arena already holds and what to change (docs/reliability.md, "Out of memory").
 */

/** What an allocation that failed was for, and the memory around it. */
export interface OutOfMemoryDetails {
  /** What was being allocated, e.g. "a tensor of shape [40, 13500000]" or "native gemm scratch". */
  what: string;
  /** Bytes the failed allocation asked for (for an arena growth: the whole new storage). */
  requestedBytes: number;
  /** Bytes the arena held (reserved by tensors) when it failed. */
  arenaBytes: number;
  /** The arena cap in force (HYPERRL_MAX_ARENA_MB or the backend's maxArenaBytes), if any. */
  limitBytes?: number;
  /** Why the allocation failed: the cap, the memory the machine has free, or the allocator's own message. */
  cause: string;
}

/** What helps in general; callers that know more (an algorithm) put their own advice first. */
const GENERAL_ADVICE = 'use a smaller model preset or batch, or run on a machine with more memory';

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** An allocation failed (or would exceed the arena cap); the message names it. The CLI exits with status 5. */
export class OutOfMemoryError extends Error {
  override name = 'OutOfMemoryError';

  constructor(readonly details: OutOfMemoryDetails, readonly advice: readonly string[] = []) {
    super(`out of memory allocating ${details.what}: ${mb(details.requestedBytes)} requested, the arena already holds ` +
      `${mb(details.arenaBytes)}${details.limitBytes !== undefined ? ` (cap ${mb(details.limitBytes)})` : ''}; ${details.cause}. ` +
      `To fix: ${[...advice, GENERAL_ADVICE].join('; ')}`);
  }

  /** The same failure with advice from a caller that knows what was running (put first). */
  withAdvice(...advice: string[]): OutOfMemoryError {
    return new OutOfMemoryError(this.details, [...advice, ...this.advice]);
  }
}
