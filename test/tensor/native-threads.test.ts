/**
 * The native kernels split across threads deterministically: every threaded kernel gives
 * byte-identical outputs with 1, 2 and 3 threads, on every ISA variant, at sizes below its
 * split threshold and above it (where the pool's counters show that it did split).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/tensor/backend.js';
import { createBackend, defaultBackend } from '../../src/tensor/backends/index.js';
import { createNativeBackend, measureFmaPeak, nativeInfo, nativePool, setNativeIsa, setNativeThreads, type ParallelThresholds } from '../../src/tensor/backends/native/index.js';
import { Act, Binary, NONE, Reduce, Unary, type ActCode, type UnaryName } from '../../src/tensor/kernels.js';
import { makeRng } from '../helpers/rng.js';

const info = nativeInfo();

/** A kernel call: the sizes of its buffers for a target amount of work, and the call itself. */
interface Case {
  name: string;
  /** Which threshold governs the split. */
  per: keyof ParallelThresholds;
  /** Buffers (name → elements) and the work as the kernel counts it, for about `work` units. */
  make(work: number): { buffers: Record<string, number>; work: number; call(be: Backend, o: Record<string, number>): void };
}

/**
 * A GEMM with k and one of m, n fixed; the other grows with the work. The packed paths count
 * 2·m·n·k flops against gemmFlops; GEMVs, rank-1 updates and row-major dot products m·n·k
 * against gemvMacs (`vector`).
 */
const gemmCase = (name: string, tA: boolean, tB: boolean, alpha: number, beta: number, fixed: { m?: number; n?: number; k: number }, opts: { vector?: boolean; epi?: { act: ActCode; bias: boolean } } = {}): Case => ({
  name, per: opts.vector ? 'gemvMacs' : 'gemmFlops',
  make(work) {
    const k = fixed.k, perMac = opts.vector ? 1 : 2;
    const m = fixed.m ?? Math.max(1, Math.floor(work / (perMac * fixed.n! * k)));
    const n = fixed.n ?? Math.max(1, Math.floor(work / (perMac * m * k)));
    const epi = opts.epi;
    const pad = 3;
    const lda = (tA ? m : k) + pad, ldb = (tB ? k : n) + pad, ldc = n + pad;
    return {
      buffers: { a: (tA ? k : m) * lda, b: (tB ? n : k) * ldb, c: m * ldc, bias: n },
      work: perMac * m * n * k,
      call(be, o) {
        if (epi === undefined) be.gemm(tA, tB, m, n, k, alpha, o.a!, lda, o.b!, ldb, beta, o.c!, ldc);
        else be.gemmBiasAct(tA, tB, m, n, k, o.a!, lda, o.b!, ldb, beta, epi.bias ? o.bias! : NONE, epi.act, o.c!, ldc);
      },
    };
  },
});

const elementwise = (name: string, per: keyof ParallelThresholds, call: (be: Backend, n: number, o: Record<string, number>) => void): Case => ({
  name, per,
  make(work) {
    const n = Math.floor(work) + 5; // not a whole number of vectors
    return { buffers: { x: n, y: n, z: n, w: n }, work: n, call: (be, o) => call(be, n, o) };
  },
});

