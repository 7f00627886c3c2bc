/**
 * Core benchmark (`npm run bench:core [-- --quick]`): the core's
 * fp32 FMA peak, sgemm GFLOP/s per backend at the shapes hyperrl trains with, and
 * full MLP / hyper-critic training steps per backend — all measured in one run, so
 * ratios (fraction of peak, speed-up over the JS reference) are comparable even on
 * a noisy shared machine. Writes bench/results/core-<date>.json.
 */
import { cpus } from 'node:os';
import type { Backend, BackendName } from '../../src/tensor/backend.js';
import { BACKEND_NAMES, createBackend, probeBackends } from '../../src/tensor/backends/index.js';
import { measureFmaPeak, nativeInfo, setNativeIsa, type NativeIsa } from '../../src/tensor/backends/native/index.js';
import { writeBenchResult } from '../lib/results.js';
import { secondsPerCall } from '../lib/timing.js';
import { hyperCriticStep, mlpCriticStep } from './workloads.js';

/** M×K×N: the MLP's first layer, its hidden layer, and the HypeRL heads' sizes. */
export const GEMM_SHAPES: [number, number, number][] = [[256, 17, 256], [256, 256, 256], [256, 256, 1024], [256, 1024, 1536]];

/** Targets from the compute-core issue (one core of this machine). */
const TARGETS = {
  nativeGemm256: 0.8, nativeGemm17: 0.6, wasmGemm256Gflops: 45,
  native: { mlp: 0.6, hyper: 1.6 }, wasm: { mlp: 2.5, hyper: 6.5 },
} as const;

export interface CoreBenchOptions { quick?: boolean; backends?: BackendName[]; outDir?: string; log?: (line: string) => void }

interface GemmRow { backend: string; variant: string; shape: string; gflops: number; fractionOfPeak: number | null }
interface StepRow { backend: string; workload: 'mlp' | 'hyper'; ms: number; gflops: number; speedupVsJs: number | null }

function gemmGflops(be: Backend, m: number, k: number, n: number, trialMs: number, trials: number): number {
  const a = be.arena.alloc(m * k), b = be.arena.alloc(k * n), c = be.arena.alloc(m * n);
  const d = be.arena.data;
  for (let i = 0; i < m * k; i++) d[a + i] = Math.sin(i);
  for (let i = 0; i < k * n; i++) d[b + i] = Math.cos(i);
  const sec = secondsPerCall(() => be.gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n), trialMs, trials);
  if (!Number.isFinite(be.arena.data[c]!)) throw new Error('gemm produced a non-finite result');
  be.arena.free(a, m * k); be.arena.free(b, k * n); be.arena.free(c, m * n);
  return (2 * m * n * k) / sec / 1e9;
}

