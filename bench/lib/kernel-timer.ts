/** Per-call timing of a backend's kernels, for the developer profiles in bench/core. */
import type { Backend } from '../../src/tensor/backend.js';

const KERNELS = ['gemm', 'gemmBiasAct', 'gemmBatched', 'biasAct', 'actBackward', 'colSum', 'dynamicForward', 'dynamicBackward',
  'gruForward', 'gruBackward', 'adam', 'polyak', 'unary', 'binary', 'clamp', 'axpby', 'reduce', 'fill', 'sumSquares'] as const;

/** Wraps every kernel of `be` in place: while `active()` holds, each call's wall time goes to `record` with its arguments. */
export function timeKernels(be: Backend, active: () => boolean, record: (kernel: string, args: number[], ms: number) => void): void {
  const raw = be as unknown as Record<string, (...a: number[]) => unknown>;
  for (const k of KERNELS) {
    const f = raw[k]!.bind(be);
    raw[k] = (...a: number[]) => {
      if (!active()) return f(...a);
      const t0 = performance.now();
      const r = f(...a);
      record(k, a, performance.now() - t0);
      return r;
    };
  }
}
