/**
 * Developer self-check of the native backend: every kernel against the float64
 * JS reference on random and awkward shapes, for every ISA variant this CPU
 * runs, then SGEMM GFLOP/s (median of repeats) at the benchmark shapes.
 *
 *   npx tsc -p . && node dist/bench/core/native-dev.js [--check] [--bench] [--isa avx512]
 */
import { createJsBackend } from '../../src/tensor/backends/js/index.js';
import { createNativeBackend, measureFmaPeak, nativeInfo, setNativeIsa, type NativeIsa } from '../../src/tensor/backends/native/index.js';
import type { Backend } from '../../src/tensor/backend.js';
import { NONE } from '../../src/tensor/kernels.js';

const U = 2 ** -24;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Inputs = Record<string, Float64Array>;
type Offs = Record<string, number>;

let failures = 0;
let checks = 0;

function runBoth(be: Backend, ref: Backend, inputs: Inputs, call: (b: Backend, o: Offs) => void): { got: Inputs; want: Inputs } {
  const place = (b: Backend): Offs => {
    const o: Offs = {};
    for (const [k, v] of Object.entries(inputs)) o[k] = b.arena.alloc(Math.max(1, v.length));
    for (const [k, v] of Object.entries(inputs)) b.arena.data.set(Float32Array.from(v), o[k]!);
    return o;
  };
  const ob = place(be), or = place(ref);
  call(be, ob);
  call(ref, or);
  const got: Inputs = {}, want: Inputs = {};
  for (const [k, v] of Object.entries(inputs)) {
    got[k] = Float64Array.from(be.arena.view(ob[k]!, v.length));
    want[k] = Float64Array.from(ref.arena.view(or[k]!, v.length));
    be.arena.free(ob[k]!, Math.max(1, v.length));
    ref.arena.free(or[k]!, Math.max(1, v.length));
  }
  return { got, want };
}

function close(label: string, got: Float64Array, want: Float64Array, tol: (i: number) => number): void {
  checks++;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = Math.fround(want[i]!); // float32 results: a float64 reference beyond FLT_MAX is Inf
    if ((Number.isNaN(g) && Number.isNaN(w)) || g === w) continue;
    const err = Math.abs(g - w);
    if (!(err <= tol(i))) {
      failures++;
      console.log(`FAIL ${label}: [${i}] got ${g} want ${w} err ${err} tol ${tol(i)}`);
      return;
    }
  }
}

const rand = (r: () => number, n: number, lo = -1, hi = 1): Float64Array => Float64Array.from({ length: n }, () => lo + (hi - lo) * r());

function checkGemm(be: Backend, ref: Backend, r: () => number, tA: boolean, tB: boolean, m: number, n: number, k: number,
  alpha: number, beta: number, pad: number): void {
  const [ar, ac] = tA ? [k, m] : [m, k];
  const [br, bc] = tB ? [n, k] : [k, n];
  const lda = ac + pad, ldb = bc + pad, ldc = n + pad;
  const inputs = { a: rand(r, ar * lda), b: rand(r, br * ldb), c: beta === 0 ? new Float64Array(m * ldc).fill(NaN) : rand(r, m * ldc) };
  const { got, want } = runBoth(be, ref, inputs, (b, o) => b.gemm(tA, tB, m, n, k, alpha, o.a!, lda, o.b!, ldb, beta, o.c!, ldc));
  const A = Float32Array.from(inputs.a), B = Float32Array.from(inputs.b), C = Float32Array.from(inputs.c);
  close(`gemm tA=${tA} tB=${tB} m=${m} n=${n} k=${k} a=${alpha} b=${beta} pad=${pad}`, got.c!, want.c!, (idx) => {
    const i = Math.floor(idx / ldc), j = idx % ldc;
    if (j >= n) return beta === 0 ? Infinity : 0;
    let s = 0;
    for (let p = 0; p < k; p++) s += Math.abs((tA ? A[p * lda + i]! : A[i * lda + p]!) * (tB ? B[j * ldb + p]! : B[p * ldb + j]!));
    return (k + 3) * U * (Math.abs(alpha) * s + (beta === 0 ? 0 : Math.abs(beta * C[idx]!))) + 1e-30;
  });
}