const CASES: Case[] = [];
for (const tA of [false, true]) {
  for (const tB of [false, true]) {
    const t = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
    // Column panels (k over two k blocks), row panels, several column blocks (n > NC, few rows).
    CASES.push(gemmCase(`gemm ${t} column split`, tA, tB, 0.75, -0.5, { m: 40, k: 300 }));
    CASES.push(gemmCase(`gemm ${t} row split`, tA, tB, 1, 0, { n: 40, k: 70 }));
    // Few rows against a transposed B: dot products with B read in place (counted as GEMV work).
    CASES.push(gemmCase(`gemm ${t} n > NC`, tA, tB, 1, 1, { m: 8, k: 40 }, { vector: tB && !tA }));
    CASES.push(gemmCase(`gemm ${t} one column (GEMV)`, tA, tB, -2, 0.5, { n: 1, k: 100 }, { vector: true }));
    CASES.push(gemmCase(`gemm ${t} one row (GEMV)`, tA, tB, 1, 0, { m: 1, k: 100 }, { vector: true }));
    CASES.push(gemmCase(`gemm ${t} k = 1 (rank 1)`, tA, tB, 0.5, 1, { n: 300, k: 1 }, { vector: true }));
    // Row-major op(A): dot products along k; transposed A: the transposed problem, packed.
    CASES.push(gemmCase(`gemm ${t} 5 columns`, tA, tB, 1, 0, { n: 5, k: 64 }, { vector: !tA }));
    CASES.push(gemmCase(`gemm ${t} n = 16·3 + 3 (packed + dot-product columns)`, tA, tB, 1, 0, { n: 51, k: 80 }));
  }
}
CASES.push(gemmCase('gemmBiasAct NN relu + bias', false, false, 1, 0, { m: 40, k: 120 }, { epi: { act: Act.relu, bias: true } }));
CASES.push(gemmCase('gemmBiasAct NT tanh + bias', false, true, 1, 1, { m: 40, k: 120 }, { epi: { act: Act.tanh, bias: true } }));
CASES.push(gemmCase('gemmBiasAct TN sigmoid, row split', true, false, 1, 0, { n: 40, k: 70 }, { epi: { act: Act.sigmoid, bias: false } }));
CASES.push(gemmCase('gemmBiasAct NN elu + bias, n = 147', false, false, 1, 0, { n: 147, k: 80 }, { epi: { act: Act.elu, bias: true } }));

// An ensemble of 3 members (whole members per thread on 2 and 3 threads): the input shared
// (stride 0) or per member, transposed or not.
for (const [tA, tB, sharedA] of [[false, false, true], [false, true, false], [true, false, false]] as const) {
  CASES.push({
    name: `gemmBatched 3 members ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}${sharedA ? ', shared A' : ''}, relu + bias`, per: 'gemmFlops',
    make(work) {
      const count = 3, m = 24, k = 40, n = Math.max(1, Math.floor(work / (2 * count * m * k)));
      const aSize = m * k, bSize = k * n, strideA = sharedA ? 0 : aSize;
      return {
        buffers: { a: sharedA ? aSize : count * aSize, b: count * bSize, bias: count * n, c: count * m * n },
        work: 2 * count * m * n * k,
        call: (be, o) => be.gemmBatched(count, tA, tB, m, n, k, o.a!, strideA, tA ? m : k, o.b!, bSize, tB ? k : n, 0, o.bias!, n, Act.relu, o.c!, m * n, n),
      };
    },
  });
}

for (const [inp, out, withG] of [[6, 64, true], [40, 33, false], [1, 50, true]] as const) {
  CASES.push({
    name: `dynamicForward in=${inp} out=${out}${withG ? ' gain + bias' : ''}`, per: 'dynamicMacs',
    make(work) {
      const batch = Math.max(1, Math.floor(work / (inp * out)));
      return {
        buffers: { x: batch * inp, w: batch * out * inp, g: batch * out, c: batch * out, y: batch * out },
        work: batch * out * inp,
        call: (be, o) => be.dynamicForward(batch, out, inp, o.x!, inp, o.w!, out * inp, withG ? o.g! : NONE, out, withG ? o.c! : NONE, out, withG ? Act.relu : Act.tanh, o.y!, out),
      };
    },
  });
  CASES.push({
    name: `dynamicBackward in=${inp} out=${out}${withG ? ' gain' : ''}`, per: 'dynamicMacs',
    make(work) {
      const batch = Math.max(1, Math.floor(work / (inp * out)));
      return {
        buffers: { x: batch * inp, w: batch * out * inp, g: batch * out, dy: batch * out, dx: batch * inp, dw: batch * out * inp, dg: batch * out, dc: batch * out },
        work: batch * out * inp,
        call: (be, o) => be.dynamicBackward(batch, out, inp, o.x!, inp, o.w!, out * inp, withG ? o.g! : NONE, out, o.dy!, out,
          o.dx!, inp, o.dw!, out * inp, withG ? o.dg! : NONE, out, o.dc!, out),
      };
    },
  });
}

