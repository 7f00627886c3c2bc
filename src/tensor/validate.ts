/**
 * Argument checking in front of every backend. Native and WebAssembly kernels
 * trust their offsets (an out-of-range offset would corrupt memory silently), so
 * every call is checked here once, in JS, and a bad argument throws an error that
 * names the kernel and the argument. The checks are a few integer comparisons:
 * negligible next to any kernel worth calling.
 */
import type { Backend } from './backend.js';
import { Act, Binary, NONE, Reduce, Unary } from './kernels.js';

export class KernelArgumentError extends RangeError {
  override name = 'KernelArgumentError';
}

type Ctx = { kernel: string; length: number };

const fail = (c: Ctx, msg: string): never => {
  throw new KernelArgumentError(`${c.kernel}: ${msg}`);
};

function size(c: Ctx, name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min) fail(c, `argument '${name}' must be an integer ≥ ${min}, got ${v}`);
}

function finite(c: Ctx, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(c, `argument '${name}' must be a finite number, got ${v}`);
}

const validCodes = new WeakMap<Record<string, number>, ReadonlySet<number>>();

function code(c: Ctx, name: string, v: number, table: Record<string, number>): void {
  let codes = validCodes.get(table);
  if (codes === undefined) validCodes.set(table, (codes = new Set(Object.values(table))));
  if (!codes.has(v)) fail(c, `argument '${name}' is not a valid op code: ${v}`);
}

/** A strided region: `rows` rows of `cols` contiguous elements, `ld` apart. */
function region(c: Ctx, name: string, offset: number, rows: number, cols: number, ld: number): void {
  if (!Number.isInteger(offset) || offset < 0) fail(c, `argument '${name}' must be a non-negative element offset, got ${offset}`);
  if (rows === 0 || cols === 0) return;
  const end = offset + (rows - 1) * ld + cols;
  if (end > c.length) fail(c, `argument '${name}' region [${offset}, ${end}) exceeds the arena (${c.length} elements)`);
}

function optionalRegion(c: Ctx, name: string, offset: number, rows: number, cols: number, ld: number): void {
  if (offset !== NONE) region(c, name, offset, rows, cols, ld);
}

function leading(c: Ctx, name: string, ld: number, min: number, rows: number): void {
  size(c, name, ld);
  if (rows > 1 && ld < min) fail(c, `argument '${name}' (${ld}) must be ≥ ${min}`);
}

/** A read-only operand's leading dimension: ≥ min, or 0 to give every row the same values. */
function sharedOrLeading(c: Ctx, name: string, ld: number, min: number, rows: number): void {
  if (ld !== 0) leading(c, name, ld, min, rows);
}

/**
 * Checks a GRU kernel's sizes and returns the check of its operands: contiguous rows of
 * `blocks` gate blocks (3: [r | z | n] pre-activations, gates and their gradients; 1: states).
 */
function gruRows(c: Ctx, batch: number, hidden: number): (name: string, offset: number, blocks: 1 | 3, optional?: boolean) => void {
  size(c, 'batch', batch); size(c, 'hidden', hidden, 1);
  return (name, offset, blocks, optional = false) => {
    const w = blocks * hidden;
    if (optional) optionalRegion(c, name, offset, batch, w, w);
    else region(c, name, offset, batch, w, w);
  };
}

