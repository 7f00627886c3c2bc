/**
 * Developer self-check for the WebAssembly backend: every kernel against the
 * float64 JS reference on random and awkward shapes, for both builds (simd128
 * and relaxed-simd), then GEMM GFLOP/s (medians) at the shapes that matter.
 *
 *   npx tsc -p . && node dist/bench/core/wasm-dev.js [--check] [--bench] [--quick]
 */
import type { Backend } from '../../src/tensor/backend.js';
import { createJsBackend } from '../../src/tensor/backends/js/index.js';
import { createWasmBackend } from '../../src/tensor/backends/wasm/index.js';
import { Act, Binary, NONE, Reduce, Unary } from '../../src/tensor/kernels.js';

// ---------------------------------------------------------------- harness

let seed = 12345;
function rand(): number {
  // xorshift32: deterministic inputs across runs
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
}
const uniform = (lo: number, hi: number): number => Math.fround(lo + (hi - lo) * rand());

/** A buffer mirrored in the backend under test and in the reference. */
interface Pair { w: number; r: number; n: number }

class Harness {
  failures = 0;
  checks = 0;
  worst = new Map<string, number>();
  constructor(readonly be: Backend, readonly ref: Backend) {}

  alloc(values: ArrayLike<number>): Pair {
    const n = Math.max(1, values.length);
    const w = this.be.arena.alloc(n);
    const r = this.ref.arena.alloc(n);
    for (let i = 0; i < values.length; i++) {
      this.be.arena.data[w + i] = values[i]!;
      this.ref.arena.data[r + i] = Math.fround(values[i]!);
    }
    return { w, r, n };
  }

  random(n: number, lo = -2, hi = 2): Pair {
    const v = new Array<number>(n);
    for (let i = 0; i < n; i++) v[i] = uniform(lo, hi);
    return this.alloc(v);
  }

  free(...ps: Pair[]): void {
    for (const p of ps) { this.be.arena.free(p.w, p.n); this.ref.arena.free(p.r, p.n); }
  }

  /** Compare n elements; tolerance |w − r| ≤ atol + rtol·|r| (NaN must match NaN). */
  expect(name: string, p: Pair, n: number, rtol: number, atol: number, scale = 1): void {
    this.checks++;
    let worst = 0;
    let bad = -1;
    for (let i = 0; i < n; i++) {
      const w = this.be.arena.data[p.w + i]!;
      const r = Math.fround(this.ref.arena.data[p.r + i]!); // the float32 result (overflow → ±Infinity)
      if (Number.isNaN(r) || Number.isNaN(w)) {
        if (Number.isNaN(r) !== Number.isNaN(w)) { bad = i; worst = Infinity; }
        continue;
      }
      if (r === w) continue;
      const err = Math.abs(w - r) / (atol * scale + rtol * Math.abs(r));
      if (!(err <= 1)) { if (bad < 0) bad = i; }
      if (!(err <= worst)) worst = err;
    }
    const key = name.split('(')[0]!;
    this.worst.set(key, Math.max(this.worst.get(key) ?? 0, worst));
    if (bad >= 0) {
      this.failures++;
      if (this.failures <= 25) {
        console.log(`  FAIL ${name}: element ${bad}: wasm ${this.be.arena.data[p.w + bad]} ref ${this.ref.arena.data[p.r + bad]} (worst err ratio ${worst.toExponential(2)})`);
      }
    }
  }
}

// ---------------------------------------------------------------- checks

