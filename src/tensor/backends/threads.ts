/**
 * The kernel thread count as users give it (`--threads`, HYPERRL_THREADS, a backend option),
 * checked in one place. Apart from the native loader so that backend selection, which a
 * browser bundle includes, can check HYPERRL_THREADS without importing the Node addon loader.
 */

/** A thread count from a flag or variable: a positive integer (`source` names where it came from). */
export function parseThreads(value: string | number, source: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`${source}='${value}' is not a thread count (an integer from 1 to 256)`);
  return n;
}