for (const saveGates of [true, false]) {
  CASES.push({
    name: `gruForward H=40${saveGates ? ', gates saved' : ''}`, per: 'mathElements',
    make(work) {
      const H = 40, batch = Math.max(1, Math.floor(work / (3 * H)));
      return {
        buffers: { gi: batch * 3 * H, gh: batch * 3 * H, h: batch * H, y: batch * H, gates: batch * 3 * H },
        work: 3 * batch * H,
        call: (be, o) => be.gruForward(batch, H, o.gi!, o.gh!, o.h!, o.y!, saveGates ? o.gates! : NONE),
      };
    },
  });
}
for (const carried of [true, false]) {
  CASES.push({
    name: `gruBackward H=40${carried ? ', gradient carried in' : ''}`, per: 'streamElements',
    make(work) {
      const H = 40, batch = Math.max(1, Math.floor(work / (14 * H)));
      return {
        buffers: { gates: batch * 3 * H, gh: batch * 3 * H, h: batch * H, dy: batch * H, dhIn: batch * H, dgi: batch * 3 * H, dgh: batch * 3 * H, dh: batch * H },
        work: 14 * batch * H,
        call: (be, o) => be.gruBackward(batch, H, o.gates!, o.gh!, o.h!, o.dy!, carried ? o.dhIn! : NONE, o.dgi!, o.dgh!, o.dh!),
      };
    },
  });
}

