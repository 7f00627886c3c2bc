/**
 * Elementwise ops and their gradients. Each rule is written with ops, so a
 * backward pass run while recording can itself be differentiated.
 */
import { Act, Binary, Reduce, Unary, type ActCode, type BinaryCode, type UnaryCode } from '../kernels.js';
import { Tensor, fmtShape, sameShape, type Shape } from '../tensor.js';
import { broadcastShape, broadcastStrides, coalesce } from './broadcast.js';
import { reshape } from './shape.js';

// ---- binary with broadcasting ------------------------------------------------

/** y = op(a, b) broadcast to `to` (default: the broadcast of both shapes). */
function binaryRaw(op: BinaryCode, a: Tensor, b: Tensor, name: string, to?: Shape): Tensor {
  const e = a.engine, be = e.backend;
  if (to === undefined && sameShape(a.shape, b.shape)) {
    const y = e.empty(a.shape);
    be.binary(op, 1, a.size, a.offset, 0, 1, b.offset, 0, 1, y.offset);
    return y;
  }
  const shape = to === undefined ? broadcastShape(a.shape, b.shape, name) : [...to];
  if (to !== undefined && !sameShape(broadcastShape(broadcastShape(a.shape, b.shape, name), to, name), to)) {
    throw new RangeError(`${name}: cannot broadcast ${fmtShape(a.shape)} to ${fmtShape(to)}`);
  }
  const y = e.empty(shape);
  const { dims, strides } = coalesce(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  const [sa, sb] = strides as [number[], number[]];
  const r = dims.length;
  if (r === 0) { be.binary(op, 1, 1, a.offset, 0, 0, b.offset, 0, 0, y.offset); return y; }
  if (r === 1) { be.binary(op, 1, dims[0]!, a.offset, 0, sa[0]!, b.offset, 0, sb[0]!, y.offset); return y; }
  // Loop over all but the last two (merged) dims.
  const rows = dims[r - 2]!, cols = dims[r - 1]!;
  const outer = dims.slice(0, r - 2);
  const idx = new Array<number>(outer.length).fill(0);
  let yo = y.offset;
  for (;;) {
    let ao = a.offset, bo = b.offset;
    for (let k = 0; k < outer.length; k++) { ao += idx[k]! * sa[k]!; bo += idx[k]! * sb[k]!; }
    be.binary(op, rows, cols, ao, sa[r - 2]!, sa[r - 1]!, bo, sb[r - 2]!, sb[r - 1]!, yo);
    yo += rows * cols;
    let k = outer.length - 1;
    while (k >= 0 && ++idx[k]! === outer[k]) idx[k--] = 0;
    if (k < 0) break;
  }
  return y;
}

export function add(a: Tensor, b: Tensor): Tensor {
  return a.engine.record(binaryRaw(Binary.add, a, b, 'add'), 'add', [a, b], (dy) => [sumTo(dy, a.shape), sumTo(dy, b.shape)]);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return a.engine.record(binaryRaw(Binary.sub, a, b, 'sub'), 'sub', [a, b], (dy) => [sumTo(dy, a.shape), b.needsGrad ? sumTo(neg(dy), b.shape) : null]);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return a.engine.record(binaryRaw(Binary.mul, a, b, 'mul'), 'mul', [a, b], (dy) => [
    a.needsGrad ? sumTo(mul(dy, b), a.shape) : null,
    b.needsGrad ? sumTo(mul(dy, a), b.shape) : null,
  ]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(Binary.div, a, b, 'div');
  return a.engine.record(y, 'div', [a, b], (dy) => [
    a.needsGrad ? sumTo(div(dy, b), a.shape) : null,
    b.needsGrad ? sumTo(neg(div(mul(dy, y), b)), b.shape) : null,
  ]);
}

/** Elementwise max; the gradient goes to a where a ≥ b, else to b. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(Binary.max, a, b, 'maximum');
  return a.engine.record(y, 'maximum', [a, b], (dy) => {
    const takeA = geMask(a, b);
    return [a.needsGrad ? sumTo(mul(dy, takeA), a.shape) : null, b.needsGrad ? sumTo(mul(dy, oneMinus(takeA)), b.shape) : null];
  });
}

/** Elementwise min; the gradient goes to a where a ≤ b, else to b. */
export function minimum(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(Binary.min, a, b, 'minimum');
  return a.engine.record(y, 'minimum', [a, b], (dy) => {
    const takeA = geMask(b, a);
    return [a.needsGrad ? sumTo(mul(dy, takeA), a.shape) : null, b.needsGrad ? sumTo(mul(dy, oneMinus(takeA)), b.shape) : null];
  });
}

/** (a − b)², the squared-error primitive. */
export function squaredDifference(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(Binary.sqdiff, a, b, 'squaredDifference');
  return a.engine.record(y, 'squaredDifference', [a, b], (dy) => {
    const d2 = scale(sub(a, b), 2);
    return [a.needsGrad ? sumTo(mul(dy, d2), a.shape) : null, b.needsGrad ? sumTo(neg(mul(dy, d2)), b.shape) : null];
  });
}

// ---- scalar affine -----------------------------------------------------------

/** alpha·x + beta (one axpby-style pass; beta via the fill+axpby pair). */
export function affine(x: Tensor, alpha: number, beta = 0): Tensor {
  const e = x.engine, be = e.backend;
  const y = e.empty(x.shape);
  if (beta === 0) be.axpby(x.size, alpha, x.offset, 0, y.offset);
  else { be.fill(y.size, y.offset, beta); be.axpby(x.size, alpha, x.offset, 1, y.offset); }
  return e.record(y, 'affine', [x], (dy) => [scale(dy, alpha)]);
}

export const scale = (x: Tensor, alpha: number): Tensor => affine(x, alpha, 0);
export const addScalar = (x: Tensor, beta: number): Tensor => affine(x, 1, beta);
export const neg = (x: Tensor): Tensor => affine(x, -1, 0);
const oneMinus = (x: Tensor): Tensor => affine(x, -1, 1);

// ---- unary -----------------------------------------------------------------

function unaryRaw(op: UnaryCode, x: Tensor): Tensor {
  const y = x.engine.empty(x.shape);
  x.engine.backend.unary(op, x.size, x.offset, y.offset);
  return y;
}

export function exp(x: Tensor): Tensor {
  const y = unaryRaw(Unary.exp, x);
  return x.engine.record(y, 'exp', [x], (dy) => [mul(dy, y)]);
}

export function log(x: Tensor): Tensor {
  return x.engine.record(unaryRaw(Unary.log, x), 'log', [x], (dy) => [div(dy, x)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryRaw(Unary.sqrt, x);
  return x.engine.record(y, 'sqrt', [x], (dy) => [div(scale(dy, 0.5), y)]);
}

export function square(x: Tensor): Tensor {
  return x.engine.record(unaryRaw(Unary.square, x), 'square', [x], (dy) => [mul(dy, scale(x, 2))]);
}

export function abs(x: Tensor): Tensor {
  return x.engine.record(unaryRaw(Unary.abs, x), 'abs', [x], (dy) => [mul(dy, sign(x))]);
}

/** x^p for a constant p (x > 0 unless p is a small integer handled exactly). */
export function pow(x: Tensor, p: number): Tensor {
  if (p === 1) return affine(x, 1, 0);
  if (p === 2) return square(x);
  if (p === 0.5) return sqrt(x);
  if (p === -1) return div(x.engine.constant(1), x);
  return exp(scale(log(x), p));
}

/** softplus(x) = log(1 + eˣ), computed without overflow; d/dx = sigmoid(x). */
export function softplus(x: Tensor): Tensor {
  return x.engine.record(unaryRaw(Unary.softplus, x), 'softplus', [x], (dy) => [mul(dy, sigmoid(x))]);
}

// ---- activations (backward from the output) -----------------------------------

/** y = act(x); the derivative is taken from y, so only the output is kept. */
export function activation(x: Tensor, act: ActCode): Tensor {
  if (act === Act.identity) return x;
  const y = x.engine.empty(x.shape);
  x.engine.backend.biasAct(1, x.size, x.offset, -1, act, y.offset);
  return x.engine.record(y, ACT_NAMES[act], [x], (dy) => [activationGrad(y, dy, act)]);
}

const ACT_NAMES: Record<ActCode, string> = { 0: 'identity', 1: 'relu', 2: 'tanh', 3: 'elu', 4: 'sigmoid' };

export const relu = (x: Tensor): Tensor => activation(x, Act.relu);
export const tanh = (x: Tensor): Tensor => activation(x, Act.tanh);
export const elu = (x: Tensor): Tensor => activation(x, Act.elu);
export const sigmoid = (x: Tensor): Tensor => activation(x, Act.sigmoid);

/**
 * dx = dy ⊙ act'(x) written through y. Its own gradient (for second order):
 * w.r.t. dy it is the same map; w.r.t. y it is dy ⊙ g ⊙ ∂act'/∂y
 * (relu: 0; tanh: −2y; sigmoid: 1 − 2y; elu: 1 where y ≤ 0).
 */
export function activationGrad(y: Tensor, dy: Tensor, act: ActCode): Tensor {
  if (act === Act.identity) return dy;
  const e = y.engine;
  const dx = e.empty(y.shape);
  e.backend.actBackward(act, y.size, y.offset, dy.offset, dx.offset);
  return e.record(dx, 'activationGrad', [y, dy], (g) => {
    let dY: Tensor | null = null;
    if (y.needsGrad && act !== Act.relu) {
      const curvature = act === Act.tanh ? scale(y, -2) : act === Act.sigmoid ? affine(y, -2, 1) : oneMinus(geMask(y, e.constant(0), true));
      dY = mul(mul(g, dy), curvature);
    }
    return [dY, dy.needsGrad ? activationGrad(y, g, act) : null];
  });
}

// ---- masks, clamp, where (non-differentiable conditions) ------------------------

/** 1 where a ≥ b (a > b when strict), else 0; broadcast like a binary op; carries no gradient. */
export function geMask(a: Tensor, b: Tensor, strict = false): Tensor {
  const e = a.engine;
  const shape = broadcastShape(a.shape, b.shape, 'geMask');
  const y = e.empty(shape);
  const sa = broadcastStrides(a.shape, shape), sb = broadcastStrides(b.shape, shape);
  const d = e.backend.arena.data;
  forEachIndex(shape, sa, sb, (i, ia, ib) => {
    const av = d[a.offset + ia]!, bv = d[b.offset + ib]!;
    d[y.offset + i] = (strict ? av > bv : av >= bv) ? 1 : 0;
  });
  return y;
}

function sign(x: Tensor): Tensor {
  const y = x.engine.empty(x.shape);
  const d = x.engine.backend.arena.data;
  for (let i = 0; i < x.size; i++) d[y.offset + i] = Math.sign(d[x.offset + i]!);
  return y;
}

/** Clamp to [lo, hi]; the gradient passes only where x is strictly inside. */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  const e = x.engine;
  const y = e.empty(x.shape);
  e.backend.clamp(x.size, x.offset, lo, hi, y.offset);
  return e.record(y, 'clamp', [x], (dy) => {
    const inside = e.empty(x.shape);
    const d = e.backend.arena.data;
    for (let i = 0; i < x.size; i++) { const v = d[x.offset + i]!; d[inside.offset + i] = v > lo && v < hi ? 1 : 0; }
    return [mul(dy, inside)];
  });
}

/**
 * cond ? a : b elementwise (cond is a 0/1 mask of the output shape; a and b broadcast).
 * Selects rather than blends, so an Inf or NaN in the branch not taken does not leak.
 */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const e = cond.engine;
  const ab = broadcastTo(a, cond.shape), bb = broadcastTo(b, cond.shape);
  const y = e.empty(cond.shape);
  const d = e.backend.arena.data;
  for (let i = 0; i < y.size; i++) d[y.offset + i] = d[cond.offset + i] !== 0 ? d[ab.offset + i]! : d[bb.offset + i]!;
  return e.record(y, 'where', [ab, bb], (dy) => [ab.needsGrad ? mul(dy, cond) : null, bb.needsGrad ? mul(dy, oneMinus(cond)) : null]);
}

/** The same values with no gradient history (targets, frozen features). */
export const stopGradient = (x: Tensor): Tensor => x.engine.view(x, x.shape);

// ---- reductions -----------------------------------------------------------------

function normAxes(shape: Shape, axes: number | readonly number[] | undefined): number[] {
  const all = shape.map((_, i) => i);
  if (axes === undefined) return all;
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((a) => (a < 0 ? a + shape.length : a));
  for (const a of list) if (!(a >= 0 && a < shape.length)) throw new RangeError(`axis ${a} out of range for shape ${fmtShape(shape)}`);
  return [...new Set(list)].sort((p, q) => p - q);
}

/** Reduce one axis of x (keeping it as size 1). */
function reduceAxis(x: Tensor, axis: number, op: 0 | 1 | 2): Tensor {
  const e = x.engine;
  const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const len = x.shape[axis]!;
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const shape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const y = e.empty(shape);
  e.backend.reduce(op, outer, len, inner, x.offset, y.offset);
  return y;
}

function reduceShape(shape: Shape, axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normAxes(x.shape, axes);
  let y = x;
  for (const a of ax) if (x.shape[a] !== 1) y = reduceAxis(y, a, Reduce.sum);
  if (y === x) y = affine(x, 1, 0); // nothing to reduce: still return a fresh tensor
  const out = x.engine.view(y, reduceShape(x.shape, ax, keepDims));
  return x.engine.record(out, 'sum', [x], (dy) => [broadcastTo(reshape(dy, reduceShape(x.shape, ax, true)), x.shape)]);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normAxes(x.shape, axes);
  const count = ax.reduce((p, a) => p * x.shape[a]!, 1);
  return scale(sum(x, ax, keepDims), 1 / count);
}

/** Max over axes; the gradient is split evenly between tied maxima. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normAxes(x.shape, axes);
  let y = x;
  for (const a of ax) if (x.shape[a] !== 1) y = reduceAxis(y, a, Reduce.max);
  if (y === x) y = affine(x, 1, 0);
  const kept = x.engine.view(y, reduceShape(x.shape, ax, true));
  const out = x.engine.view(y, reduceShape(x.shape, ax, keepDims));
  return x.engine.record(out, 'max', [x], (dy) => {
    const hit = geMask(x, kept);
    const ties = sum(hit, ax, true);
    return [mul(broadcastTo(reshape(dy, kept.shape), x.shape), div(hit, ties))];
  });
}

/** Sum a broadcast result back down to `shape` (the adjoint of broadcasting). */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = x.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.shape.length; i++) if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  return reshape(sum(x, axes, true), shape);
}

