/**
 * Every kernel on every backend against the float64 JS reference. Tolerances are
 * float32 forward-error bounds of the computation (γ_k = k·u for a k-term dot
 * product, a few u for an elementwise op), so a kernel that is wrong by more than
 * rounding fails, and a correct one cannot.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/tensor/backend.js';
import { Act, Binary, NONE, Reduce, Unary, type ActCode, type BinaryName, type UnaryName } from '../../src/tensor/kernels.js';
import { U32, assertClose, availableBackends, randomArray, reference, runBoth } from '../helpers/backends.js';
import { nativeInfo, setNativeIsa, type NativeIsa } from '../../src/tensor/backends/native/index.js';
import { makeRng } from '../helpers/rng.js';

const ACTS: ActCode[] = [Act.identity, Act.relu, Act.tanh, Act.elu, Act.sigmoid];
const AWKWARD = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 47, 64, 65, 100];

interface GemmCase { tA: boolean; tB: boolean; m: number; n: number; k: number; alpha: number; beta: number; pad: number }

function gemmCases(): GemmCase[] {
  const rng = makeRng(7);
  const cases: GemmCase[] = [];
  // The benchmark's shapes, the MLP backward shapes and a GRU step's h·W_hhᵀ (few rows, transposed B), then random awkward ones.
  for (const [m, k, n] of [[256, 17, 256], [256, 256, 256], [1, 256, 256], [256, 256, 1], [33, 1, 17], [16, 256, 768], [13, 33, 770]]) {
    for (const tA of [false, true]) for (const tB of [false, true]) cases.push({ tA, tB, m: m!, n: n!, k: k!, alpha: 1, beta: 0, pad: 0 });
  }
  for (let t = 0; t < 48; t++) {
    cases.push({
      tA: rng.next() < 0.5, tB: rng.next() < 0.5,
      m: rng.pick(AWKWARD), n: rng.pick(AWKWARD), k: rng.pick(AWKWARD),
      alpha: rng.pick([1, 0.75, -2]), beta: rng.pick([0, 1, -0.5]), pad: rng.pick([0, 0, 3]),
    });
  }
  return cases;
}

function checkGemm(be: Backend, ref: Backend, gc: GemmCase, seed: number): void {
  const rng = makeRng(seed);
  const { tA, tB, m, n, k, alpha, beta, pad } = gc;
  const [aRows, aCols] = tA ? [k, m] : [m, k];
  const [bRows, bCols] = tB ? [n, k] : [k, n];
  const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
  const inputs = {
    a: randomArray(rng, aRows * lda), b: randomArray(rng, bRows * ldb),
    // beta = 0 must not read C: NaN there would poison the result if it did.
    c: beta === 0 ? new Float64Array(m * ldc).fill(NaN) : randomArray(rng, m * ldc),
  };
  const { got, want } = runBoth(be, ref, inputs, (b, o) => b.gemm(tA, tB, m, n, k, alpha, o.a!, lda, o.b!, ldb, beta, o.c!, ldc));
  const A = Float32Array.from(inputs.a), B = Float32Array.from(inputs.b), C = Float32Array.from(inputs.c);
  const at = (i: number, p: number): number => (tA ? A[p * lda + i]! : A[i * lda + p]!);
  const bt = (p: number, j: number): number => (tB ? B[j * ldb + p]! : B[p * ldb + j]!);
  const label = `gemm tA=${tA} tB=${tB} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta} pad=${pad}`;
  assertClose(label, got.c!, want.c!, (idx) => {
    const i = Math.floor(idx / ldc), j = idx % ldc;
    if (j >= n) return beta === 0 ? Infinity : 0; // padding columns: untouched (NaN stays NaN when beta = 0)
    let absDot = 0;
    for (let p = 0; p < k; p++) absDot += Math.abs(at(i, p) * bt(p, j));
    return (k + 3) * U32 * (Math.abs(alpha) * absDot + (beta === 0 ? 0 : Math.abs(beta * C[idx]!))) + 1e-30;
  });
}

function checkDynamic(be: Backend, ref: Backend, seed: number, batch: number, out: number, inp: number, act: ActCode, pad: number): void {
  const rng = makeRng(seed);
  const ldx = inp + pad, ldw = out * inp + pad, ldg = out + pad;
  const inputs = {
    x: randomArray(rng, batch * ldx), w: randomArray(rng, batch * ldw), g: randomArray(rng, batch * ldg, -0.5, 0.5),
    c: randomArray(rng, batch * ldg), y: new Float64Array(batch * ldg),
  };
  const fwd = runBoth(be, ref, inputs, (b, o) => b.dynamicForward(batch, out, inp, o.x!, ldx, o.w!, ldw, o.g!, ldg, o.c!, ldg, act, o.y!, ldg));
  const X = Float32Array.from(inputs.x), W = Float32Array.from(inputs.w), G = Float32Array.from(inputs.g), Cc = Float32Array.from(inputs.c);
  const absU = (b: number, o: number): number => {
    let s = 0;
    for (let i = 0; i < inp; i++) s += Math.abs(W[b * ldw + o * inp + i]! * X[b * ldx + i]!);
    return s;
  };
  const tag = `batch=${batch} out=${out} in=${inp} act=${act} pad=${pad}`;
  assertClose(`dynamicForward ${tag}`, fwd.got.y!, fwd.want.y!, (idx) => {
    const b = Math.floor(idx / ldg), o = idx % ldg;
    if (o >= out) return 0;
    // Activations here are 1-Lipschitz (sigmoid 1/4), so the pre-activation bound carries over, plus the activation's own rounding.
    return (inp + 4) * U32 * (Math.abs(1 + G[b * ldg + o]!) * absU(b, o) + Math.abs(Cc[b * ldg + o]!)) + 4 * U32 * Math.abs(fwd.want.y![idx]!) + 1e-30;
  });

  const grads = {
    x: inputs.x, w: inputs.w, g: inputs.g, dy: randomArray(rng, batch * ldg),
    dx: new Float64Array(batch * ldx), dw: new Float64Array(batch * ldw), dg: new Float64Array(batch * ldg), dc: new Float64Array(batch * ldg),
  };
  const bwd = runBoth(be, ref, grads, (b, o) =>
    b.dynamicBackward(batch, out, inp, o.x!, ldx, o.w!, ldw, o.g!, ldg, o.dy!, ldg, o.dx!, ldx, o.dw!, ldw, o.dg!, ldg, o.dc!, ldg));
  const DY = Float32Array.from(grads.dy);
  assertClose(`dynamicBackward dx ${tag}`, bwd.got.dx!, bwd.want.dx!, (idx) => {
    const b = Math.floor(idx / ldx), i = idx % ldx;
    if (i >= inp) return 0;
    let s = 0;
    for (let o = 0; o < out; o++) s += Math.abs(W[b * ldw + o * inp + i]! * (1 + G[b * ldg + o]!) * DY[b * ldg + o]!);
    return (out + 3) * U32 * s + 1e-30;
  });
  assertClose(`dynamicBackward dw ${tag}`, bwd.got.dw!, bwd.want.dw!, (idx) => ((idx % ldw) >= out * inp ? 0 : 3 * U32 * Math.abs(bwd.want.dw![idx]!) + 1e-30));
  assertClose(`dynamicBackward dg ${tag}`, bwd.got.dg!, bwd.want.dg!, (idx) => {
    const b = Math.floor(idx / ldg), o = idx % ldg;
    return o >= out ? 0 : (inp + 2) * U32 * Math.abs(DY[idx]!) * absU(b, o) + 1e-30;
  });
  assertClose(`dynamicBackward dc ${tag}`, bwd.got.dc!, bwd.want.dc!, () => 0);

  // Skipped gradients (NONE) must leave nothing behind and still produce dx (the actor fast path).
  const onlyDx = runBoth(be, ref, { ...grads, dw: new Float64Array(batch * ldw).fill(7) }, (b, o) =>
    b.dynamicBackward(batch, out, inp, o.x!, ldx, o.w!, ldw, o.g!, ldg, o.dy!, ldg, o.dx!, ldx, NONE, 0, NONE, 0, NONE, 0));
  assert.ok(onlyDx.got.dw!.every((v) => v === 7), `dynamicBackward ${tag}: wrote dw although it was NONE`);
  assertClose(`dynamicBackward dx-only ${tag}`, onlyDx.got.dx!, bwd.want.dx!, (idx) => Math.abs(bwd.got.dx![idx]! - bwd.want.dx![idx]!) * 1.0001 + 1e-30);
}

/**
 * The fused GRU cell forward and backward (gates [r | z | n] along 3H). Bounds: each gate is a
 * few roundings of its pre-activation sum (σ' ≤ 1/4, tanh' ≤ 1) plus the vector σ/tanh's own
 * few ulps, carried through n and h'; backward outputs are products of ≤ 6 correctly rounded
 * factors, so their error is a few u of the product of the factors' magnitudes.
 */
