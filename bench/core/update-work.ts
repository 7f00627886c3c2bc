/**
 * Developer tool: the work of one TD3 update counted from its kernel calls' arguments, not
 * timed (usable on a busy machine): GEMM GFLOP and calls, megabytes streamed by the
 * memory-bound kernels (Adam reads p, g, m, v and writes p, m, v; a copy reads and writes
 * once; Polyak reads two and writes one), and subnormal floats anywhere in the arena (a slow
 * path on Intel cores without flush-to-zero).
 *   node dist/bench/core/update-work.js [paper|compact|mlp] [updates]
 */
import type { Backend } from '../../src/tensor/backend.js';
import { td3UpdateBench } from '../lib/td3-update.js';

const preset = process.argv[2] ?? 'paper';
const updates = Number(process.argv[3] ?? 10);
const totals = new Map<string, number>();
const add = (key: string, v: number): void => { totals.set(key, (totals.get(key) ?? 0) + v); };
let backend: Backend | undefined;

function count(be: Backend): void {
  backend = be;
  const wrap = <K extends 'gemm' | 'gemmBiasAct' | 'gemmBatched' | 'adam' | 'axpby' | 'polyak' | 'binary'>(name: K, f: (...a: Parameters<Backend[K]>) => void): void => {
    const kernel = be[name].bind(be) as (...a: Parameters<Backend[K]>) => void;
    (be as unknown as Record<K, (...a: Parameters<Backend[K]>) => void>)[name] = (...a) => { f(...a); kernel(...a); };
  };
  wrap('gemm', (_ta, _tb, m, n, k) => { add('GEMM GFLOP', (2 * m * n * k) / 1e9); add('GEMM calls', 1); });
  wrap('gemmBiasAct', (_ta, _tb, m, n, k) => { add('GEMM GFLOP', (2 * m * n * k) / 1e9); add('GEMM calls', 1); });
  // An ensemble's batched GEMM (the twin MLP critics): every member counted.
  wrap('gemmBatched', (count, _ta, _tb, m, n, k) => { add('GEMM GFLOP', (2 * count * m * n * k) / 1e9); add('GEMM calls', count); });
  wrap('adam', (n) => add('Adam MB', (28 * n) / 1e6));
  wrap('axpby', (n, _alpha, _x, beta) => { add('axpby MB', ((beta === 0 ? 8 : 12) * n) / 1e6); add('axpby calls', 1); });
  wrap('polyak', (n) => add('Polyak MB', (12 * n) / 1e6));
  wrap('binary', (_op, rows, cols) => add('binary MB', (12 * rows * cols) / 1e6));
}

const overrides = preset === 'mlp' ? { critic: 'mlp', batchSize: 100 } : { critic: 'hyper', hyperPreset: preset, batchSize: 100 };
const bench = td3UpdateBench(17, 6, overrides, { instrument: count });
totals.clear();
for (let i = 0; i < updates; i++) bench.update();
console.log(`TD3 update, ${preset} critic, HalfCheetah sizes, batch 100: per update, averaged over ${updates}`);
for (const [k, v] of totals) console.log(`  ${k.padEnd(12)} ${(v / updates).toFixed(2)}`);
const data = backend!.arena.data;
let subnormal = 0;
for (let i = 0; i < data.length; i++) { const v = Math.abs(data[i]!); if (v !== 0 && v < 1.1754943508222875e-38) subnormal++; }
console.log(`  subnormal floats in the arena (${data.length} floats): ${subnormal}`);