function checkGemm(h: Harness): void {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [1, 17, 3], [3, 1, 5], [1, 64, 256], [256, 64, 1], [2, 3, 4], [4, 8, 8], [5, 9, 7],
    [17, 31, 33], [33, 17, 31], [31, 33, 17], [8, 256, 16], [100, 300, 70], [97, 513, 9],
    [130, 20, 2100], [7, 1, 2050], [64, 64, 64],
    [3, 100, 37], [2, 33, 70], [50, 37, 3], [64, 300, 2], [3, 5, 3], [1, 1000, 1], [4, 7, 3], [3, 7, 4],
  ];
  const scalars: [number, number][] = [[1, 0], [0.5, 1], [-2, 0.3], [1, 1]];
  let s = 0;
  for (const [m, k, n] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const [alpha, beta] = scalars[s++ % scalars.length]!;
        const pad = s % 3; // leading dimensions larger than the minimum
        const lda = (tA ? m : k) + pad, ldb = (tB ? k : n) + pad, ldc = n + (s % 2);
        const a = h.random((tA ? k : m) * lda);
        const b = h.random((tB ? n : k) * ldb);
        const cInit = new Array<number>(m * ldc).fill(0).map(() => (beta === 0 ? NaN : uniform(-1, 1)));
        const c = h.alloc(cInit);
        h.be.gemm(tA, tB, m, n, k, alpha, a.w, lda, b.w, ldb, beta, c.w, ldc);
        h.ref.gemm(tA, tB, m, n, k, alpha, a.r, lda, b.r, ldb, beta, c.r, ldc);
        // Error scale: |alpha|·Σ|a||b| ≤ |alpha|·k·4, plus |beta|·|c|.
        h.expect(`gemm(${m}x${k}x${n} tA=${tA} tB=${tB} a=${alpha} b=${beta})`, c, m * ldc, 1e-5, 3e-7, Math.abs(alpha) * 4 * Math.sqrt(k) + Math.abs(beta));
        h.free(a, b, c);
      }
    }
  }
}

const ACTS = [Act.identity, Act.relu, Act.tanh, Act.elu, Act.sigmoid] as const;

function activationInputs(n: number): number[] {
  const special = [0, -0, 1e-8, -1e-8, 1e-4, -1e-4, 0.3, -0.3, 0.49, -0.51, 0.5, -0.5, 5, -5, 9.5, -9.5, 20, -20, 90, -90, 150, -150, Infinity, -Infinity, NaN];
  const v: number[] = [];
  for (let i = 0; i < n; i++) v.push(i < special.length ? special[i]! : uniform(-6, 6));
  return v;
}

function checkActivations(h: Harness): void {
  for (const act of ACTS) {
    for (const [rows, cols] of [[1, 1], [3, 5], [7, 17], [4, 64], [9, 33]] as const) {
      for (const withBias of [false, true]) {
        for (const alias of [false, true]) {
          const x = h.alloc(activationInputs(rows * cols));
          const bias = withBias ? h.random(cols, -0.5, 0.5) : undefined;
          const y = alias ? x : h.alloc(new Array<number>(rows * cols).fill(7));
          h.be.biasAct(rows, cols, x.w, bias ? bias.w : NONE, act, y.w);
          h.ref.biasAct(rows, cols, x.r, bias ? bias.r : NONE, act, y.r);
          h.expect(`biasAct(act=${act} ${rows}x${cols} bias=${withBias} alias=${alias})`, y, rows * cols, 4e-6, 1e-7);
          // actBackward from the (reference) outputs.
          const dy = h.random(rows * cols);
          const dx = alias ? dy : h.alloc(new Array<number>(rows * cols).fill(3));
          for (let i = 0; i < rows * cols; i++) h.be.arena.data[y.w + i] = h.ref.arena.data[y.r + i]!;
          h.be.actBackward(act, rows * cols, y.w, dy.w, dx.w);
          h.ref.actBackward(act, rows * cols, y.r, dy.r, dx.r);
          h.expect(`actBackward(act=${act} n=${rows * cols})`, dx, rows * cols, 2e-6, 5e-7);
          h.free(x, dy);
          if (!alias) h.free(y, dx);
          if (bias) h.free(bias);
        }
      }
    }
  }
}

function checkColSum(h: Harness): void {
  for (const [rows, cols] of [[1, 1], [7, 1], [5, 3], [9, 17], [33, 33], [256, 64], [3, 100]] as const) {
    for (const beta of [0, 0.5, 1]) {
      const x = h.random(rows * cols);
      const out = h.alloc(new Array<number>(cols).fill(0).map(() => (beta === 0 ? NaN : uniform(-1, 1))));
      h.be.colSum(rows, cols, x.w, out.w, beta);
      h.ref.colSum(rows, cols, x.r, out.r, beta);
      h.expect(`colSum(${rows}x${cols} beta=${beta})`, out, cols, 1e-5, 1e-6, Math.sqrt(rows) * 2);
      h.free(x, out);
    }
  }
}

