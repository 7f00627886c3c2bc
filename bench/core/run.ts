/**
 * Core benchmark (`npm run bench:core [-- --quick]`): the fp32 FMA peak of one core and of
 * two cores at once, sgemm GFLOP/s per backend at the shapes hyperrl trains with, and full
 * MLP / hyper-critic training steps per backend — the native ones on 1 and 2 threads side by
 * side — all measured in one run, so ratios (fraction of peak, speed-up over the JS
 * reference and over 1 thread) are comparable even on a noisy shared machine. Writes
 * bench/results/core-<date>.json.
 */
import { cpus } from 'node:os';
import type { Backend, BackendName } from '../../src/tensor/backend.js';
import { BACKEND_NAMES, createBackend, probeBackends } from '../../src/tensor/backends/index.js';
import { nativeInfo, setNativeIsa, setNativeThreads, type NativeIsa } from '../../src/tensor/backends/native/index.js';
import { measureFmaPeaks, type FmaPeaks } from '../lib/peaks.js';
import { writeBenchResult } from '../lib/results.js';
import { secondsPerCall } from '../lib/timing.js';
import { hyperCriticStep, mlpCriticStep } from './workloads.js';
import { benchFlags } from '../lib/flags.js';

/** M×K×N: the MLP's first layer, its hidden layer, and the HypeRL heads' sizes. */
export const GEMM_SHAPES: [number, number, number][] = [[256, 17, 256], [256, 256, 256], [256, 256, 1024], [256, 1024, 1536]];

/** Targets from the compute-core issue (one core of this machine). */
const TARGETS = {
  nativeGemm256: 0.8, nativeGemm17: 0.6, wasmGemm256Gflops: 45,
  native: { mlp: 0.6, hyper: 1.6 }, wasm: { mlp: 2.5, hyper: 6.5 },
} as const;

/** Native thread counts compared side by side (wasm and js run on one). */
export const NATIVE_THREADS = [1, 2] as const;

export interface CoreBenchOptions { quick?: boolean; backends?: BackendName[]; outDir?: string; log?: (line: string) => void }