/** Repeat x along its size-1 (or missing leading) dims to `shape`. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const y = binaryRaw(Binary.add, x, x.engine.constant(0), 'broadcastTo', shape);
  return x.engine.record(y, 'broadcastTo', [x], (dy) => [sumTo(dy, x.shape)]);
}

/** Each row of x [T, …] repeated `rows` times in place: [T·rows, …] (a task's value for each of its samples). */
export function repeatRows(x: Tensor, rows: number): Tensor {
  const tasks = x.shape[0]!, rest = x.shape.slice(1);
  return reshape(broadcastTo(reshape(x, [tasks, 1, ...rest]), [tasks, rows, ...rest]), [tasks * rows, ...rest]);
}

// ---- helpers ---------------------------------------------------------------------

function forEachIndex(shape: Shape, sa: number[], sb: number[], f: (i: number, ia: number, ib: number) => void): void {
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  const n = shape.reduce((p, d) => p * d, 1);
  let ia = 0, ib = 0;
  for (let i = 0; i < n; i++) {
    f(i, ia, ib);
    for (let k = r - 1; k >= 0; k--) {
      idx[k]!++;
      ia += sa[k]!; ib += sb[k]!;
      if (idx[k]! < shape[k]!) break;
      ia -= sa[k]! * shape[k]!; ib -= sb[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
}
