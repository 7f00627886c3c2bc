/**
 * Runs the same kernel call on a backend under test and on the float64 JS
 * reference, with identical (float32-representable) inputs, and hands back both
 * results for comparison.
 */
import type { Backend, BackendName } from '../../src/tensor/backend.js';
import { createBackend, BACKEND_NAMES } from '../../src/tensor/backends/index.js';

/** Unit roundoff of float32: the relative error of one rounded operation. */
export const U32 = 2 ** -24;

export type Buffers = Record<string, Float64Array>;
export type Offsets = Record<string, number>;

export const reference = (): Backend => createBackend('js', { dtype: 'float64' });

/** Every backend that loads here; the "backends loaded" test makes sure none is silently missing. */
export function availableBackends(): { name: BackendName; make: () => Backend }[] {
  return BACKEND_NAMES.flatMap((name) => {
    try {
      createBackend(name, { initialElements: 256 });
      return [{ name, make: () => createBackend(name) }];
    } catch {
      return [];
    }
  });
}

/** Copy inputs into a backend's arena (rounded to float32 first so both sides see the same numbers). */
function place(be: Backend, inputs: Buffers): Offsets {
  const off: Offsets = {};
  for (const [k, v] of Object.entries(inputs)) off[k] = be.arena.alloc(Math.max(1, v.length));
  for (const [k, v] of Object.entries(inputs)) be.arena.data.set(v, off[k]!);
  return off;
}

function collect(be: Backend, inputs: Buffers, off: Offsets): Buffers {
  const out: Buffers = {};
  for (const [k, v] of Object.entries(inputs)) out[k] = Float64Array.from(be.arena.view(off[k]!, v.length));
  return out;
}

/** Run `call` on `be` and on the reference with the same inputs; returns the final contents of every buffer. */
export function runBoth(be: Backend, ref: Backend, inputs: Buffers, call: (be: Backend, o: Offsets) => void): { got: Buffers; want: Buffers } {
  const rounded: Buffers = {};
  for (const [k, v] of Object.entries(inputs)) rounded[k] = Float64Array.from(Float32Array.from(v));
  const ob = place(be, rounded);
  const or = place(ref, rounded);
  call(be, ob);
  call(ref, or);
  return { got: collect(be, rounded, ob), want: collect(ref, rounded, or) };
}

/** Assert |got − want| ≤ tol(i) elementwise, reporting the worst offender. */
export function assertClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): void {
  if (got.length !== want.length) throw new Error(`${label}: length ${got.length} ≠ ${want.length}`);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(got[i]!) && Number.isNaN(want[i]!)) continue; // both NaN: consistent
    const err = Math.abs(got[i]! - want[i]!);
    const t = tol(i);
    if (!(err <= t)) {
      const ratio = Number.isNaN(err) ? Infinity : err / t;
      if (ratio > worstRatio || worst < 0) { worst = i; worstRatio = ratio; }
    }
  }
  if (worst >= 0) {
    throw new Error(`${label}: element ${worst} got ${got[worst]} want ${want[worst]} (|err| = ${Math.abs(got[worst]! - want[worst]!)}, tol ${tol(worst)})`);
  }
}

export function randomArray(rng: { uniform(lo: number, hi: number): number }, n: number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}