function checkGru(be: Backend, ref: Backend, seed: number, batch: number, hidden: number, range: number): void {
  const rng = makeRng(seed);
  const H = hidden, G = 3 * hidden;
  const inputs = {
    gi: randomArray(rng, batch * G, -range, range), gh: randomArray(rng, batch * G, -range, range), h: randomArray(rng, batch * H),
    // NaN: the kernel must write every element it owns.
    y: new Float64Array(batch * H).fill(NaN), gates: new Float64Array(batch * G).fill(NaN),
  };
  const tag = `batch=${batch} hidden=${hidden} range=±${range}`;
  const fwd = runBoth(be, ref, inputs, (b, o) => b.gruForward(batch, H, o.gi!, o.gh!, o.h!, o.y!, o.gates!));
  const GI = Float32Array.from(inputs.gi), GH = Float32Array.from(inputs.gh), Hv = Float32Array.from(inputs.h);
  const want = fwd.want;
  const at = (b: number, k: number, j: number): number => b * G + k * H + j;
  const gateTol = (b: number, j: number): [number, number, number] => {
    const tr = U32 * (Math.abs(GI[at(b, 0, j)]!) + Math.abs(GH[at(b, 0, j)]!)) + 8 * U32;
    const tz = U32 * (Math.abs(GI[at(b, 1, j)]!) + Math.abs(GH[at(b, 1, j)]!)) + 8 * U32;
    const ghn = Math.abs(GH[at(b, 2, j)]!);
    const tn = 2 * U32 * (Math.abs(GI[at(b, 2, j)]!) + ghn) + ghn * tr + 8 * U32;
    return [tr, tz, tn];
  };
  assertClose(`gruForward gates ${tag}`, fwd.got.gates!, want.gates!, (idx) => {
    const b = Math.floor(idx / G), k = Math.floor((idx % G) / H), j = idx % H;
    return 2 * gateTol(b, j)[k]!;
  });
  assertClose(`gruForward y ${tag}`, fwd.got.y!, want.y!, (idx) => {
    const b = Math.floor(idx / H), j = idx % H;
    const [, tz, tn] = gateTol(b, j);
    const n = want.gates![at(b, 2, j)]!, z = want.gates![at(b, 1, j)]!, hv = Hv[idx]!;
    return 2 * (tn * (1 + z) + Math.abs(hv - n) * tz + 3 * U32 * (Math.abs(n) + Math.abs(hv)));
  });
  // Inference form (no gates saved) and y written over h give the same h'.
  const inPlace = runBoth(be, ref, { gi: inputs.gi, gh: inputs.gh, h: inputs.h }, (b, o) => b.gruForward(batch, H, o.gi!, o.gh!, o.h!, o.h!, NONE));
  assertClose(`gruForward in place without gates ${tag}`, inPlace.got.h!, fwd.got.y!, () => 0);

  const gradIn = {
    gates: want.gates!, gh: inputs.gh, h: inputs.h, dy: randomArray(rng, batch * H), dhIn: randomArray(rng, batch * H),
    dgi: new Float64Array(batch * G).fill(NaN), dgh: new Float64Array(batch * G).fill(NaN), dh: new Float64Array(batch * H).fill(NaN),
  };
  const bwd = runBoth(be, ref, gradIn, (b, o) => b.gruBackward(batch, H, o.gates!, o.gh!, o.h!, o.dy!, o.dhIn!, o.dgi!, o.dgh!, o.dh!));
  const S = Float32Array.from(gradIn.gates), DY = Float32Array.from(gradIn.dy), DI = Float32Array.from(gradIn.dhIn);
  /** Magnitudes of the factors of each output, from the float32 inputs. */
  const factors = (b: number, j: number): { d: number; dn: number; dr: number; dz: number; z: number; r: number } => {
    const r = S[at(b, 0, j)]!, z = S[at(b, 1, j)]!, n = S[at(b, 2, j)]!;
    const d = Math.abs(DY[b * H + j]!) + Math.abs(DI[b * H + j]!);
    const dn = d * Math.abs(1 - z) * Math.abs(1 - n) * Math.abs(1 + n);
    return { d, dn, dr: dn * Math.abs(GH[at(b, 2, j)]!) * Math.abs(r * (1 - r)), dz: d * Math.abs(Hv[b * H + j]! - n) * Math.abs(z * (1 - z)), z, r };
  };
  for (const name of ['dgi', 'dgh'] as const) {
    assertClose(`gruBackward ${name} ${tag}`, bwd.got[name]!, bwd.want[name]!, (idx) => {
      const b = Math.floor(idx / G), k = Math.floor((idx % G) / H), j = idx % H;
      const f = factors(b, j);
      const mag = k === 0 ? f.dr : k === 1 ? f.dz : name === 'dgh' ? Math.abs(f.r) * f.dn : f.dn;
      return 10 * U32 * mag + 1e-30;
    });
  }
  assertClose(`gruBackward dh ${tag}`, bwd.got.dh!, bwd.want.dh!, (idx) => {
    const f = factors(Math.floor(idx / H), idx % H);
    return 3 * U32 * f.d * Math.abs(f.z) + 1e-30;
  });
  // The first step back (no carried gradient), with dh written over dy.
  const first = runBoth(be, ref, { ...gradIn, dhIn: new Float64Array(batch * H) }, (b, o) =>
    b.gruBackward(batch, H, o.gates!, o.gh!, o.h!, o.dy!, NONE, o.dgi!, o.dgh!, o.dy!));
  const zeroCarry = runBoth(be, ref, { ...gradIn, dhIn: new Float64Array(batch * H) }, (b, o) =>
    b.gruBackward(batch, H, o.gates!, o.gh!, o.h!, o.dy!, o.dhIn!, o.dgi!, o.dgh!, o.dh!));
  assertClose(`gruBackward without dhIn, in place ${tag}`, first.got.dy!, zeroCarry.got.dh!, () => 0);
  assertClose(`gruBackward without dhIn dgh ${tag}`, first.got.dgh!, zeroCarry.got.dgh!, () => 0);
}