function checkDynamic(h: Harness): void {
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 6], [7, 64, 6], [5, 1, 64], [4, 3, 9], [6, 17, 3], [2, 4, 4], [3, 9, 13], [2, 2, 8], [3, 6, 7], [256, 64, 6]];
  let s = 0;
  for (const [batch, out, inp] of shapes) {
    const act = ACTS[s % ACTS.length]!;
    const pad = s++ % 3;
    const ldx = inp + pad, ldw = out * inp + pad, ldg = out + pad, ldc = out + (pad ? 1 : 0), ldy = out + pad;
    const x = h.random(batch * ldx);
    const w = h.random(batch * ldw, -1, 1);
    const g = h.random(batch * ldg, -0.5, 0.5);
    const c = h.random(batch * ldc, -0.5, 0.5);
    const y = h.alloc(new Array<number>(batch * ldy).fill(5));
    h.be.dynamicForward(batch, out, inp, x.w, ldx, w.w, ldw, g.w, ldg, c.w, ldc, act, y.w, ldy);
    h.ref.dynamicForward(batch, out, inp, x.r, ldx, w.r, ldw, g.r, ldg, c.r, ldc, act, y.r, ldy);
    h.expect(`dynamicForward(${batch}x${out}x${inp} act=${act})`, y, batch * ldy, 1e-5, 1e-6, Math.sqrt(inp) * 2);

    const lddy = out + (pad ? 2 : 0);
    const dy = h.random(batch * lddy);
    const lddx = inp + pad, lddw = out * inp + (pad ? 3 : 0), lddg = out + pad, lddc = out + 1;
    const fillN = (n: number): Pair => h.alloc(new Array<number>(n).fill(9));
    for (const skip of [-1, 0, 1, 2, 3]) {
      const dx = fillN(batch * lddx), dw = fillN(batch * lddw), dg = fillN(batch * lddg), dc = fillN(batch * lddc);
      const o = (p: Pair, i: number, which: 'w' | 'r'): number => (skip === i ? NONE : p[which]);
      h.be.dynamicBackward(batch, out, inp, x.w, ldx, w.w, ldw, g.w, ldg, dy.w, lddy,
        o(dx, 0, 'w'), lddx, o(dw, 1, 'w'), lddw, o(dg, 2, 'w'), lddg, o(dc, 3, 'w'), lddc);
      h.ref.dynamicBackward(batch, out, inp, x.r, ldx, w.r, ldw, g.r, ldg, dy.r, lddy,
        o(dx, 0, 'r'), lddx, o(dw, 1, 'r'), lddw, o(dg, 2, 'r'), lddg, o(dc, 3, 'r'), lddc);
      const tag = `${batch}x${out}x${inp} skip=${skip}`;
      h.expect(`dynamicBackward.dx(${tag})`, dx, batch * lddx, 1e-5, 1e-6, Math.sqrt(out) * 4);
      h.expect(`dynamicBackward.dw(${tag})`, dw, batch * lddw, 1e-6, 1e-7);
      h.expect(`dynamicBackward.dg(${tag})`, dg, batch * lddg, 1e-5, 1e-6, Math.sqrt(inp) * 4);
      h.expect(`dynamicBackward.dc(${tag})`, dc, batch * lddc, 0, 0);
      h.free(dx, dw, dg, dc);
    }
    h.free(x, w, g, c, y, dy);
  }
}

