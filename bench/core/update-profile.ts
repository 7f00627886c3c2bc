/**
 * Developer tool: where the time of one TD3 update goes, by kernel class and call shape, on
 * the native backend: each backend call timed, summed per update, and the rest of the update
 * (JS: the autodiff, op bookkeeping, replay sampling) as "outside kernels". Each figure is
 * the minimum over periods of policyDelay updates (per update): on a busy machine the
 * minima approach what a quiet core does, where means count the time other processes took.
 * Shares are of the fastest period's wall time, so on a busy machine they need not add up.
 *   node dist/bench/core/update-profile.js [mlp|compact|paper] [updates] [obsDim actionDim batch]
 * Defaults: mlp on Pendulum sizes (3, 1, batch 256); compact and paper on HalfCheetah sizes (17, 6, batch 100).
 */
import type { Backend } from '../../src/tensor/backend.js';
import { timeKernels } from '../lib/kernel-timer.js';
import { td3UpdateBench } from '../lib/td3-update.js';

const preset = process.argv[2] ?? 'mlp';
const updates = Number(process.argv[3] ?? 50);
const pendulum = preset === 'mlp';
const obsDim = Number(process.argv[4] ?? (pendulum ? 3 : 17));
const actionDim = Number(process.argv[5] ?? (pendulum ? 1 : 6));
const batchSize = Number(process.argv[6] ?? (pendulum ? 256 : 100));

/** The current period's time and calls per key, and the smallest period total seen per key. */
const period = new Map<string, { ms: number; calls: number }>();
const totals = new Map<string, { ms: number; calls: number }>();
let recording = false;

/** A call's key: the kernel and the arguments that decide its cost. */
function callKey(k: string, a: number[]): string {
  const t = (x: number): string => (x ? 'T' : 'N');
  switch (k) {
    case 'gemm': return `gemm ${t(a[0]!)}${t(a[1]!)} ${a[2]}×${a[3]}×${a[4]}`;
    case 'gemmBiasAct': return `gemmBiasAct ${t(a[0]!)}${t(a[1]!)} ${a[2]}×${a[3]}×${a[4]}`;
    case 'gemmBatched': return `gemmBatched ${a[0]}× ${t(a[1]!)}${t(a[2]!)} ${a[3]}×${a[4]}×${a[5]}`;
    case 'unary': case 'reduce': return `${k} op=${a[0]} ${a.slice(1, 4).join(',')}`;
    case 'binary': return `binary op=${a[0]} ${a[1]}×${a[2]} strides ${a[4]},${a[5]} ${a[7]},${a[8]}`;
    case 'actBackward': return `actBackward act=${a[0]}`;
    case 'dynamicForward': case 'dynamicBackward': return `${k} ${a[0]}×${a[1]}×${a[2]}`;
    default: return k;
  }
}

function instrument(be: Backend): void {
  timeKernels(be, () => recording, (k, a, ms) => {
    const key = callKey(k, a);
    const e = period.get(key) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    period.set(key, e);
  });
}

const overrides = preset === 'mlp' ? { critic: 'mlp', batchSize } : { critic: 'hyper', hyperPreset: preset, batchSize };
const bench = td3UpdateBench(obsDim, actionDim, overrides, { instrument });
for (let i = 0; i < Math.max(4, updates / 5); i++) bench.update(); // past JIT warm-up
recording = true;
const delay = bench.config.policyDelay;
let wallPeriod = Infinity, outsidePeriod = Infinity;
for (let done = 0; done < updates; done += delay) {
  period.clear();
  const t0 = performance.now();
  for (let i = 0; i < delay; i++) bench.update();
  const dt = performance.now() - t0;
  wallPeriod = Math.min(wallPeriod, dt);
  let inKernels = 0;
  for (const v of period.values()) inKernels += v.ms;
  outsidePeriod = Math.min(outsidePeriod, dt - inKernels);
  for (const [k, v] of period) {
    const e = totals.get(k);
    if (e === undefined || v.ms < e.ms) totals.set(k, { ...v });
  }
}
recording = false;
const wall = wallPeriod / delay, outside = outsidePeriod / delay;

const rows = [...totals].map(([k, v]) => ({ k, ms: v.ms / delay, calls: v.calls / delay })).sort((p, q) => q.ms - p.ms);
const byClass = new Map<string, { ms: number; calls: number }>();
for (const r of rows) {
  const cls = r.k.split(' ')[0]!;
  const e = byClass.get(cls) ?? { ms: 0, calls: 0 };
  e.ms += r.ms;
  e.calls += r.calls;
  byClass.set(cls, e);
}
let calls = 0;
for (const r of rows) calls += r.calls;
const pct = (ms: number): string => `${(100 * ms / wall).toFixed(1).padStart(5)}%`;
console.log(`TD3 update, ${preset} critic, obs ${obsDim}, action ${actionDim}, batch ${batchSize}: ${wall.toFixed(3)} ms/update, `
  + `GEMM ${(bench.gemmFlopsPerUpdate / 1e6).toFixed(0)} MFLOP, ${calls.toFixed(0)} kernel calls (minima over ${Math.ceil(updates / delay)} periods of ${delay} updates)`);
console.log(`${pct(outside)} ${outside.toFixed(3).padStart(8)} ms  outside kernels (JS, autodiff, replay sampling)`);
for (const [k, v] of [...byClass].sort((p, q) => q[1].ms - p[1].ms)) console.log(`${pct(v.ms)} ${v.ms.toFixed(3).padStart(8)} ms  ${String(v.calls).padStart(4)}×  ${k}`);
console.log('by call shape:');
for (const r of rows.slice(0, Number(process.env.ROWS ?? 30))) console.log(`${pct(r.ms)} ${r.ms.toFixed(3).padStart(8)} ms  ${String(r.calls).padStart(4)}×  ${r.k}`);