/** Error bound of the float32 evaluation of each unary op at x (few ulps, plus cancellation where the form has it). */
function unaryTol(op: UnaryName, x: number, y: number): number {
  switch (op) {
    case 'neg': case 'abs': case 'relu': return 0;
    case 'square': case 'sqrt': return U32 * Math.abs(y);
    case 'elu': return 8 * U32 * (Math.abs(y) + 1);
    case 'log': return 8 * U32 * (Math.abs(y) + 1);
    case 'softplus': return 8 * U32 * (Math.abs(y) + Math.abs(x) + 1);
    default: return 8 * U32 * (Math.abs(y) + 1e-30);
  }
}

function binaryTol(op: BinaryName, a: number, b: number, y: number): number {
  switch (op) {
    case 'add': case 'sub': return U32 * (Math.abs(a) + Math.abs(b));
    case 'mul': case 'div': return 2 * U32 * Math.abs(y);
    case 'sqdiff': return 4 * U32 * (Math.abs(a) + Math.abs(b)) ** 2;
    default: return 0;
  }
}

const ref = reference();

/** Every backend that loads, and every native ISA variant this CPU can run (one binary carries them all). */
const native = nativeInfo();
type Target = { label: string; make: () => Backend; isa: NativeIsa | null };
const targets = availableBackends().flatMap(({ name, make }): Target[] => (name === 'native' && native.isa !== null
  ? native.isas.map((isa) => ({ label: `native (${isa})`, make, isa }))
  : [{ label: name, make, isa: null }]));