export async function runCoreBench(opts: CoreBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const trialMs = quick ? 40 : 150, trials = quick ? 5 : 9;
  const probe = probeBackends();
  const backends = (opts.backends ?? [...BACKEND_NAMES]).filter((b) => probe[b] === true);
  for (const b of opts.backends ?? BACKEND_NAMES) if (probe[b] !== true) log(`skipping ${b}: ${String(probe[b])}`);

  const native = probe.native === true ? nativeInfo() : null;
  const peak = native ? measureFmaPeak(quick ? 200 : 500) : null;
  log(`cpu: ${cpus()[0]?.model ?? 'unknown'}; features: ${native?.features.join(' ') ?? 'n/a'}`);
  log(`single-core fp32 FMA peak: ${peak === null ? 'n/a (native backend not built)' : `${peak.toFixed(1)} GFLOP/s`}`);

  const gemm: GemmRow[] = [];
  const variants = (name: BackendName): (NativeIsa | '')[] => (name === 'native' && native?.isa ? (quick ? [native.isa] : native.isas) : ['']);
  for (const name of backends) {
    for (const variant of variants(name)) {
      if (variant) setNativeIsa(variant);
      const be = createBackend(name, { unchecked: true });
      for (const [m, k, n] of GEMM_SHAPES) {
        // The JS reference at the largest shapes takes seconds per call; one short trial is enough to place it.
        const slow = name === 'js' && m * k * n > 256 * 256 * 256;
        if (slow && quick) continue;
        const gf = gemmGflops(be, m, k, n, slow ? 1 : trialMs, slow ? 1 : trials);
        const row: GemmRow = { backend: name, variant: variant || be.detail, shape: `${m}x${k}x${n}`, gflops: gf, fractionOfPeak: peak ? gf / peak : null };
        gemm.push(row);
        log(`sgemm ${name.padEnd(6)} ${row.variant.padEnd(22)} ${row.shape.padEnd(13)} ${gf.toFixed(1).padStart(7)} GFLOP/s ${peak ? `${(100 * gf / peak).toFixed(0).padStart(4)}% of peak` : ''}`);
      }
    }
    if (name === 'native' && native?.isa) setNativeIsa(native.isa);
  }

  const steps: StepRow[] = [];
  for (const [workload, make] of [['mlp', mlpCriticStep], ['hyper', hyperCriticStep]] as const) {
    let jsMs: number | null = null;
    for (const name of [...backends].reverse()) { // js first: it is the in-run baseline
      const be = createBackend(name, { unchecked: true });
      const w = make(be);
      const slow = name === 'js';
      const ms = 1000 * secondsPerCall(() => w.step(), slow ? (quick ? 50 : 300) : trialMs, slow ? 3 : trials);
      if (!Number.isFinite(w.loss())) throw new Error(`${workload} step on ${name} diverged`);
      if (name === 'js') jsMs = ms;
      const row: StepRow = { backend: name, workload, ms, gflops: w.flopsPerStep / (ms / 1000) / 1e9, speedupVsJs: jsMs === null ? null : jsMs / ms };
      steps.push(row);
      log(`${workload.padEnd(5)} step ${name.padEnd(6)} ${ms.toFixed(3).padStart(8)} ms  ${row.gflops.toFixed(1).padStart(6)} GFLOP/s  ${row.speedupVsJs === null ? '' : `${row.speedupVsJs.toFixed(1)}× js`}`);
    }
  }

  const find = (b: string, shape: string): GemmRow | undefined => gemm.find((r) => r.backend === b && r.shape === shape && (b !== 'native' || r.variant === native?.isa));
  const stepMs = (b: string, w: string): number | undefined => steps.find((r) => r.backend === b && r.workload === w)?.ms;
  const checks: Record<string, { value: number | null | undefined; target: string; pass: boolean | null }> = {
    'native sgemm 256x256x256 fraction of peak': { value: find('native', '256x256x256')?.fractionOfPeak, target: `≥ ${TARGETS.nativeGemm256}`, pass: null },
    'native sgemm 256x17x256 fraction of peak': { value: find('native', '256x17x256')?.fractionOfPeak, target: `≥ ${TARGETS.nativeGemm17}`, pass: null },
    'wasm sgemm 256x256x256 GFLOP/s': { value: find('wasm', '256x256x256')?.gflops, target: `≥ ${TARGETS.wasmGemm256Gflops}`, pass: null },
    'native mlp step ms': { value: stepMs('native', 'mlp'), target: `≤ ${TARGETS.native.mlp}`, pass: null },
    'native hyper step ms': { value: stepMs('native', 'hyper'), target: `≤ ${TARGETS.native.hyper}`, pass: null },
    'wasm mlp step ms': { value: stepMs('wasm', 'mlp'), target: `≤ ${TARGETS.wasm.mlp}`, pass: null },
    'wasm hyper step ms': { value: stepMs('wasm', 'hyper'), target: `≤ ${TARGETS.wasm.hyper}`, pass: null },
  };
  for (const c of Object.values(checks)) {
    if (c.value === undefined || c.value === null) continue;
    const [op, t] = c.target.split(' ');
    c.pass = op === '≥' ? c.value >= Number(t) : c.value <= Number(t);
  }
  log('\ntargets (compute-core issue):');
  for (const [k, c] of Object.entries(checks)) {
    log(`  ${k.padEnd(44)} ${c.value === undefined || c.value === null ? 'n/a' : c.value.toFixed(3)}  target ${c.target}  ${c.pass === null ? '' : c.pass ? 'PASS' : 'MISS'}`);
  }

  const result = {
    benchmark: 'core', date: new Date().toISOString(), quick,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, features: native?.features ?? null, nativeIsa: native?.isa ?? null },
    peakGflops: peak, gemm, steps, checks,
  };
  const file = writeBenchResult('core', result, opts.outDir);
  log(`\nwrote ${file}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCoreBench({ quick: process.argv.includes('--quick') });
}