function checkAll(be: Backend, ref: Backend): void {
  const r = rng(1);
  const odd = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 47, 64, 65, 100];
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  for (const [m, k, n] of [[256, 17, 256], [256, 256, 256], [1, 256, 256], [256, 256, 1], [33, 1, 17], [1, 1, 1], [300, 600, 70], [17, 256, 256], [256, 64, 6]]) {
    for (const tA of [false, true]) for (const tB of [false, true]) checkGemm(be, ref, r, tA, tB, m!, n!, k!, 1, 0, 0);
  }
  for (let t = 0; t < 150; t++) {
    checkGemm(be, ref, r, r() < 0.5, r() < 0.5, pick(odd), pick(odd), pick(odd), pick([1, 0.75, -2]), pick([0, 1, -0.5]), pick([0, 0, 3]));
  }
  // Non-square big K with several k-blocks and beta.
  checkGemm(be, ref, r, false, true, 40, 50, 700, 1.5, 0.5, 1);
  checkGemm(be, ref, r, true, false, 1, 1500, 300, 1, 1, 0);
  checkGemm(be, ref, r, true, true, 1, 37, 300, 1, 0, 2);
  checkGemm(be, ref, r, true, true, 37, 1, 300, 1, 0.5, 2);
  checkGemm(be, ref, r, false, false, 37, 1, 300, 2, 0.5, 2);

  for (const act of [0, 1, 2, 3, 4] as const) {
    for (const [rows, cols] of [[1, 1], [3, 17], [256, 64], [5, 33], [2, 100]] as const) {
      const inp = { x: rand(r, rows * cols, -3, 3), bias: rand(r, cols), y: new Float64Array(rows * cols) };
      const res = runBoth(be, ref, inp, (b, o) => b.biasAct(rows, cols, o.x!, o.bias!, act, o.y!));
      close(`biasAct ${act} ${rows}x${cols}`, res.got.y!, res.want.y!, (i) => 2 * U * (Math.abs(inp.x[i]!) + 1) + 8 * U * (Math.abs(res.want.y![i]!) + 1));
      const ip = runBoth(be, ref, { x: inp.x }, (b, o) => b.biasAct(rows, cols, o.x!, NONE, act, o.x!));
      close(`biasAct in-place ${act}`, ip.got.x!, ip.want.x!, (i) => 8 * U * (Math.abs(ip.want.x![i]!) + 1));
      const bw = { y: res.want.y!, dy: rand(r, rows * cols), dx: new Float64Array(rows * cols) };
      const rb = runBoth(be, ref, bw, (b, o) => b.actBackward(act, rows * cols, o.y!, o.dy!, o.dx!));
      close(`actBackward ${act}`, rb.got.dx!, rb.want.dx!, (i) => 4 * U * Math.abs(bw.dy[i]!) * (1 + Math.abs(bw.y[i]!)) ** 2 + 1e-30);
      const rip = runBoth(be, ref, { y: bw.y, dy: bw.dy }, (b, o) => b.actBackward(act, rows * cols, o.y!, o.dy!, o.dy!));
      close(`actBackward in-place ${act}`, rip.got.dy!, rip.want.dy!, (i) => 4 * U * Math.abs(bw.dy[i]!) * (1 + Math.abs(bw.y[i]!)) ** 2 + 1e-30);
    }
  }
  for (const [rows, cols, beta] of [[1, 1, 0], [256, 64, 0], [17, 33, 1], [100, 3, 0.5], [256, 256, 0], [7, 130, 1]] as const) {
    const inp = { x: rand(r, rows * cols), out: rand(r, cols) };
    const res = runBoth(be, ref, inp, (b, o) => b.colSum(rows, cols, o.x!, o.out!, beta));
    close(`colSum ${rows}x${cols} ${beta}`, res.got.out!, res.want.out!, () => (rows + 2) * U * (rows + 1));
  }
  for (const [batch, out, inp] of [[256, 64, 6], [256, 1, 64], [1, 1, 1], [7, 33, 17], [3, 5, 100], [9, 16, 16], [4, 20, 9], [5, 3, 31], [3, 17, 2], [5, 33, 7], [2, 40, 8], [6, 15, 3], [3, 19, 5], [4, 9, 4], [2, 70, 1], [3, 16, 6], [2, 48, 6]] as const) {
    for (const act of [0, 1, 2, 4] as const) {
      for (const pad of [0, 5]) {
        const ldx = inp + pad, ldw = out * inp + pad, ldg = out + pad;
        const X = rand(r, batch * ldx), W = rand(r, batch * ldw), G = rand(r, batch * ldg, -0.5, 0.5), Cc = rand(r, batch * ldg);
        const f = runBoth(be, ref, { x: X, w: W, g: G, c: Cc, y: new Float64Array(batch * ldg) },
          (b, o) => b.dynamicForward(batch, out, inp, o.x!, ldx, o.w!, ldw, o.g!, ldg, o.c!, ldg, act, o.y!, ldg));
        close(`dynamicForward ${batch},${out},${inp} act=${act} pad=${pad}`, f.got.y!, f.want.y!, () => (inp + 4) * U * 4 * (inp + 2));
        const DY = rand(r, batch * ldg);
        const bw = runBoth(be, ref, { x: X, w: W, g: G, dy: DY, dx: new Float64Array(batch * ldx), dw: new Float64Array(batch * ldw), dg: new Float64Array(batch * ldg), dc: new Float64Array(batch * ldg) },
          (b, o) => b.dynamicBackward(batch, out, inp, o.x!, ldx, o.w!, ldw, o.g!, ldg, o.dy!, ldg, o.dx!, ldx, o.dw!, ldw, o.dg!, ldg, o.dc!, ldg));
        const tag = `${batch},${out},${inp} pad=${pad}`;
        close(`dynamicBackward dx ${tag}`, bw.got.dx!, bw.want.dx!, () => (out + 3) * U * 2 * out);
        close(`dynamicBackward dw ${tag}`, bw.got.dw!, bw.want.dw!, (i) => 3 * U * Math.abs(bw.want.dw![i]!) + 1e-30);
        close(`dynamicBackward dg ${tag}`, bw.got.dg!, bw.want.dg!, () => (inp + 2) * U * inp);
        close(`dynamicBackward dc ${tag}`, bw.got.dc!, bw.want.dc!, () => 0);
        const only = runBoth(be, ref, { x: X, w: W, g: G, dy: DY, dx: new Float64Array(batch * ldx), dw: new Float64Array(batch * ldw).fill(7) },
          (b, o) => b.dynamicBackward(batch, out, inp, o.x!, ldx, o.w!, ldw, o.g!, ldg, o.dy!, ldg, o.dx!, ldx, NONE, 0, NONE, 0, NONE, 0));
        close(`dynamicBackward dx-only ${tag}`, only.got.dx!, bw.got.dx!, () => 0);
        close(`dynamicBackward dw untouched ${tag}`, only.got.dw!, new Float64Array(batch * ldw).fill(7), () => 0);
      }
    }
  }
  for (const [batch, hidden, range] of [[1, 1, 3], [3, 5, 3], [16, 256, 3], [7, 33, 3], [4, 100, 60], [2, 17, 60]] as const) {
    const G = 3 * hidden, tag = `${batch}x${hidden} ±${range}`;
    // Loose dev bounds: a gate error δ is amplified by |gh_n| ≤ range in n.
    const tol = (): number => 8 * U * (1 + range) ** 2;
    const inp = { gi: rand(r, batch * G, -range, range), gh: rand(r, batch * G, -range, range), h: rand(r, batch * hidden), y: new Float64Array(batch * hidden), gates: new Float64Array(batch * G) };
    const f = runBoth(be, ref, inp, (b, o) => b.gruForward(batch, hidden, o.gi!, o.gh!, o.h!, o.y!, o.gates!));
    close(`gruForward gates ${tag}`, f.got.gates!, f.want.gates!, tol);
    close(`gruForward y ${tag}`, f.got.y!, f.want.y!, tol);
    const grads = { gates: f.want.gates!, gh: inp.gh, h: inp.h, dy: rand(r, batch * hidden), dhIn: rand(r, batch * hidden),
      dgi: new Float64Array(batch * G), dgh: new Float64Array(batch * G), dh: new Float64Array(batch * hidden) };
    const bw = runBoth(be, ref, grads, (b, o) => b.gruBackward(batch, hidden, o.gates!, o.gh!, o.h!, o.dy!, o.dhIn!, o.dgi!, o.dgh!, o.dh!));
    for (const k of ['dgi', 'dgh', 'dh'] as const) close(`gruBackward ${k} ${tag}`, bw.got[k]!, bw.want[k]!, tol);
  }
  for (const [n, wd, dec, step] of [[1, 0, false, 1], [1000, 0, false, 1], [77, 0.01, false, 5], [513, 0.1, true, 1000], [4099, 0.01, true, 3]] as const) {
    const inp = { p: rand(r, n), g: rand(r, n), m: rand(r, n, -0.1, 0.1), v: rand(r, n, 0, 0.01) };
    const res = runBoth(be, ref, inp, (b, o) => b.adam(n, o.p!, o.g!, o.m!, o.v!, 3e-4, 0.9, 0.999, 1e-8, wd, dec, step));
    close(`adam m ${n}`, res.got.m!, res.want.m!, (i) => 3 * U * (Math.abs(inp.m[i]!) + Math.abs(inp.g[i]!) + wd * Math.abs(inp.p[i]!)));
    close(`adam v ${n}`, res.got.v!, res.want.v!, (i) => 4 * U * (Math.abs(inp.v[i]!) + (Math.abs(inp.g[i]!) + wd * Math.abs(inp.p[i]!)) ** 2));
    close(`adam p ${n} wd=${wd} ${dec}`, res.got.p!, res.want.p!, (i) => 2 * U * Math.abs(inp.p[i]!) + 16 * U * Math.abs(inp.p[i]! - res.want.p![i]!) + 1e-30);
  }
  for (const n of [1, 17, 1000, 1023]) {
    const pol = { t: rand(r, n), s: rand(r, n) };
    const p = runBoth(be, ref, pol, (b, o) => b.polyak(n, o.t!, o.s!, 0.005));
    close(`polyak ${n}`, p.got.t!, p.want.t!, (i) => 3 * U * (Math.abs(pol.t[i]!) + Math.abs(pol.s[i]!)));
    for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
      const ax = { x: rand(r, n), y: beta === 0 ? new Float64Array(n).fill(NaN) : rand(r, n) };
      const res = runBoth(be, ref, ax, (b, o) => b.axpby(n, alpha, o.x!, beta, o.y!));
      close(`axpby ${n} ${alpha} ${beta}`, res.got.y!, res.want.y!, (i) => 2 * U * (Math.abs(alpha * ax.x[i]!) + (beta === 0 ? 0 : Math.abs(beta * ax.y[i]!))));
    }
    const cx = rand(r, n, -3, 3);
    if (n > 3) { cx[0] = NaN; cx[1] = -0; cx[2] = Infinity; }
    const c = runBoth(be, ref, { x: cx, y: new Float64Array(n) }, (b, o) => b.clamp(n, o.x!, -1, 0.5, o.y!));
    close(`clamp ${n}`, c.got.y!, c.want.y!, () => 0);
    const f = runBoth(be, ref, { y: new Float64Array(n + 2) }, (b, o) => b.fill(n, o.y! + 1, 2.5));
    close(`fill ${n}`, f.got.y!, f.want.y!, () => 0);
    const xs = rand(r, n);
    const o = be.arena.allocFrom(Float32Array.from(xs));
    const exact = Float32Array.from(xs).reduce((s, v) => s + v * v, 0);
    checks++;
    if (!(Math.abs(be.sumSquares(n, o) - exact) <= 4 * U * exact)) { failures++; console.log(`FAIL sumSquares ${n}`); }
    be.arena.free(o, n);
  }
  for (let op = 0; op <= 10; op++) {
    for (const n of [1, 5, 300, 17]) {
      const positive = op === 2 || op === 9;
      const x = rand(r, n, positive ? 0.01 : -6, 6);
      if (!positive && n > 3) { x[0] = NaN; x[1] = -0; }
      const res = runBoth(be, ref, { x, y: new Float64Array(n) }, (b, o) => b.unary(op as never, n, o.x!, o.y!));
      close(`unary ${op} ${n}`, res.got.y!, res.want.y!, (i) => 8 * U * (Math.abs(res.want.y![i]!) + (Math.abs(x[i]!) || 0) + 1));
      const ip = runBoth(be, ref, { x }, (b, o) => b.unary(op as never, n, o.x!, o.x!));
      close(`unary in-place ${op} ${n}`, ip.got.x!, ip.want.x!, (i) => 8 * U * (Math.abs(ip.want.x![i]!) + (Math.abs(x[i]!) || 0) + 1));
    }
  }
  // Transcendentals over their whole range: tiny, Taylor/exp branch edges, overflow, subnormal results, ±Inf, NaN.
  const special = [0, -0, 1e-30, 1e-10, 1e-5, 0.01, 0.3, 0.34, 0.35, 0.6249, 0.625, 0.63, 1, 2.5, 5, 9, 10, 15, 20, 50, 80, 87, 88.5, 88.7, 88.8, 89, 100, 103, 104, 110, Infinity, NaN];
  const sx = Float64Array.from([...special, ...special.map((v) => -v), ...Array.from({ length: 500 }, (_, i) => -30 + (60 * i) / 499)]);
  for (const op of [1, 3, 5, 6, 7]) {
    const res = runBoth(be, ref, { x: sx, y: new Float64Array(sx.length) }, (b, o) => b.unary(op as never, sx.length, o.x!, o.y!));
    close(`unary ${op} special values`, res.got.y!, res.want.y!, (i) => 8 * U * Math.abs(res.want.y![i]!) + (op === 5 ? 8 * U : 0) + 3e-45);
  }
  // log over positive values across the whole float range, incl. subnormals, 0, inf, and negatives (NaN).
  const lx = Float64Array.from([0, -0, -1, -Infinity, Infinity, NaN, 1, 2, 0.5, Math.SQRT2, Math.SQRT1_2, 1 + 1e-7, 1 - 1e-7, 1.4142135, 1.4142137,
    3.4e38, 1.2e-38, 1.1e-38, 1e-40, 1.4e-45, 3e-45, ...Array.from({ length: 600 }, (_, i) => Math.pow(2, -149 + (277 * i) / 599)),
    ...Array.from({ length: 400 }, (_, i) => 0.5 + (1.5 * i) / 399)]);
  const lr = runBoth(be, ref, { x: lx, y: new Float64Array(lx.length) }, (b, o) => b.unary(2 as never, lx.length, o.x!, o.y!));
  close('unary log whole range', lr.got.y!, lr.want.y!, (i) => 4 * U * Math.abs(lr.want.y![i]!) + 2 * U);
  for (const act of [2, 3, 4] as const) {
    const res = runBoth(be, ref, { x: sx, y: new Float64Array(sx.length) }, (b, o) => b.biasAct(1, sx.length, o.x!, NONE, act, o.y!));
    close(`biasAct ${act} special values`, res.got.y!, res.want.y!, (i) => 8 * U * (Math.abs(res.want.y![i]!) + 1) + 3e-45);
  }
  for (let op = 0; op <= 6; op++) {
    for (const [rows, cols] of [[1, 1], [4, 33], [64, 17], [3, 5]] as const) {
      for (const [aRs, aCs, aLen] of [[cols, 1, rows * cols], [0, 1, cols], [1, 0, rows], [0, 0, 1], [1, rows, rows * cols]] as const) {
        for (const [bRs, bCs, bLen] of [[cols, 1, rows * cols], [0, 1, cols], [1, 0, rows], [0, 0, 1], [1, rows, rows * cols]] as const) {
          const a = rand(r, aLen, -2, 2), b = rand(r, bLen, 0.5, 2);
          if (aLen > 2) { a[1] = NaN; }
          if (bLen > 3) { b[2] = NaN; }
          const res = runBoth(be, ref, { a, b, y: new Float64Array(rows * cols) }, (bk, o) => bk.binary(op as never, rows, cols, o.a!, aRs, aCs, o.b!, bRs, bCs, o.y!));
          close(`binary ${op} ${rows}x${cols} a=${aRs},${aCs} b=${bRs},${bCs}`, res.got.y!, res.want.y!, (i) => 4 * U * (Math.abs(res.want.y![i]!) + 16));
          if (aRs === cols && aCs === 1) {
            const ip = runBoth(be, ref, { a, b }, (bk, o) => bk.binary(op as never, rows, cols, o.a!, aRs, aCs, o.b!, bRs, bCs, o.a!));
            close(`binary in-place ${op} ${rows}x${cols}`, ip.got.a!, ip.want.a!, (i) => 4 * U * (Math.abs(ip.want.a![i]!) + 16));
          }
        }
      }
    }
  }
  for (const [outer, len, inner] of [[1, 1, 1], [1, 1000, 1], [256, 6, 1], [1, 256, 64], [3, 17, 5], [2, 40, 1], [2, 3, 37]] as const) {
    for (const op of [0, 1, 2] as const) {
      const x = rand(r, outer * len * inner);
      if (len > 10 && op === 2) x[5] = NaN;
      const res = runBoth(be, ref, { x, y: new Float64Array(outer * inner) }, (b, o) => b.reduce(op, outer, len, inner, o.x!, o.y!));
      close(`reduce ${op} [${outer},${len},${inner}]`, res.got.y!, res.want.y!, () => (op === 2 ? 0 : (len + 2) * U * len));
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function benchGemm(be: Backend, shapes: [boolean, boolean, number, number, number][], peak: number): void {
  for (const [tA, tB, m, k, n] of shapes) {
    const a = be.arena.alloc(m * k), b = be.arena.alloc(k * n), c = be.arena.alloc(m * n);
    const d = be.arena.data;
    for (let i = 0; i < m * k; i++) d[a + i] = Math.sin(i);
    for (let i = 0; i < k * n; i++) d[b + i] = Math.cos(i);
    const flops = 2 * m * n * k;
    const reps = Math.max(1, Math.round(2e8 / flops));
    const call = (): void => be.gemm(tA, tB, m, n, k, 1, a, tA ? m : k, b, tB ? k : n, 0, c, n);
    for (let i = 0; i < reps; i++) call();
    const samples: number[] = [];
    for (let s = 0; s < 31; s++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) call();
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      samples.push((flops * reps) / dt / 1e9);
    }
    const g = median(samples);
    console.log(`  gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} M=${m} K=${k} N=${n}: ${g.toFixed(1)} GFLOP/s (${((100 * g) / peak).toFixed(1)}% of ${peak.toFixed(0)}), best ${Math.max(...samples).toFixed(1)}`);
    be.arena.free(a, m * k); be.arena.free(b, k * n); be.arena.free(c, m * n);
  }
}

function timeUs(fn: () => void): number {
  for (let i = 0; i < 20; i++) fn();
  const samples: number[] = [];
  for (let s = 0; s < 21; s++) {
    const reps = 50;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / reps);
  }
  return median(samples);
}