for (const [mode, wd, decoupled] of [['plain', 0, false], ['L2', 0.01, false], ['AdamW', 0.01, true]] as const) {
  // w (the second moments) is filled non-negative.
  CASES.push(elementwise(`adam ${mode}`, 'adamElements', (be, n, o) => be.adam(n, o.x!, o.y!, o.z!, o.w!, 1e-3, 0.9, 0.999, 1e-8, wd, decoupled, 7)));
}
CASES.push(elementwise('polyak', 'streamElements', (be, n, o) => be.polyak(n, o.x!, o.y!, 0.005)));
CASES.push(elementwise('axpby beta = 0', 'streamElements', (be, n, o) => be.axpby(n, 0.3, o.x!, 0, o.y!)));
CASES.push(elementwise('axpby', 'streamElements', (be, n, o) => be.axpby(n, 0.3, o.x!, -0.7, o.y!)));
CASES.push(elementwise('fill', 'streamElements', (be, n, o) => be.fill(n, o.y!, 1.25)));
CASES.push(elementwise('clamp', 'streamElements', (be, n, o) => be.clamp(n, o.x!, -0.2, 0.3, o.y!)));
for (const op of Object.keys(Unary) as UnaryName[]) {
  const cheap = ['neg', 'relu', 'square', 'sqrt', 'abs'].includes(op);
  CASES.push(elementwise(`unary ${op}`, cheap ? 'streamElements' : 'mathElements', (be, n, o) => be.unary(Unary[op], n, o.x!, o.y!)));
}
for (const [act, name] of [[Act.identity, 'identity'], [Act.relu, 'relu'], [Act.tanh, 'tanh'], [Act.elu, 'elu'], [Act.sigmoid, 'sigmoid']] as const) {
  CASES.push(elementwise(`actBackward ${name}`, 'streamElements', (be, n, o) => be.actBackward(act, n, o.x!, o.y!, o.z!)));
}
CASES.push(elementwise('biasAct tanh, no bias', 'mathElements', (be, n, o) => be.biasAct(1, n, o.x!, NONE, Act.tanh, o.y!)));
for (const [act, per] of [[Act.relu, 'streamElements'], [Act.sigmoid, 'mathElements']] as const) {
  CASES.push({
    name: `biasAct rows + bias, act ${act}`, per,
    make(work) {
      const cols = 70, rows = Math.max(1, Math.floor(work / cols));
      return { buffers: { x: rows * cols, b: cols, y: rows * cols }, work: rows * cols, call: (be, o) => be.biasAct(rows, cols, o.x!, o.b!, act, o.y!) };
    },
  });
}
CASES.push(elementwise('binary add, contiguous + scalar', 'streamElements', (be, n, o) => be.binary(Binary.add, 1, n, o.x!, n, 1, o.y!, 0, 0, o.z!)));
CASES.push({
  name: 'binary max, row broadcast', per: 'streamElements',
  make(work) {
    const cols = 100, rows = Math.max(1, Math.floor(work / cols));
    return { buffers: { a: rows * cols, b: cols, y: rows * cols }, work: rows * cols, call: (be, o) => be.binary(Binary.max, rows, cols, o.a!, cols, 1, o.b!, 0, 1, o.y!) };
  },
});
CASES.push({
  name: 'binary div, strided', per: 'streamElements',
  make(work) {
    const cols = 50, rows = Math.max(1, Math.floor(work / cols));
    return { buffers: { a: rows * cols * 2, b: rows, y: rows * cols }, work: rows * cols, call: (be, o) => be.binary(Binary.div, rows, cols, o.a!, 2 * cols, 2, o.b!, 1, 0, o.y!) };
  },
});
for (const beta of [0, 1]) {
  CASES.push({
    name: `colSum beta = ${beta}`, per: 'streamElements',
    make(work) {
      const cols = 300, rows = Math.max(1, Math.floor(work / cols));
      return { buffers: { x: rows * cols, out: cols }, work: rows * cols, call: (be, o) => be.colSum(rows, cols, o.x!, o.out!, beta) };
    },
  });
}
for (const [outerOf, len, inner] of [[(w: number) => Math.floor(w / 50), 50, 1], [(w: number) => Math.floor(w / (37 * 20)), 20, 37], [() => 1, 10, 0]] as const) {
  for (const op of [Reduce.sum, Reduce.mean, Reduce.max]) {
    CASES.push({
      name: `reduce op ${op} len ${len} inner ${inner || 'wide'}${inner === 0 ? ', one row' : ''}`, per: 'streamElements',
      make(work) {
        const outer = Math.max(1, outerOf(work)), inn = inner === 0 ? Math.floor(work / len) : inner;
        return { buffers: { x: outer * len * inn, y: outer * inn }, work: outer * len * inn, call: (be, o) => be.reduce(op, outer, len, inn, o.x!, o.y!) };
      },
    });
  }
}
CASES.push(elementwise('sumSquares (never split)', 'streamElements', (be, n, o) => be.fill(1, o.y!, be.sumSquares(n, o.x!))));

/** Runs the case once per thread count on fresh copies of the same inputs; returns each run's buffers and pool jobs. */
function runThreads(c: Case, work: number, threadCounts: number[]): { outputs: Uint8Array[]; jobs: number[]; work: number } {
  const { buffers, work: actual, call } = c.make(work);
  const be = createNativeBackend(1 << 16);
  const rng = makeRng(actual);
  const offsets: Record<string, number> = {};
  const initial: Record<string, Float32Array> = {};
  for (const [name, n] of Object.entries(buffers)) {
    offsets[name] = be.arena.alloc(n);
    initial[name] = Float32Array.from({ length: n }, () => rng.uniform(name === 'w' ? 0 : -1, 1));
  }
  const outputs: Uint8Array[] = [], jobs: number[] = [];
  for (const t of threadCounts) {
    setNativeThreads(t);
    for (const [name, values] of Object.entries(initial)) be.arena.data.set(values, offsets[name]!);
    const before = nativePool().poolStats().parallelJobs;
    call(be, offsets);
    jobs.push(nativePool().poolStats().parallelJobs - before);
    const all = Object.keys(buffers).map((name) => new Uint8Array(Float32Array.from(be.arena.view(offsets[name]!, buffers[name]!)).buffer));
    const joined = new Uint8Array(all.reduce((s, a) => s + a.length, 0));
    let at = 0;
    for (const a of all) { joined.set(a, at); at += a.length; }
    outputs.push(joined);
  }
  return { outputs, jobs, work: actual };
}