function checkGru(h: Harness): void {
  for (const [batch, hidden, range] of [[1, 1, 3], [3, 5, 3], [16, 256, 3], [7, 33, 3], [4, 100, 60], [2, 17, 60]] as const) {
    const G = 3 * hidden, tag = `${batch}x${hidden} ±${range}`;
    const gi = h.random(batch * G, -range, range), gh = h.random(batch * G, -range, range), hp = h.random(batch * hidden, -1, 1);
    const y = h.alloc(new Array<number>(batch * hidden).fill(5)), gates = h.alloc(new Array<number>(batch * G).fill(5));
    h.be.gruForward(batch, hidden, gi.w, gh.w, hp.w, y.w, gates.w);
    h.ref.gruForward(batch, hidden, gi.r, gh.r, hp.r, y.r, gates.r);
    // A gate error is amplified by |gh_n| ≤ range in n.
    h.expect(`gruForward.gates(${tag})`, gates, batch * G, 1e-5, 1e-6, range);
    h.expect(`gruForward.y(${tag})`, y, batch * hidden, 1e-5, 1e-6, range);
    const dy = h.random(batch * hidden, -1, 1), dhIn = h.random(batch * hidden, -1, 1);
    const dgi = h.alloc(new Array<number>(batch * G).fill(9)), dgh = h.alloc(new Array<number>(batch * G).fill(9)), dh = h.alloc(new Array<number>(batch * hidden).fill(9));
    // Backward from the reference's gates on both sides.
    for (let i = 0; i < batch * G; i++) h.be.arena.data[gates.w + i] = h.ref.arena.data[gates.r + i]!;
    h.be.gruBackward(batch, hidden, gates.w, gh.w, hp.w, dy.w, dhIn.w, dgi.w, dgh.w, dh.w);
    h.ref.gruBackward(batch, hidden, gates.r, gh.r, hp.r, dy.r, dhIn.r, dgi.r, dgh.r, dh.r);
    h.expect(`gruBackward.dgi(${tag})`, dgi, batch * G, 1e-5, 1e-6, range);
    h.expect(`gruBackward.dgh(${tag})`, dgh, batch * G, 1e-5, 1e-6, range);
    h.expect(`gruBackward.dh(${tag})`, dh, batch * hidden, 1e-5, 1e-6);
    h.free(gi, gh, hp, y, gates, dy, dhIn, dgi, dgh, dh);
  }
}

function checkAdam(h: Harness): void {
  for (const n of [1, 3, 4, 37, 1000]) {
    for (const [wd, decoupled] of [[0, false], [0.01, false], [0.05, true]] as const) {
      for (const step of [1, 7, 1000]) {
        const p = h.random(n), g = h.random(n, -0.1, 0.1), m = h.random(n, -0.01, 0.01), v = h.random(n, 0, 0.001);
        h.be.adam(n, p.w, g.w, m.w, v.w, 3e-4, 0.9, 0.999, 1e-8, wd, decoupled, step);
        h.ref.adam(n, p.r, g.r, m.r, v.r, 3e-4, 0.9, 0.999, 1e-8, wd, decoupled, step);
        const tag = `n=${n} wd=${wd} dec=${decoupled} step=${step}`;
        h.expect(`adam.p(${tag})`, p, n, 1e-6, 1e-7);
        h.expect(`adam.m(${tag})`, m, n, 1e-6, 1e-8);
        h.expect(`adam.v(${tag})`, v, n, 1e-6, 1e-12);
        h.free(p, g, m, v);
      }
    }
  }
}

function checkSimple(h: Harness): void {
  for (const n of [1, 2, 3, 4, 5, 15, 16, 17, 33, 100]) {
    // polyak
    {
      const t = h.random(n), s = h.random(n);
      h.be.polyak(n, t.w, s.w, 0.005); h.ref.polyak(n, t.r, s.r, 0.005);
      h.expect(`polyak(n=${n})`, t, n, 1e-6, 1e-7); h.free(t, s);
    }
    // axpby
    for (const beta of [0, 1, -0.7]) {
      const x = h.random(n);
      const y = h.alloc(new Array<number>(n).fill(0).map(() => (beta === 0 ? NaN : uniform(-1, 1))));
      h.be.axpby(n, 1.5, x.w, beta, y.w); h.ref.axpby(n, 1.5, x.r, beta, y.r);
      h.expect(`axpby(n=${n} beta=${beta})`, y, n, 1e-6, 1e-7); h.free(x, y);
    }
    // clamp (with NaN and infinities)
    {
      const vals = activationInputs(n);
      const x = h.alloc(vals), y = h.alloc(new Array<number>(n).fill(0));
      h.be.clamp(n, x.w, -1, 0.5, y.w); h.ref.clamp(n, x.r, -1, 0.5, y.r);
      h.expect(`clamp(n=${n})`, y, n, 0, 0);
      h.be.clamp(n, x.w, -1, 0.5, x.w); h.ref.clamp(n, x.r, -1, 0.5, x.r);
      h.expect(`clamp.alias(n=${n})`, x, n, 0, 0); h.free(x, y);
    }
    // fill
    {
      const y = h.random(n + 2);
      h.be.fill(n, y.w + 1, 0.25); h.ref.fill(n, y.r + 1, 0.25);
      h.expect(`fill(n=${n})`, y, n + 2, 0, 0); h.free(y);
    }
    // sumSquares
    {
      const x = h.random(n);
      const w = h.be.sumSquares(n, x.w), r = h.ref.sumSquares(n, x.r);
      h.checks++;
      if (!(Math.abs(w - r) <= 1e-12 * Math.abs(r) + 1e-300)) {
        h.failures++; console.log(`  FAIL sumSquares(n=${n}): wasm ${w} ref ${r}`);
      }
      h.free(x);
    }
  }
}