/** Per-kernel times (µs, median) at the training-step workloads' sizes. */
function benchKernels(be: Backend): void {
  const B = 256, H = 256, n = 70657;
  const big = be.arena.alloc(4 * n), x = be.arena.alloc(B * 600), y = be.arena.alloc(B * 600), z = be.arena.alloc(B * 600), bias = be.arena.alloc(600);
  const d = be.arena.data;
  for (let i = 0; i < 4 * n; i++) d[big + i] = Math.sin(i) * 0.1;
  for (let i = 0; i < B * 600; i++) { d[x + i] = Math.sin(i); d[y + i] = Math.cos(i); d[z + i] = Math.sin(2 * i); }
  const v = big + 3 * n;
  for (let i = 0; i < n; i++) d[v + i] = Math.abs(d[v + i]!);
  const rows: [string, () => void][] = [
    ['biasAct relu 256x256', () => be.biasAct(B, H, x, bias, 1, x)],
    ['biasAct tanh 256x256', () => be.biasAct(B, H, x, bias, 2, y)],
    ['actBackward relu 65536', () => be.actBackward(1, B * H, x, y, y)],
    ['colSum 256x256', () => be.colSum(B, H, x, bias, 0)],
    ['colSum 256x578', () => be.colSum(B, 578, x, bias, 0)],
    ['adam 70657', () => be.adam(n, big, big + n, big + 2 * n, v, 3e-4, 0.9, 0.999, 1e-8, 0, false, 10)],
    ['polyak 70657', () => be.polyak(n, big, big + n, 0.005)],
    ['axpby 70657', () => be.axpby(n, 0.5, big, 0.5, big + n)],
    ['sumSquares 70657', () => be.sumSquares(n, big)],
    ['binary add 256x256', () => be.binary(0, B, H, x, H, 1, y, H, 1, z)],
    ['dynFwd 256,64,6 relu', () => be.dynamicForward(B, 64, 6, y, 6, x, 578, x + 448, 578, x + 384, 578, 1, z, 64)],
    ['dynFwd 256,1,64', () => be.dynamicForward(B, 1, 64, z, 64, x + 512, 578, x + 577, 578, x + 576, 578, 0, y, 1)],
    ['dynBwd 256,1,64 all', () => be.dynamicBackward(B, 1, 64, z, 64, x + 512, 578, x + 577, 578, y, 1, z + B * 64, 64, y + 512, 578, y + 577, 578, y + 576, 578)],
    ['dynBwd 256,64,6 no dx', () => be.dynamicBackward(B, 64, 6, y, 6, x, 578, x + 448, 578, z, 64, NONE, 0, y, 578, y + 448, 578, y + 384, 578)],
    ['gemm 8x8x8 (call overhead)', () => be.gemm(false, false, 8, 8, 8, 1, x, 8, y, 8, 0, z, 8)],
    ['fill 1 (call overhead)', () => be.fill(1, z, 0)],
  ];
  for (const [name, fn] of rows) console.log(`  ${name.padEnd(28)} ${timeUs(fn).toFixed(2).padStart(8)} µs`);
}