describe('native kernels on 1, 2 and 3 threads', { skip: info.available ? false : `native addon not built: ${info.error}` }, () => {
  after(() => {
    setNativeIsa(info.isa!);
    setNativeThreads(info.threads!);
  });
  const thresholds = info.available ? nativePool().parallelThresholds() : null;
  for (const isa of info.isas) {
    it(`gives byte-identical results on ${isa}, below and above each split threshold`, () => {
      setNativeIsa(isa);
      for (const c of CASES) {
        const per = thresholds![c.per];
        for (const side of ['below', 'above'] as const) {
          const r = runThreads(c, side === 'below' ? 1.5 * per : 3.5 * per, [1, 2, 3]);
          const label = `${c.name} (${isa}, ${side} the threshold: work ${r.work}, ${c.per} ${per} per thread)`;
          assert.ok(side === 'below' ? r.work < 2 * per : r.work >= 3 * per, `${label}: the case's size misses its side of the threshold`);
          assert.equal(r.jobs[0], 0, `${label}: split on 1 thread`);
          if (side === 'below' || c.name.startsWith('sumSquares')) assert.deepEqual(r.jobs, [0, 0, 0], `${label}: split`);
          else assert.ok(r.jobs[1]! > 0 && r.jobs[2]! > 0, `${label}: not split (jobs ${r.jobs.join(', ')})`);
          for (let t = 1; t < r.outputs.length; t++) {
            const a = r.outputs[0]!, b = r.outputs[t]!;
            const first = a.findIndex((v, i) => v !== b[i]);
            assert.equal(first, -1, `${label}: ${t + 1} threads differ from 1 thread at byte ${first}`);
          }
        }
      }
    });
  }
});

describe('native thread settings', { skip: info.available ? false : `native addon not built: ${info.error}` }, () => {
  after(() => setNativeThreads(info.threads!));

  it('defaults to the cores available, is reported in detail, and rejects non-counts', () => {
    const fromEnv = process.env.HYPERRL_THREADS ? Number(process.env.HYPERRL_THREADS) : info.availableCores;
    assert.ok(info.availableCores! >= 1 && info.threads === fromEnv, `threads ${info.threads}, cores ${info.availableCores}, HYPERRL_THREADS ${process.env.HYPERRL_THREADS}`);
    const be = createNativeBackend({ initialElements: 64, threads: 3 });
    assert.equal(nativeInfo().threads, 3);
    assert.match(be.detail, /, 3 threads$/);
    setNativeThreads(1);
    assert.match(be.detail, /, 1 thread$/, 'the detail follows the setting');
    for (const bad of [0, -1, 1.5, 257, NaN]) assert.throws(() => setNativeThreads(bad), /is not a thread count/);
  });

  it('runs wasm and js on one thread only, and does not fall back on a bad HYPERRL_THREADS', () => {
    assert.throws(() => createBackend('wasm', { threads: 2 }), /backend 'wasm' runs on one thread/);
    assert.equal(createBackend('js', { threads: 1 }).name, 'js');
    const saved = process.env.HYPERRL_THREADS;
    try {
      process.env.HYPERRL_THREADS = 'two';
      assert.throws(() => defaultBackend(), /HYPERRL_THREADS='two' is not a thread count/);
    } finally {
      if (saved === undefined) delete process.env.HYPERRL_THREADS;
      else process.env.HYPERRL_THREADS = saved;
    }
  });

  it('measures the FMA peak of two threads at once, each counted in the same time windows', () => {
    setNativeThreads(2);
    const one = measureFmaPeak(30), two = measureFmaPeak(30, undefined, 2);
    assert.ok(one > 1 && two >= 0 && two < 2.2 * one, `1 core ${one}, 2 at once ${two} GFLOP/s`);
  });
});