function checkUnary(h: Harness): void {
  const ops = Object.entries(Unary) as [string, number][];
  for (const [name, op] of ops) {
    for (const n of [1, 3, 4, 7, 64, 301]) {
      let vals = activationInputs(n);
      if (name === 'log' || name === 'sqrt') vals = vals.map((v) => (Number.isNaN(v) ? v : Math.abs(v) * (rand() < 0.5 ? 1 : 1e-3)));
      const x = h.alloc(vals), y = h.alloc(new Array<number>(n).fill(0));
      h.be.unary(op as never, n, x.w, y.w); h.ref.unary(op as never, n, x.r, y.r);
      h.expect(`unary.${name}(n=${n})`, y, n, 4e-6, 1e-30);
      h.free(x, y);
    }
  }
}

function checkBinary(h: Harness): void {
  const ops = Object.entries(Binary) as [string, number][];
  const cases: [number, number, (r: number, c: number) => [number, number, number], (r: number, c: number) => [number, number, number]][] = [
    // [rows, cols, a layout, b layout]: layout = [size, rowStride, colStride]
    [3, 5, (r, c) => [r * c, c, 1], (r, c) => [r * c, c, 1]],
    [4, 17, (r, c) => [r * c, c, 1], (_r, c) => [c, 0, 1]],
    [4, 17, (r, c) => [r * c, c, 1], (r) => [r, 1, 0]],
    [5, 9, (_r, _c) => [1, 0, 0], (r, c) => [r * c, c, 1]],
    [6, 7, (r, c) => [r * c, 1, r], (r, c) => [r * (c + 2), c + 2, 1]],
    [1, 33, (_r, c) => [c, 0, 1], (_r, _c) => [1, 0, 0]],
    [33, 1, (r) => [r, 1, 0], (r) => [r, 1, 1]],
    [2, 64, (r, c) => [r * c * 2, c * 2, 2], (r, c) => [r * c, c, 1]],
  ];
  for (const [name, op] of ops) {
    for (const [rows, cols, la, lb] of cases) {
      const [na, aRs, aCs] = la(rows, cols), [nb, bRs, bCs] = lb(rows, cols);
      const a = h.random(na), b = h.random(nb);
      if (name === 'div') for (let i = 0; i < nb; i++) { h.be.arena.data[b.w + i] = Math.fround(1 + rand()); h.ref.arena.data[b.r + i] = h.be.arena.data[b.w + i]!; }
      const y = h.alloc(new Array<number>(rows * cols).fill(0));
      h.be.binary(op as never, rows, cols, a.w, aRs, aCs, b.w, bRs, bCs, y.w);
      h.ref.binary(op as never, rows, cols, a.r, aRs, aCs, b.r, bRs, bCs, y.r);
      h.expect(`binary.${name}(${rows}x${cols} a=${aRs},${aCs} b=${bRs},${bCs})`, y, rows * cols, 1e-6, 1e-7);
      h.free(a, b, y);
    }
  }
}