const args = process.argv.slice(2);
const doCheck = args.includes('--check') || (!args.includes('--bench') && !args.includes('--kernels'));
const doBench = args.includes('--bench') || (!args.includes('--check') && !args.includes('--kernels'));
const only = args.includes('--isa') ? (args[args.indexOf('--isa') + 1] as NativeIsa) : undefined;
const info = nativeInfo();
console.log('native:', JSON.stringify(info));
const ref = createJsBackend('float64');
const be = createNativeBackend();
for (const isa of info.isas) {
  if (only !== undefined && isa !== only) continue;
  setNativeIsa(isa);
  console.log(`== ${isa}: ${be.detail}`);
  if (doCheck) {
    const before = failures;
    const t0 = Date.now();
    checkAll(be, ref);
    console.log(`  checks: ${checks} run, ${failures - before} failed (${Date.now() - t0} ms)`);
  }
  if (args.includes('--kernels')) benchKernels(be);
  if (doBench) {
    const peak = median([measureFmaPeak(100, isa), measureFmaPeak(100, isa), measureFmaPeak(100, isa)]);
    benchGemm(be, [
      [false, false, 256, 256, 256], [false, false, 256, 17, 256], [false, false, 256, 256, 1024], [false, false, 256, 1024, 1536],
      [true, false, 256, 256, 256], [false, true, 256, 256, 256], [true, false, 17, 256, 256], [false, true, 256, 256, 17],
      [false, false, 256, 256, 1], [true, false, 256, 256, 1], [false, false, 256, 64, 6], [false, false, 256, 256, 6], [true, false, 256, 256, 6], [false, true, 256, 256, 23], [false, true, 256, 1, 256],
      [false, false, 256, 256, 600], [false, false, 64, 64, 64], [false, false, 32, 32, 32],
    ], peak);
  }
}
if (failures > 0) {
  console.log(`${failures} FAILURES`);
  process.exitCode = 1;
}
