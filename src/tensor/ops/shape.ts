/**
 * Shape and data-movement ops. Reshape is a view; the others copy contiguous runs
 * with TypedArray.copyWithin inside the arena (a memmove, no allocation).
 */
import { Tensor, fmtShape, shapeSize, type Shape } from '../tensor.js';

export function reshape(x: Tensor, shape: Shape): Tensor {
  const resolved = [...shape];
  const infer = resolved.indexOf(-1);
  if (infer >= 0) resolved[infer] = x.size / shapeSize(resolved.filter((_, i) => i !== infer));
  if (shapeSize(resolved) !== x.size || !resolved.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`reshape: cannot view ${fmtShape(x.shape)} (${x.size} elements) as ${fmtShape(shape)}`);
  }
  const y = x.engine.view(x, resolved);
  return x.engine.record(y, 'reshape', [x], (dy) => [reshape(dy, x.shape)]);
}

/** Split a shape at `axis` into (outer, len, inner) element counts. */
function around(shape: Shape, axis: number): [number, number, number] {
  return [shapeSize(shape.slice(0, axis)), shape[axis]!, shapeSize(shape.slice(axis + 1))];
}

function normAxis(shape: Shape, axis: number, op: string): number {
  const a = axis < 0 ? axis + shape.length : axis;
  if (!(a >= 0 && a < shape.length)) throw new RangeError(`${op}: axis ${axis} out of range for shape ${fmtShape(shape)}`);
  return a;
}

/** x[..., start:end, ...] along one axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis(x.shape, axis, 'slice');
  const len = x.shape[a]!;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= len)) {
    throw new RangeError(`slice: range [${start}, ${end}) is not inside axis ${a} of size ${len}`);
  }
  const e = x.engine;
  const [outer, , inner] = around(x.shape, a);
  const y = e.empty(x.shape.map((d, i) => (i === a ? end - start : d)));
  const d = e.backend.arena.data, run = (end - start) * inner;
  for (let o = 0; o < outer; o++) d.copyWithin(y.offset + o * run, x.offset + (o * len + start) * inner, x.offset + (o * len + start) * inner + run);
  return e.record(y, 'slice', [x], (dy) => [padSlice(dy, x.shape, a, start)]);
}

/** The adjoint of slice: dy placed at [start, start + n) of a zero tensor of `shape`. */
function padSlice(dy: Tensor, shape: Shape, axis: number, start: number): Tensor {
  const e = dy.engine;
  const y = e.empty(shape);
  e.backend.fill(y.size, y.offset, 0);
  const [outer, len, inner] = around(shape, axis);
  const n = dy.shape[axis]!, d = e.backend.arena.data, run = n * inner;
  for (let o = 0; o < outer; o++) d.copyWithin(y.offset + (o * len + start) * inner, dy.offset + o * run, dy.offset + o * run + run);
  return e.record(y, 'padSlice', [dy], (g) => [slice(g, axis, start, start + n)]);
}

/** Join tensors along an axis (all other dims equal). */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new RangeError('concat: no tensors given');
  const first = xs[0]!;
  const a = normAxis(first.shape, axis, 'concat');
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new RangeError(`concat: shape ${fmtShape(t.shape)} does not match ${fmtShape(first.shape)} outside axis ${a}`);
    }
  }
  const total = xs.reduce((s, t) => s + t.shape[a]!, 0);
  const e = first.engine;
  const y = e.empty(first.shape.map((d, i) => (i === a ? total : d)));
  const [outer, , inner] = around(first.shape, a);
  const d = e.backend.arena.data;
  let at = 0;
  for (const t of xs) {
    const run = t.shape[a]! * inner;
    for (let o = 0; o < outer; o++) d.copyWithin(y.offset + (o * total + at) * inner, t.offset + o * run, t.offset + o * run + run);
    at += t.shape[a]!;
  }
  return e.record(y, 'concat', xs, (dy) => {
    let s = 0;
    return xs.map((t) => {
      const part = t.needsGrad ? slice(dy, a, s, s + t.shape[a]!) : null;
      s += t.shape[a]!;
      return part;
    });
  });
}

/** Rows of a 2-D (or higher) tensor picked by index along axis 0. */
export function gatherRows(x: Tensor, indices: ArrayLike<number>): Tensor {
  const rows = x.shape[0]!, width = x.size / rows;
  const e = x.engine;
  const y = e.empty([indices.length, ...x.shape.slice(1)]);
  const d = e.backend.arena.data;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (!(Number.isInteger(r) && r >= 0 && r < rows)) throw new RangeError(`gatherRows: index ${r} at position ${i} is outside [0, ${rows})`);
    d.copyWithin(y.offset + i * width, x.offset + r * width, x.offset + (r + 1) * width);
  }
  return e.record(y, 'gatherRows', [x], (dy) => [scatterAddRows(dy, indices, x.shape)]);
}

/** The adjoint of gatherRows: rows of dy added into a zero tensor of `shape` at their indices. */
function scatterAddRows(dy: Tensor, indices: ArrayLike<number>, shape: Shape): Tensor {
  const e = dy.engine;
  const y = e.empty(shape);
  e.backend.fill(y.size, y.offset, 0);
  const width = y.size / shape[0]!;
  for (let i = 0; i < indices.length; i++) e.backend.axpby(width, 1, dy.offset + i * width, 1, y.offset + indices[i]! * width);
  return e.record(y, 'scatterAddRows', [dy], (g) => [gatherRows(g, indices)]);
}

/** Rows one-hot encoding the integer class indices held in x: [x.size, depth], no gradient (actions taken, labels). */
export function oneHot(x: Tensor, depth: number): Tensor {
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`oneHot: depth must be a positive integer, got ${depth}`);
  const e = x.engine;
  const y = e.empty([x.size, depth]);
  e.backend.fill(y.size, y.offset, 0);
  const d = e.backend.arena.data;
  for (let i = 0; i < x.size; i++) {
    const c = d[x.offset + i]!;
    if (!(Number.isInteger(c) && c >= 0 && c < depth)) throw new RangeError(`oneHot: index ${c} at position ${i} is outside [0, ${depth})`);
    d[y.offset + i * depth + c] = 1;
  }
  return y;
}
