/** Benchmark timing: median of several trials, each long enough to swamp timer noise. */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Seconds per call of fn: calibrate a repeat count that fills `trialMs`, then take
 * the median per-call time over `trials` trials. The first call (warm-up) is not timed.
 */
export function secondsPerCall(fn: () => void, trialMs: number, trials: number): number {
  fn();
  const reps = repsFilling(fn, trialMs);
  const per: number[] = [];
  for (let t = 0; t < trials; t++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    per.push((performance.now() - t0) / 1000 / reps);
  }
  return median(per);
}

/** How many calls of fn take about `trialMs` (calibrated by timing growing batches of calls). */
export function repsFilling(fn: () => void, trialMs: number): number {
  for (let reps = 1; ; reps *= 4) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= trialMs / 4 || reps >= 1 << 20) return Math.max(1, Math.round((reps * trialMs) / Math.max(dt, 1e-3)));
  }
}