/** fractionOfPeak: of one core's peak on 1 thread, of the peak of `threads` cores at once otherwise. */
interface GemmRow { backend: string; variant: string; threads: number; shape: string; gflops: number; fractionOfPeak: number | null; speedupVs1Thread: number | null }
interface StepRow { backend: string; workload: 'mlp' | 'hyper'; threads: number; ms: number; gflops: number; speedupVsJs: number | null; speedupVs1Thread: number | null }

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
  const threadCounts = (name: BackendName): number[] => (name === 'native' ? [...NATIVE_THREADS] : [1]);
  log(`cpu: ${cpus()[0]?.model ?? 'unknown'}; features: ${native?.features.join(' ') ?? 'n/a'}`);
  // Peak of one core, and of as many cores as threads.
  const fma: FmaPeaks | null = native ? measureFmaPeaks(NATIVE_THREADS, quick ? 200 : 500, log) : null;
  if (fma === null) log('fp32 FMA peak: n/a (native backend not built)');
  const peak = fma?.perCore ?? null;

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
        const line: string[] = [];
        let oneThread: number | null = null;
        for (const threads of threadCounts(name)) {
          if (name === 'native') setNativeThreads(threads);
          const gf = gemmGflops(be, m, k, n, slow ? 1 : trialMs, slow ? 1 : trials);
          const p = fma?.cores[threads];
          oneThread ??= gf;
          const row: GemmRow = { backend: name, variant: variant || be.detail, threads, shape: `${m}x${k}x${n}`, gflops: gf, fractionOfPeak: p ? gf / p : null, speedupVs1Thread: threads > 1 ? gf / oneThread : null };
          gemm.push(row);
          line.push(`${threads} thr ${gf.toFixed(1).padStart(7)} GFLOP/s${p ? ` ${(100 * gf / p).toFixed(0).padStart(3)}%` : ''}${row.speedupVs1Thread === null ? '' : ` ${row.speedupVs1Thread.toFixed(2)}×`}`);
        }
        log(`sgemm ${name.padEnd(6)} ${(variant || be.detail).padEnd(22)} ${`${m}x${k}x${n}`.padEnd(13)} ${line.join(' | ')}`);
      }
    }
    if (name === 'native' && native?.isa) setNativeIsa(native.isa);
  }
  if (peak !== null) log(`(% of the FMA peak of as many cores as threads, measured above)`);

  const steps: StepRow[] = [];
  for (const [workload, make] of [['mlp', mlpCriticStep], ['hyper', hyperCriticStep]] as const) {
    let jsMs: number | null = null;
    for (const name of [...backends].reverse()) { // js first: it is the in-run baseline
      const be = createBackend(name, { unchecked: true });
      const w = make(be);
      const slow = name === 'js';
      let oneThreadMs: number | null = null;
      for (const threads of threadCounts(name)) {
        if (name === 'native') setNativeThreads(threads);
        const ms = 1000 * secondsPerCall(() => w.step(), slow ? (quick ? 50 : 300) : trialMs, slow ? 3 : trials);
        if (!Number.isFinite(w.loss())) throw new Error(`${workload} step on ${name} diverged`);
        if (name === 'js') jsMs = ms;
        oneThreadMs ??= ms;
        const row: StepRow = { backend: name, workload, threads, ms, gflops: w.flopsPerStep / (ms / 1000) / 1e9, speedupVsJs: jsMs === null ? null : jsMs / ms, speedupVs1Thread: threads > 1 ? oneThreadMs / ms : null };
        steps.push(row);
        log(`${workload.padEnd(5)} step ${name.padEnd(6)} ${threads} thr ${ms.toFixed(3).padStart(8)} ms  ${row.gflops.toFixed(1).padStart(6)} GFLOP/s  ${row.speedupVsJs === null ? '' : `${row.speedupVsJs.toFixed(1)}× js`}${row.speedupVs1Thread === null ? '' : `  ${row.speedupVs1Thread.toFixed(2)}× 1 thread`}`);
      }
    }
  }
  if (native) setNativeThreads(native.threads ?? 1);

  const find = (b: string, shape: string, threads = 1): GemmRow | undefined => gemm.find((r) => r.backend === b && r.shape === shape && r.threads === threads && (b !== 'native' || r.variant === native?.isa));
  const stepMs = (b: string, w: string): number | undefined => steps.find((r) => r.backend === b && r.workload === w && r.threads === 1)?.ms;
  const checks: Record<string, { value: number | null | undefined; target: string; pass: boolean | null }> = {
    'native sgemm 256x256x256 fraction of peak': { value: find('native', '256x256x256')?.fractionOfPeak, target: `≥ ${TARGETS.nativeGemm256}`, pass: null },
    'native sgemm 256x17x256 fraction of peak': { value: find('native', '256x17x256')?.fractionOfPeak, target: `≥ ${TARGETS.nativeGemm17}`, pass: null },
    'wasm sgemm 256x256x256 GFLOP/s': { value: find('wasm', '256x256x256')?.gflops, target: `≥ ${TARGETS.wasmGemm256Gflops}`, pass: null },
    'native mlp step ms': { value: stepMs('native', 'mlp'), target: `≤ ${TARGETS.native.mlp}`, pass: null },
    'native hyper step ms': { value: stepMs('native', 'hyper'), target: `≤ ${TARGETS.native.hyper}`, pass: null },
    'wasm mlp step ms': { value: stepMs('wasm', 'mlp'), target: `≤ ${TARGETS.wasm.mlp}`, pass: null },
    'wasm hyper step ms': { value: stepMs('wasm', 'hyper'), target: `≤ ${TARGETS.wasm.hyper}`, pass: null },
  };
  // Reported beside the targets (the issue sets none for them).
  const twoThreads = find('native', '256x256x256', 2);
  const info2 = { 'native sgemm 256x256x256 on 2 threads, fraction of 2 cores\' peak': twoThreads?.fractionOfPeak, 'native sgemm 256x256x256 2 threads / 1 thread': twoThreads?.speedupVs1Thread };
  for (const c of Object.values(checks)) {
    if (c.value === undefined || c.value === null) continue;
    const [op, t] = c.target.split(' ');
    c.pass = op === '≥' ? c.value >= Number(t) : c.value <= Number(t);
  }
  log('\ntargets (compute-core issue):');
  for (const [k, c] of Object.entries(checks)) {
    log(`  ${k.padEnd(44)} ${c.value === undefined || c.value === null ? 'n/a' : c.value.toFixed(3)}  target ${c.target}  ${c.pass === null ? '' : c.pass ? 'PASS' : 'MISS'}`);
  }
  for (const [k, v] of Object.entries(info2)) log(`  ${k.padEnd(44)} ${v === undefined || v === null ? 'n/a' : v.toFixed(3)}`);

  const result = {
    benchmark: 'core', date: new Date().toISOString(), quick,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, features: native?.features ?? null, nativeIsa: native?.isa ?? null },
    peakGflops: peak, peakGflopsByCores: fma?.cores ?? null, peakGflopsAtOnce: fma?.atOnce ?? null, gemm, steps, checks, twoThreads: info2,
  };
  const file = writeBenchResult('core', result, opts.outDir);
  log(`\nwrote ${file}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCoreBench({ quick: benchFlags('core', ['--quick']).has('--quick') });
}