function checkReduce(h: Harness): void {
  for (const [name, op] of Object.entries(Reduce) as [string, number][]) {
    for (const [outer, len, inner] of [[1, 1, 1], [3, 5, 1], [2, 17, 1], [2, 64, 1], [2, 17, 7], [4, 9, 4], [3, 3, 33], [1, 256, 8], [5, 1, 3]] as const) {
      const x = h.random(outer * len * inner);
      if (name === 'max' && outer > 2) h.be.arena.data[x.w + 3] = h.ref.arena.data[x.r + 3] = NaN;
      const y = h.alloc(new Array<number>(outer * inner).fill(0));
      h.be.reduce(op as never, outer, len, inner, x.w, y.w);
      h.ref.reduce(op as never, outer, len, inner, x.r, y.r);
      h.expect(`reduce.${name}(${outer},${len},${inner})`, y, outer * inner, 1e-5, 1e-6, Math.sqrt(len) * 2);
      h.free(x, y);
    }
  }
}

function runChecks(be: Backend): boolean {
  const ref = createJsBackend('float64');
  const h = new Harness(be, ref);
  checkGemm(h);
  checkActivations(h);
  checkColSum(h);
  checkDynamic(h);
  checkGru(h);
  checkAdam(h);
  checkSimple(h);
  checkUnary(h);
  checkBinary(h);
  checkReduce(h);
  const worst = [...h.worst.entries()].map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
  console.log(`  ${h.checks} checks, ${h.failures} failures; worst error/tolerance: ${worst}`);
  return h.failures === 0;
}

// ---------------------------------------------------------------- benchmarks

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Seconds per call over `reps` timed batches of ~`batchMs` each: [median, best]. */
function timeIt(fn: () => void, reps: number, batchMs: number): [number, number] {
  // Warm up long enough for V8 to tier every kernel up from Liftoff to TurboFan.
  const warm = performance.now();
  do fn(); while (performance.now() - warm < 100);
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const ms = performance.now() - t0;
    if (ms >= batchMs) break;
    calls = ms < batchMs / 16 ? calls * 8 : Math.ceil((calls * batchMs) / Math.max(ms, 1e-3));
  }
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    times.push((performance.now() - t0) / 1000 / calls);
  }
  return [median(times), Math.min(...times)];
}

function benchGemm(be: Backend, quick: boolean): void {
  const shapes: [string, boolean, boolean, number, number, number][] = [
    // label, transA, transB, M, K, N
    ['256x256x256', false, false, 256, 256, 256],
    ['256x17x256', false, false, 256, 17, 256],
    ['256x256x1024', false, false, 256, 256, 1024],
    ['256x1024x1536', false, false, 256, 1024, 1536],
    ['dW 256x256x256 (tA)', true, false, 256, 256, 256],
    ['dx 256x256x256 (tB)', false, true, 256, 256, 256],
    ['dW 17x256x256 (tA)', true, false, 17, 256, 256],
    ['dW 1024x256x1536 (tA)', true, false, 1024, 256, 1536],
    ['dx 256x1536x1024 (tB)', false, true, 256, 1536, 1024],
    ['hyper head 256x256x578', false, false, 256, 256, 578],
    ['1x256x256 (batch-1 actor)', false, false, 1, 256, 256],
    ['256x256x1 (critic output)', false, false, 256, 256, 1],
    ['256x1x256 (tB, its dx)', false, true, 256, 1, 256],
  ];
  for (const [label, tA, tB, m, k, n] of shapes) {
    const a = be.arena.alloc(m * k), b = be.arena.alloc(k * n), c = be.arena.alloc(m * n);
    const d = be.arena.data;
    for (let i = 0; i < m * k; i++) d[a + i] = Math.random() - 0.5;
    for (let i = 0; i < k * n; i++) d[b + i] = Math.random() - 0.5;
    const lda = tA ? m : k, ldb = tB ? k : n;
    const [t, best] = timeIt(() => be.gemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n), quick ? 5 : 11, quick ? 40 : 100);
    const gf = (s: number): string => (2 * m * n * k / s / 1e9).toFixed(1).padStart(6);
    console.log(`  gemm ${label.padEnd(24)} median ${gf(t)} GFLOP/s, best ${gf(best)}  (${(t * 1e6).toFixed(1)} µs)`);
    be.arena.free(a, m * k); be.arena.free(b, k * n); be.arena.free(c, m * n);
  }
}

