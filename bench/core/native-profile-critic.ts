/**
 * Developer tool: per-kernel time of a twin HyperCritic training step through the
 * autodiff on the native backend (which kernel calls and shapes dominate).
 *   node dist/bench/core/native-profile-critic.js [paper|compact] [batch]
 */
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { add, mean, squaredDifference } from '../../src/tensor/ops/elementwise.js';
import { HyperCritic } from '../../src/nn/critics.js';
import { Adam } from '../../src/nn/optim.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { timeKernels } from '../lib/kernel-timer.js';

const preset = (process.argv[2] ?? 'paper') as 'paper' | 'compact';
const batch = Number(process.argv[3] ?? 100);
const be = createBackend('native', { unchecked: true });
const totals = new Map<string, { ms: number; calls: number }>();
let recording = false;
timeKernels(be, () => recording, (k, a, ms) => {
  const key = k === 'gemm' ? `gemm ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} m=${a[2]} n=${a[3]} k=${a[4]} ld=${a[7]},${a[9]},${a[12]} beta=${a[10]}`
    : k === 'gemmBiasAct' ? `gemmBiasAct ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} m=${a[2]} n=${a[3]} k=${a[4]} act=${a[11]}`
    : k === 'binary' || k === 'reduce' || k === 'unary' ? `${k} op=${a[0]} ${a.slice(1, 4).join(',')}` : `${k} ${a.slice(0, 3).join(',')}`;
  const e = totals.get(key) ?? { ms: 0, calls: 0 };
  e.ms += ms; e.calls++;
  totals.set(key, e);
});
const e = new Engine(be);
const c = new HyperCritic(e, new Xoshiro128Rng(2), { stateDim: 17, actionDim: 6, preset });
const fill = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(k * i + 1));
const s = e.persistent([batch, 17], fill(batch * 17, 0.37)), a = e.persistent([batch, 6], fill(batch * 6, 0.91)), y = e.persistent([batch, 1], fill(batch, 0.13));
const params = c.parameters();
const opt = new Adam(e, params, { lr: 3e-4 });
const step = (): void => e.scope(() => {
  const qs = c.forward(s, a);
  let loss = mean(squaredDifference(qs[0]!, y));
  for (let i = 1; i < qs.length; i++) loss = add(loss, mean(squaredDifference(qs[i]!, y)));
  e.backward(loss, params, false);
  opt.step();
});
for (let i = 0; i < 20; i++) step(); // past JIT warm-up, so the wall time is steady-state
const steps = 30;
recording = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const wall = (performance.now() - t0) / steps;
recording = false;
const rows = [...totals].map(([k, v]) => ({ k, ms: v.ms / steps, calls: v.calls / steps })).sort((p, q) => q.ms - p.ms);
let sum = 0;
for (const r of rows) sum += r.ms;
console.log(`${preset} twin critic, batch ${batch}: ${wall.toFixed(2)} ms/step, kernels ${sum.toFixed(2)} ms, ${c.parameterCount()} parameters`);
for (const r of rows.slice(0, Number(process.env.ROWS ?? 25))) console.log(`${r.ms.toFixed(3).padStart(8)} ms  ${String(r.calls).padStart(3)}×  ${r.k}`);
