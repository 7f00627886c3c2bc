/** Developer tool: per-kernel-call time breakdown (minimum over steps) of the bench/core training steps on the native backend. */
import { createBackend } from '../../src/tensor/backends/index.js';
import { hyperCriticStep, mlpCriticStep } from './workloads.js';

for (const [name, make] of [['mlp', mlpCriticStep], ['hyper', hyperCriticStep]] as const) {
  const be = createBackend('native', { unchecked: true });
  const w = make(be);
  const best = new Map<string, number>();
  let seq = 0;
  const wrapped = be as unknown as Record<string, unknown>;
  for (const k of ['gemm', 'biasAct', 'actBackward', 'colSum', 'dynamicForward', 'dynamicBackward', 'adam', 'binary', 'axpby']) {
    const f = (be as unknown as Record<string, (...a: number[]) => void>)[k]!.bind(be);
    wrapped[k] = (...a: number[]) => {
      const t0 = performance.now();
      f(...a);
      const dt = performance.now() - t0;
      const key = `${String(seq++).padStart(2)} ${k}(${k === 'gemm' ? `${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} m=${a[2]} n=${a[3]} k=${a[4]}` : a.slice(0, 3).join(',')})`;
      best.set(key, Math.min(best.get(key) ?? Infinity, dt));
    };
  }
  for (let i = 0; i < 300; i++) { seq = 0; w.step(); }
  let total = 0;
  for (const [k, v] of best) { total += v; console.log(`${name} ${k.padEnd(60)} ${(v * 1000).toFixed(1).padStart(7)} µs`); }
  console.log(`${name} sum of per-call minima ${(total).toFixed(3)} ms`);
}