function benchOthers(be: Backend, quick: boolean): void {
  const reps = quick ? 5 : 11, ms = quick ? 30 : 80;
  const B = 256;
  const x = be.arena.alloc(B * 6), w = be.arena.alloc(B * 64 * 6), g = be.arena.alloc(B * 64), c = be.arena.alloc(B * 64), y = be.arena.alloc(B * 64);
  const dx = be.arena.alloc(B * 6), dw = be.arena.alloc(B * 64 * 6), dg = be.arena.alloc(B * 64), dc = be.arena.alloc(B * 64);
  const d = be.arena.data;
  for (let i = 0; i < B * 64 * 6; i++) d[w + i] = Math.random() - 0.5;
  for (let i = 0; i < B * 64; i++) { d[g + i] = 0.1; d[c + i] = 0.1; }
  for (let i = 0; i < B * 6; i++) d[x + i] = Math.random();
  const us = ([t, best]: [number, number]): string => `${(t * 1e6).toFixed(1)} µs (best ${(best * 1e6).toFixed(1)})`;
  console.log(`  dynamicForward 256x64x6 relu   ${us(timeIt(() => be.dynamicForward(B, 64, 6, x, 6, w, 384, g, 64, c, 64, Act.relu, y, 64), reps, ms))}`);
  console.log(`  dynamicBackward 256x64x6 all   ${us(timeIt(() => be.dynamicBackward(B, 64, 6, x, 6, w, 384, g, 64, y, 64, dx, 6, dw, 384, dg, 64, dc, 64), reps, ms))}`);
  console.log(`  dynamicForward 256x1x64        ${us(timeIt(() => be.dynamicForward(B, 1, 64, y, 64, w, 64, g, 1, c, 1, Act.identity, dg, 1), reps, ms))}`);
  const n = 256 * 256;
  const a = be.arena.alloc(n), bb = be.arena.alloc(n), m = be.arena.alloc(n), v = be.arena.alloc(n), bias = be.arena.alloc(256);
  be.fill(n, a, 0.5); be.fill(n, bb, 0.1); be.fill(n, m, 0); be.fill(n, v, 0); be.fill(256, bias, 0.1);
  console.log(`  biasAct 256x256 relu           ${us(timeIt(() => be.biasAct(256, 256, a, bias, Act.relu, a), reps, ms))}`);
  console.log(`  biasAct 256x256 tanh           ${us(timeIt(() => be.biasAct(256, 256, a, bias, Act.tanh, bb), reps, ms))}`);
  console.log(`  actBackward 65536 relu         ${us(timeIt(() => be.actBackward(Act.relu, n, a, bb, m), reps, ms))}`);
  console.log(`  colSum 256x256                 ${us(timeIt(() => be.colSum(256, 256, a, bias, 0), reps, ms))}`);
  console.log(`  adam 65536                     ${us(timeIt(() => be.adam(n, a, bb, m, v, 1e-3, 0.9, 0.999, 1e-8, 0, false, 3), reps, ms))}`);
  console.log(`  polyak 65536                   ${us(timeIt(() => be.polyak(n, a, bb, 0.005), reps, ms))}`);
  console.log(`  sumSquares 65536               ${us(timeIt(() => be.sumSquares(n, a), reps, ms))}`);
}

// ---------------------------------------------------------------- main

const args = new Set(process.argv.slice(2));
const doCheck = args.has('--check') || !args.has('--bench');
const doBench = args.has('--bench') || !args.has('--check');
const quick = args.has('--quick');
let ok = true;
for (const relaxed of [false, true]) {
  const be = createWasmBackend({ relaxed });
  console.log(`wasm backend: ${be.detail}`);
  if (doCheck) ok = runChecks(be) && ok;
  if (doBench) { benchGemm(be, quick); benchOthers(be, quick); }
}
if (!ok) { console.log('SELF-CHECK FAILED'); process.exitCode = 1; } else if (doCheck) console.log('self-check passed');