/** Wrap a backend so that every kernel call validates its arguments first. */
export function withValidation(be: Backend): Backend {
  const ctx = (kernel: string): Ctx => ({ kernel, length: be.arena.data.length });
  return {
    name: be.name, dtype: be.dtype, arena: be.arena,
    get detail(): string { return be.detail; }, // live: the native thread count can change

    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      const x = ctx('gemm');
      size(x, 'm', m, 1); size(x, 'n', n, 1); size(x, 'k', k, 1);
      finite(x, 'alpha', alpha); finite(x, 'beta', beta);
      const [aRows, aCols] = transA ? [k, m] : [m, k];
      const [bRows, bCols] = transB ? [n, k] : [k, n];
      leading(x, 'lda', lda, aCols, aRows); leading(x, 'ldb', ldb, bCols, bRows); leading(x, 'ldc', ldc, n, m);
      region(x, 'a', a, aRows, aCols, lda); region(x, 'b', b, bRows, bCols, ldb); region(x, 'c', c, m, n, ldc);
      be.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },

    gemmBiasAct(transA, transB, m, n, k, a, lda, b, ldb, beta, bias, act, c, ldc) {
      const x = ctx('gemmBiasAct');
      size(x, 'm', m, 1); size(x, 'n', n, 1); size(x, 'k', k, 1); finite(x, 'beta', beta); code(x, 'act', act, Act);
      const [aRows, aCols] = transA ? [k, m] : [m, k];
      const [bRows, bCols] = transB ? [n, k] : [k, n];
      leading(x, 'lda', lda, aCols, aRows); leading(x, 'ldb', ldb, bCols, bRows); leading(x, 'ldc', ldc, n, m);
      region(x, 'a', a, aRows, aCols, lda); region(x, 'b', b, bRows, bCols, ldb); region(x, 'c', c, m, n, ldc);
      optionalRegion(x, 'bias', bias, 1, n, n);
      be.gemmBiasAct(transA, transB, m, n, k, a, lda, b, ldb, beta, bias, act, c, ldc);
    },

    gemmBatched(count, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, beta, bias, strideBias, act, c, strideC, ldc) {
      const x = ctx('gemmBatched');
      size(x, 'count', count); size(x, 'm', m, 1); size(x, 'n', n, 1); size(x, 'k', k, 1); finite(x, 'beta', beta); code(x, 'act', act, Act);
      size(x, 'strideA', strideA); size(x, 'strideB', strideB); size(x, 'strideBias', strideBias); size(x, 'strideC', strideC);
      const [aRows, aCols] = transA ? [k, m] : [m, k];
      const [bRows, bCols] = transB ? [n, k] : [k, n];
      leading(x, 'lda', lda, aCols, aRows); leading(x, 'ldb', ldb, bCols, bRows); leading(x, 'ldc', ldc, n, m);
      // The last member lies farthest into the arena.
      const last = Math.max(0, count - 1);
      for (const e of [0, last]) {
        region(x, 'a', a + e * strideA, aRows, aCols, lda); region(x, 'b', b + e * strideB, bRows, bCols, ldb);
        region(x, 'c', c + e * strideC, m, n, ldc);
        optionalRegion(x, 'bias', bias === NONE ? NONE : bias + e * strideBias, 1, n, n);
      }
      be.gemmBatched(count, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, beta, bias, strideBias, act, c, strideC, ldc);
    },

    biasAct(rows, cols, xo, bias, act, y) {
      const x = ctx('biasAct');
      size(x, 'rows', rows); size(x, 'cols', cols); code(x, 'act', act, Act);
      region(x, 'x', xo, rows, cols, cols); optionalRegion(x, 'bias', bias, 1, cols, cols); region(x, 'y', y, rows, cols, cols);
      be.biasAct(rows, cols, xo, bias, act, y);
    },

    actBackward(act, n, y, dy, dx) {
      const x = ctx('actBackward');
      size(x, 'n', n); code(x, 'act', act, Act);
      region(x, 'y', y, 1, n, n); region(x, 'dy', dy, 1, n, n); region(x, 'dx', dx, 1, n, n);
      be.actBackward(act, n, y, dy, dx);
    },

    colSum(rows, cols, xo, out, beta) {
      const x = ctx('colSum');
      size(x, 'rows', rows); size(x, 'cols', cols); finite(x, 'beta', beta);
      region(x, 'x', xo, rows, cols, cols); region(x, 'out', out, 1, cols, cols);
      be.colSum(rows, cols, xo, out, beta);
    },

    dynamicForward(batch, out, inp, xo, ldx, w, ldw, g, ldg, c, ldc, act, y, ldy) {
      const x = ctx('dynamicForward');
      size(x, 'batch', batch); size(x, 'out', out, 1); size(x, 'in', inp, 1); code(x, 'act', act, Act);
      leading(x, 'ldx', ldx, inp, batch); leading(x, 'ldw', ldw, out * inp, batch);
      sharedOrLeading(x, 'ldg', ldg, out, batch); leading(x, 'ldc', ldc, out, batch); leading(x, 'ldy', ldy, out, batch);
      region(x, 'x', xo, batch, inp, ldx); region(x, 'w', w, batch, out * inp, ldw);
      region(x, 'g', g, batch, out, ldg); region(x, 'c', c, batch, out, ldc); region(x, 'y', y, batch, out, ldy);
      be.dynamicForward(batch, out, inp, xo, ldx, w, ldw, g, ldg, c, ldc, act, y, ldy);
    },

    dynamicBackward(batch, out, inp, xo, ldx, w, ldw, g, ldg, dy, lddy, dx, lddx, dw, lddw, dg, lddg, dc, lddc) {
      const x = ctx('dynamicBackward');
      size(x, 'batch', batch); size(x, 'out', out, 1); size(x, 'in', inp, 1);
      leading(x, 'ldx', ldx, inp, batch); leading(x, 'ldw', ldw, out * inp, batch);
      sharedOrLeading(x, 'ldg', ldg, out, batch); leading(x, 'lddy', lddy, out, batch);
      region(x, 'x', xo, batch, inp, ldx); region(x, 'w', w, batch, out * inp, ldw);
      region(x, 'g', g, batch, out, ldg); region(x, 'dy', dy, batch, out, lddy);
      if (dx !== NONE) { leading(x, 'lddx', lddx, inp, batch); region(x, 'dx', dx, batch, inp, lddx); }
      if (dw !== NONE) { leading(x, 'lddw', lddw, out * inp, batch); region(x, 'dw', dw, batch, out * inp, lddw); }
      if (dg !== NONE) { leading(x, 'lddg', lddg, out, batch); region(x, 'dg', dg, batch, out, lddg); }
      if (dc !== NONE) { leading(x, 'lddc', lddc, out, batch); region(x, 'dc', dc, batch, out, lddc); }
      be.dynamicBackward(batch, out, inp, xo, ldx, w, ldw, g, ldg, dy, lddy, dx, lddx, dw, lddw, dg, lddg, dc, lddc);
    },

    gruForward(batch, hidden, gi, gh, h, y, gates) {
      const rows = gruRows(ctx('gruForward'), batch, hidden);
      rows('gi', gi, 3); rows('gh', gh, 3); rows('h', h, 1); rows('y', y, 1); rows('gates', gates, 3, true);
      be.gruForward(batch, hidden, gi, gh, h, y, gates);
    },

    gruBackward(batch, hidden, gates, gh, h, dy, dhIn, dgi, dgh, dh) {
      const rows = gruRows(ctx('gruBackward'), batch, hidden);
      rows('gates', gates, 3); rows('gh', gh, 3); rows('h', h, 1); rows('dy', dy, 1); rows('dhIn', dhIn, 1, true);
      rows('dgi', dgi, 3); rows('dgh', dgh, 3); rows('dh', dh, 1);
      be.gruBackward(batch, hidden, gates, gh, h, dy, dhIn, dgi, dgh, dh);
    },

    adam(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      const x = ctx('adam');
      size(x, 'n', n); size(x, 'step', step, 1);
      finite(x, 'lr', lr); finite(x, 'beta1', beta1); finite(x, 'beta2', beta2); finite(x, 'eps', eps); finite(x, 'weightDecay', weightDecay);
      if (lr < 0) fail(x, `argument 'lr' must be ≥ 0, got ${lr}`);
      if (!(beta1 >= 0 && beta1 < 1)) fail(x, `argument 'beta1' must be in [0, 1), got ${beta1}`);
      if (!(beta2 >= 0 && beta2 < 1)) fail(x, `argument 'beta2' must be in [0, 1), got ${beta2}`);
      if (!(eps > 0)) fail(x, `argument 'eps' must be > 0, got ${eps}`);
      for (const [name, o] of [['p', p], ['g', g], ['m', m], ['v', v]] as const) region(x, name, o, 1, n, n);
      be.adam(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
    },

    polyak(n, target, source, tau) {
      const x = ctx('polyak');
      size(x, 'n', n); finite(x, 'tau', tau);
      if (tau < 0 || tau > 1) fail(x, `argument 'tau' must be in [0, 1], got ${tau}`);
      region(x, 'target', target, 1, n, n); region(x, 'source', source, 1, n, n);
      be.polyak(n, target, source, tau);
    },

    unary(op, n, xo, y) {
      const x = ctx('unary');
      code(x, 'op', op, Unary); size(x, 'n', n);
      region(x, 'x', xo, 1, n, n); region(x, 'y', y, 1, n, n);
      be.unary(op, n, xo, y);
    },

    binary(op, rows, cols, a, aRs, aCs, b, bRs, bCs, y) {
      const x = ctx('binary');
      code(x, 'op', op, Binary); size(x, 'rows', rows); size(x, 'cols', cols);
      for (const [name, s] of [['aRs', aRs], ['aCs', aCs], ['bRs', bRs], ['bCs', bCs]] as const) size(x, name, s);
      // Strided region end: last row start plus last column offset plus one.
      for (const [name, o, rs, cs] of [['a', a, aRs, aCs], ['b', b, bRs, bCs]] as const) {
        region(x, name, o, 1, rows === 0 || cols === 0 ? 0 : (rows - 1) * rs + (cols - 1) * cs + 1, 0);
      }
      region(x, 'y', y, rows, cols, cols);
      be.binary(op, rows, cols, a, aRs, aCs, b, bRs, bCs, y);
    },

    clamp(n, xo, lo, hi, y) {
      const x = ctx('clamp');
      size(x, 'n', n);
      if (Number.isNaN(lo)) fail(x, `argument 'lo' is NaN`);
      if (Number.isNaN(hi)) fail(x, `argument 'hi' is NaN`);
      if (lo > hi) fail(x, `argument 'lo' (${lo}) must be ≤ 'hi' (${hi})`);
      region(x, 'x', xo, 1, n, n); region(x, 'y', y, 1, n, n);
      be.clamp(n, xo, lo, hi, y);
    },

    axpby(n, alpha, xo, beta, y) {
      const x = ctx('axpby');
      size(x, 'n', n); finite(x, 'alpha', alpha); finite(x, 'beta', beta);
      region(x, 'x', xo, 1, n, n); region(x, 'y', y, 1, n, n);
      be.axpby(n, alpha, xo, beta, y);
    },

    reduce(op, outer, len, inner, xo, y) {
      const x = ctx('reduce');
      code(x, 'op', op, Reduce); size(x, 'outer', outer); size(x, 'len', len, 1); size(x, 'inner', inner);
      region(x, 'x', xo, 1, outer * len * inner, 0); region(x, 'y', y, 1, outer * inner, 0);
      be.reduce(op, outer, len, inner, xo, y);
    },

    fill(n, y, value) {
      const x = ctx('fill');
      size(x, 'n', n);
      if (typeof value !== 'number') fail(x, `argument 'value' must be a number, got ${typeof value}`);
      region(x, 'y', y, 1, n, n);
      be.fill(n, y, value);
    },

    sumSquares(n, xo) {
      const x = ctx('sumSquares');
      size(x, 'n', n); region(x, 'x', xo, 1, n, n);
      return be.sumSquares(n, xo);
    },
  };
}