for (const { label, make, isa } of targets) {
  describe(`${label} backend`, () => {
    const be = make();
    if (isa !== null) {
      before(() => { setNativeIsa(isa); });
      after(() => { setNativeIsa(native.isa!); });
    }

    it('computes gemm for all transposes, alpha/beta and awkward sizes within the float32 dot-product bound', () => {
      gemmCases().forEach((gc, i) => checkGemm(be, ref, gc, 1000 + i));
    });

    it('computes the fused dense layer act(op(A)·op(B) + bias) on every GEMM path within the dot-product bound', () => {
      const rng = makeRng(10);
      // Packed tiles with and without edge columns (578 = 36 vectors + 2), the split and transposed-solve
      // paths, gemv (n = 1, m = 1), rank-1 (k = 1), few columns, few rows against a transposed B (row and
      // column tails), then random awkward shapes.
      const shapes: [boolean, boolean, number, number, number][] = [
        [false, false, 256, 578, 256], [true, false, 256, 578, 256], [false, true, 64, 578, 40], [false, false, 256, 256, 23],
        [false, false, 256, 1, 256], [false, false, 1, 256, 64], [false, false, 33, 17, 1], [true, false, 100, 6, 64], [false, false, 40, 5, 70],
        [false, true, 16, 768, 256], [false, true, 13, 770, 33],
      ];
      for (let t = 0; t < 16; t++) shapes.push([rng.next() < 0.5, rng.next() < 0.5, rng.pick(AWKWARD), rng.pick(AWKWARD), rng.pick(AWKWARD)]);
      shapes.forEach(([tA, tB, m, n, k], t) => {
        const act = ACTS[t % ACTS.length]!, withBias = t % 3 !== 2, pad = t % 2 === 0 ? 0 : 3, beta = t % 4 === 3 ? 1 : 0;
        const [aRows, aCols] = tA ? [k, m] : [m, k];
        const [bRows, bCols] = tB ? [n, k] : [k, n];
        const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        const inp = { a: randomArray(rng, aRows * lda), b: randomArray(rng, bRows * ldb), bias: randomArray(rng, n),
          // beta = 0 must not read C: NaN there would poison the result if it did.
          c: beta === 0 ? new Float64Array(m * ldc).fill(NaN) : randomArray(rng, m * ldc) };
        const { got, want } = runBoth(be, ref, inp, (b, o) => b.gemmBiasAct(tA, tB, m, n, k, o.a!, lda, o.b!, ldb, beta, withBias ? o.bias! : NONE, act, o.c!, ldc));
        const A = Float32Array.from(inp.a), B = Float32Array.from(inp.b), Bias = Float32Array.from(inp.bias), C = Float32Array.from(inp.c);
        const at = (i: number, p: number): number => (tA ? A[p * lda + i]! : A[i * lda + p]!);
        const bt = (p: number, j: number): number => (tB ? B[j * ldb + p]! : B[p * ldb + j]!);
        // Every activation here is 1-Lipschitz, so the pre-activation bound carries over, plus the activation's own rounding.
        assertClose(`gemmBiasAct tA=${tA} tB=${tB} m=${m} n=${n} k=${k} beta=${beta} act=${act} bias=${withBias} pad=${pad}`, got.c!, want.c!, (idx) => {
          const i = Math.floor(idx / ldc), j = idx % ldc;
          if (j >= n) return beta === 0 ? Infinity : 0; // padding columns: untouched (NaN stays NaN when beta = 0)
          let absDot = 0;
          for (let p = 0; p < k; p++) absDot += Math.abs(at(i, p) * bt(p, j));
          return (k + 5) * U32 * (absDot + (beta === 0 ? 0 : Math.abs(C[idx]!)) + (withBias ? Math.abs(Bias[j]!) : 0)) + 8 * U32 * (Math.abs(want.c![idx]!) + 1);
        });
      });
    });

    it('computes every gemmBatched member exactly as gemmBiasAct, with shared (stride 0) and per-member operands', () => {
      const rng = makeRng(12);
      // Sizes on the packed, GEMV and few-column paths; the members at strides with a gap between them.
      const cases: [boolean, boolean, number, number, number, number, boolean][] = [
        [false, false, 64, 48, 40, 2, true], [false, true, 33, 17, 9, 3, false], [true, false, 20, 1, 30, 2, false], [false, false, 7, 256, 4, 2, true],
      ];
      cases.forEach(([tA, tB, m, n, k, count, sharedA], t) => {
        const act = ACTS[t % ACTS.length]!, withBias = t !== 1, beta = t === 1 ? 1 : 0;
        const aSize = m * k + 3, bSize = k * n + 5, cSize = m * n + 2;
        const strideA = sharedA ? 0 : aSize, lda = tA ? m : k, ldb = tB ? k : n;
        const inputs = { a: randomArray(rng, (sharedA ? 1 : count) * aSize), b: randomArray(rng, count * bSize), bias: randomArray(rng, count * n), c: randomArray(rng, count * cSize) };
        const { got } = runBoth(be, ref, inputs, (b, o) => b.gemmBatched(count, tA, tB, m, n, k, o.a!, strideA, lda, o.b!, bSize, ldb,
          beta, withBias ? o.bias! : NONE, n, act, o.c!, cSize, n));
        const { got: each } = runBoth(be, ref, inputs, (b, o) => {
          for (let e = 0; e < count; e++) {
            b.gemmBiasAct(tA, tB, m, n, k, o.a! + e * strideA, lda, o.b! + e * bSize, ldb, beta, withBias ? o.bias! + e * n : NONE, act, o.c! + e * cSize, n);
          }
        });
        assert.deepEqual(got.c, each.c, `gemmBatched case ${t} (${count} members ${m}×${n}×${k}) differs from member-by-member gemmBiasAct`);
        // The gaps after each member's C are not written.
        for (let e = 0; e < count; e++) assert.deepEqual(got.c!.subarray(e * cSize + m * n, (e + 1) * cSize), Float64Array.from(Float32Array.from(inputs.c.subarray(e * cSize + m * n, (e + 1) * cSize))));
      });
    });

    it('computes the fused bias + activation and its backward for every activation', () => {
      const rng = makeRng(11);
      for (const act of ACTS) {
        for (const [rows, cols] of [[1, 1], [3, 17], [256, 64], [5, 33]] as const) {
          const inp = { x: randomArray(rng, rows * cols, -3, 3), bias: randomArray(rng, cols), y: new Float64Array(rows * cols) };
          const { got, want } = runBoth(be, ref, inp, (b, o) => b.biasAct(rows, cols, o.x!, o.bias!, act, o.y!));
          const X = Float32Array.from(inp.x), Bb = Float32Array.from(inp.bias);
          assertClose(`biasAct act=${act} ${rows}x${cols}`, got.y!, want.y!, (i) => 2 * U32 * (Math.abs(X[i]!) + Math.abs(Bb[i % cols]!)) + 8 * U32 * (Math.abs(want.y![i]!) + 1));
          // In place and without bias: y aliases x.
          const inPlace = runBoth(be, ref, { x: inp.x }, (b, o) => b.biasAct(rows, cols, o.x!, NONE, act, o.x!));
          assertClose(`biasAct in-place act=${act}`, inPlace.got.x!, inPlace.want.x!, (i) => 8 * U32 * (Math.abs(inPlace.want.x![i]!) + 1));

          const yv = want.y!;
          const bwdIn = { y: yv, dy: randomArray(rng, rows * cols), dx: new Float64Array(rows * cols) };
          const bwd = runBoth(be, ref, bwdIn, (b, o) => b.actBackward(act, rows * cols, o.y!, o.dy!, o.dx!));
          assertClose(`actBackward act=${act}`, bwd.got.dx!, bwd.want.dx!, (i) => 4 * U32 * Math.abs(bwdIn.dy[i]!) * (1 + Math.abs(yv[i]!)) ** 2 + 1e-30);
        }
      }
    });

    it('sums columns with and without accumulation', () => {
      const rng = makeRng(12);
      for (const [rows, cols, beta] of [[1, 1, 0], [256, 64, 0], [17, 33, 1], [100, 3, 0.5]] as const) {
        const inp = { x: randomArray(rng, rows * cols), out: randomArray(rng, cols) };
        const { got, want } = runBoth(be, ref, inp, (b, o) => b.colSum(rows, cols, o.x!, o.out!, beta));
        assertClose(`colSum ${rows}x${cols} beta=${beta}`, got.out!, want.out!, (j) => {
          let s = 0;
          for (let i = 0; i < rows; i++) s += Math.abs(inp.x[i * cols + j]!);
          return (rows + 2) * U32 * (s + Math.abs(beta * inp.out[j]!)) + 1e-30;
        });
      }
    });

    it('computes the dynamic (generated-weight) layer forward and backward', () => {
      let seed = 20;
      for (const [batch, out, inp] of [[256, 64, 6], [256, 1, 64], [1, 1, 1], [7, 33, 17], [3, 5, 100], [9, 16, 16]] as const) {
        for (const act of [Act.identity, Act.relu, Act.tanh]) checkDynamic(be, ref, seed++, batch, out, inp, act, 0);
        checkDynamic(be, ref, seed++, batch, out, inp, Act.relu, 5);
      }
    });

    it('computes the fused GRU cell forward and backward', () => {
      let seed = 40;
      for (const [batch, hidden] of [[1, 1], [3, 5], [16, 256], [7, 33], [2, 17], [5, 8], [4, 100], [1, 64]] as const) {
        checkGru(be, ref, seed++, batch, hidden, 3);
      }
      // Saturated gates: pre-activations far into σ's and tanh's flat tails.
      for (const [batch, hidden] of [[3, 37], [2, 20]] as const) checkGru(be, ref, seed++, batch, hidden, 60);
    });

    it('takes fused Adam steps with bias correction and both weight-decay forms', () => {
      const rng = makeRng(13);
      for (const [n, wd, decoupled, step] of [[1, 0, false, 1], [1000, 0, false, 1], [77, 0.01, false, 5], [513, 0.1, true, 1000]] as const) {
        const inp = { p: randomArray(rng, n), g: randomArray(rng, n), m: randomArray(rng, n, -0.1, 0.1), v: randomArray(rng, n, 0, 0.01) };
        const lr = 3e-4;
        const { got, want } = runBoth(be, ref, inp, (b, o) => b.adam(n, o.p!, o.g!, o.m!, o.v!, lr, 0.9, 0.999, 1e-8, wd, decoupled, step));
        const label = `adam n=${n} wd=${wd} decoupled=${decoupled} step=${step}`;
        assertClose(`${label} m`, got.m!, want.m!, (i) => 3 * U32 * (Math.abs(inp.m[i]!) + Math.abs(inp.g[i]!) + wd * Math.abs(inp.p[i]!)));
        assertClose(`${label} v`, got.v!, want.v!, (i) => 4 * U32 * (Math.abs(inp.v[i]!) + (Math.abs(inp.g[i]!) + wd * Math.abs(inp.p[i]!)) ** 2));
        // p moves by lr/bc1 · m/(√(v/bc2) + eps): 16 u of that step, rounding of p, and the step's
        // share of m's own rounding error (large relative to m where b1·m and (1−b1)·g cancel).
        const bc1 = 1 - 0.9 ** step, bc2 = 1 - 0.999 ** step;
        assertClose(`${label} p`, got.p!, want.p!, (i) => {
          const mErr = 3 * U32 * (Math.abs(inp.m[i]!) + Math.abs(inp.g[i]!) + wd * Math.abs(inp.p[i]!));
          const stepPerM = lr / bc1 / (Math.sqrt(want.v![i]! / bc2) + 1e-8);
          return 2 * U32 * Math.abs(inp.p[i]!) + 16 * U32 * Math.abs(inp.p[i]! - want.p![i]!) + stepPerM * mErr + 1e-30;
        });
      }
    });

    it('averages parameters (Polyak), scales (axpby), fills and clamps', () => {
      const rng = makeRng(14);
      for (const n of [1, 17, 1000]) {
        const pol = { t: randomArray(rng, n), s: randomArray(rng, n) };
        const p = runBoth(be, ref, pol, (b, o) => b.polyak(n, o.t!, o.s!, 0.005));
        assertClose(`polyak n=${n}`, p.got.t!, p.want.t!, (i) => 3 * U32 * (Math.abs(pol.t[i]!) + Math.abs(pol.s[i]!)));
        for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
          const ax = { x: randomArray(rng, n), y: beta === 0 ? new Float64Array(n).fill(NaN) : randomArray(rng, n) };
          const r = runBoth(be, ref, ax, (b, o) => b.axpby(n, alpha, o.x!, beta, o.y!));
          assertClose(`axpby n=${n} a=${alpha} b=${beta}`, r.got.y!, r.want.y!, (i) => 2 * U32 * (Math.abs(alpha * ax.x[i]!) + (beta === 0 ? 0 : Math.abs(beta * ax.y[i]!))));
        }
        const cl = { x: randomArray(rng, n, -3, 3), y: new Float64Array(n) };
        const c = runBoth(be, ref, cl, (b, o) => b.clamp(n, o.x!, -1, 0.5, o.y!));
        assertClose(`clamp n=${n}`, c.got.y!, c.want.y!, () => 0);
        const f = runBoth(be, ref, { y: new Float64Array(n + 2) }, (b, o) => b.fill(n, o.y! + 1, 2.5));
        assertClose(`fill n=${n}`, f.got.y!, f.want.y!, () => 0);
      }
    });

    it('evaluates every unary op', () => {
      const rng = makeRng(15);
      for (const op of Object.keys(Unary) as UnaryName[]) {
        const positive = op === 'log' || op === 'sqrt';
        for (const n of [1, 5, 300]) {
          const inp = { x: randomArray(rng, n, positive ? 0.01 : -6, 6), y: new Float64Array(n) };
          const { got, want } = runBoth(be, ref, inp, (b, o) => b.unary(Unary[op], n, o.x!, o.y!));
          assertClose(`unary ${op} n=${n}`, got.y!, want.y!, (i) => unaryTol(op, inp.x[i]!, want.y![i]!));
        }
      }
    });

    it('evaluates every binary op with same-shape, row, column and scalar broadcasting', () => {
      const rng = makeRng(16);
      for (const op of Object.keys(Binary) as BinaryName[]) {
        for (const [rows, cols] of [[1, 1], [4, 33], [64, 17]] as const) {
          // [aRs, aCs, bRs, bCs, bLength]: full, b broadcast along rows, b broadcast along columns, b scalar.
          for (const [bRs, bCs, bLen] of [[cols, 1, rows * cols], [0, 1, cols], [1, 0, rows], [0, 0, 1]] as const) {
            const inp = { a: randomArray(rng, rows * cols, -2, 2), b: randomArray(rng, bLen, 0.5, 2), y: new Float64Array(rows * cols) };
            const { got, want } = runBoth(be, ref, inp, (b, o) => b.binary(Binary[op], rows, cols, o.a!, cols, 1, o.b!, bRs, bCs, o.y!));
            assertClose(`binary ${op} ${rows}x${cols} b-strides=${bRs},${bCs}`, got.y!, want.y!, (idx) => {
              const i = Math.floor(idx / cols), j = idx % cols;
              return binaryTol(op, inp.a[idx]!, inp.b[i * bRs + j * bCs]!, want.y![idx]!) + 1e-30;
            });
          }
        }
      }
    });

    it('reduces over any axis (sum, mean, max) and accumulates squares in double', () => {
      const rng = makeRng(17);
      for (const [outer, len, inner] of [[1, 1, 1], [1, 1000, 1], [256, 6, 1], [1, 256, 64], [3, 17, 5]] as const) {
        for (const op of ['sum', 'mean', 'max'] as const) {
          const inp = { x: randomArray(rng, outer * len * inner), y: new Float64Array(outer * inner) };
          const { got, want } = runBoth(be, ref, inp, (b, o) => b.reduce(Reduce[op], outer, len, inner, o.x!, o.y!));
          assertClose(`reduce ${op} [${outer},${len},${inner}]`, got.y!, want.y!, (idx) => {
            if (op === 'max') return 0;
            const o = Math.floor(idx / inner), i = idx % inner;
            let s = 0;
            for (let k = 0; k < len; k++) s += Math.abs(inp.x[(o * len + k) * inner + i]!);
            return ((len + 2) * U32 * s) / (op === 'mean' ? len : 1) + 1e-30;
          });
        }
      }
      const xs = randomArray(rng, 4097);
      const o = be.arena.allocFrom(Float32Array.from(xs));
      const exact = Float32Array.from(xs).reduce((s, v) => s + v * v, 0);
      assert.ok(Math.abs(be.sumSquares(xs.length, o) - exact) <= 4097 * U32 * exact, 'sumSquares');
      be.arena.free(o, xs.length);
    });

    it('rejects bad arguments with an error naming the argument', () => {
      const o = be.arena.alloc(64);
      assert.throws(() => be.gemm(false, false, -1, 4, 4, 1, o, 4, o, 4, 0, o, 4), /gemm: argument 'm'/);
      assert.throws(() => be.gemm(false, false, 4, 4, 4, NaN, o, 4, o, 4, 0, o, 4), /gemm: argument 'alpha'/);
      assert.throws(() => be.gemm(false, false, 4, 4, 4, 1, o, 3, o, 4, 0, o, 4), /gemm: argument 'lda'/);
      assert.throws(() => be.gemm(false, false, 4, 4, 4, 1, be.arena.data.length - 8, 4, o, 4, 0, o, 4), /gemm: argument 'a' region/);
      assert.throws(() => be.adam(8, o, o, o, o, NaN, 0.9, 0.999, 1e-8, 0, false, 1), /adam: argument 'lr'/);
      assert.throws(() => be.adam(8, o, o, o, o, 1e-3, 1.5, 0.999, 1e-8, 0, false, 1), /adam: argument 'beta1'/);
      assert.throws(() => be.adam(8, o, o, o, o, 1e-3, 0.9, 0.999, 1e-8, 0, false, 0), /adam: argument 'step'/);
      assert.throws(() => be.polyak(8, o, o, 2), /polyak: argument 'tau'/);
      assert.throws(() => be.unary(99 as never, 8, o, o), /unary: argument 'op'/);
      assert.throws(() => be.dynamicForward(2, 3, 4, o, 2, o, 12, o, 3, o, 3, Act.relu, o, 3), /dynamicForward: argument 'ldx'/);
      assert.throws(() => be.dynamicForward(2, 3, 4, o, 4, o, 12, o, 2, o, 3, Act.relu, o, 3), /dynamicForward: argument 'ldg'/);
      be.dynamicForward(2, 3, 4, o, 4, o, 12, o, 0, o, 3, Act.relu, o + 32, 3); // ldg = 0: one gain row shared by the batch
      assert.throws(() => be.clamp(4, o, 1, -1, o), /clamp: argument 'lo'/);
      assert.throws(() => be.gruForward(2, 0, o, o, o, o, NONE), /gruForward: argument 'hidden'/);
      assert.throws(() => be.gruForward(2, 4, o, be.arena.data.length - 8, o, o, NONE), /gruForward: argument 'gh' region/);
      assert.throws(() => be.gruBackward(1, 4, o, o, o, o, -2, o, o, o), /gruBackward: argument 'dhIn'/);
      assert.throws(() => be.fill(1.5, o, 0), /fill: argument 'n'/);
      be.arena.free(o, 64);
    });
  });
}
