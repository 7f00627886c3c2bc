/** Developer tool: MLP / hyper training-step times on the native backend, best and median of many short trials (`node dist/bench/core/native-steps.js [avx512|avx2|generic]`). */
import { createBackend } from '../../src/tensor/backends/index.js';
import { setNativeIsa, type NativeIsa } from '../../src/tensor/backends/native/index.js';
import { hyperCriticStep, mlpCriticStep } from './workloads.js';

const isa = (process.argv[2] ?? 'avx512') as NativeIsa;
setNativeIsa(isa);
for (const [name, make] of [['mlp', mlpCriticStep], ['hyper', hyperCriticStep]] as const) {
  const be = createBackend('native', { unchecked: true });
  const w = make(be);
  for (let i = 0; i < 20; i++) w.step();
  const per: number[] = [];
  for (let t = 0; t < 200; t++) {
    const t0 = performance.now();
    w.step();
    per.push(performance.now() - t0);
  }
  per.sort((a, b) => a - b);
  console.log(`${name} ${isa}: best ${per[0]!.toFixed(3)} ms, p10 ${per[20]!.toFixed(3)}, median ${per[100]!.toFixed(3)} ms, ${(w.flopsPerStep / per[0]! / 1e6).toFixed(1)} GFLOP/s at best`);
}
