/**
 * Non-finite numbers stopped where they enter. The networks and the replay buffer are
 * float32, so a value counts as finite only if it stays finite in float32 (|x| ≤ 3.4e38):
 * 1e39 is a number in JavaScript but Infinity once stored. A NaN that reaches a network
 * is not always visible in the losses (ReLU maps NaN to 0), so the checks sit at the
 * doors instead: env outputs, loaded files, and the parameters themselves.
 */

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** A NaN, an infinity or a value beyond float32 where a finite number is required; the message names where. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** Whether v is a finite float32 value (false for NaN, ±Infinity, |v| > 3.4e38). */
export const isFiniteFloat32 = (v: number): boolean => Math.abs(v) <= FLOAT32_MAX;

/** Index of the first value of `values[from, to)` that is not a finite float32, or -1. */
export function firstNonFinite(values: ArrayLike<number>, from = 0, to = values.length): number {
  for (let i = from; i < to; i++) if (!(Math.abs(values[i]!) <= FLOAT32_MAX)) return i;
  return -1;
}

/** How a bad value reads in a message: NaN, Infinity, or the number beyond float32. */
export const describeValue = (v: number): string => (Number.isFinite(v) ? `${v} (beyond float32)` : String(v));
