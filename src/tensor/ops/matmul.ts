/** Matrix products: plain 2-D matmul with transposes, and the fused dense layer. */
import { Act, NONE, type ActCode } from '../kernels.js';
import { Tensor, fmtShape } from '../tensor.js';
import { activationGrad, sum } from './elementwise.js';

function dims2(t: Tensor, name: string, arg: string): [number, number] {
  if (t.rank !== 2) throw new RangeError(`${name}: '${arg}' must be 2-D, got shape ${fmtShape(t.shape)}`);
  return [t.shape[0]!, t.shape[1]!];
}

/** op(a)·op(b) where op transposes when the flag is set. */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const [ar, ac] = dims2(a, 'matmul', 'a');
  const [br, bc] = dims2(b, 'matmul', 'b');
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  if (k !== k2) throw new RangeError(`matmul: inner sizes differ: op(a) is ${m}×${k}, op(b) is ${k2}×${n} (shapes ${fmtShape(a.shape)}, ${fmtShape(b.shape)}, transA=${transA}, transB=${transB})`);
  const e = a.engine;
  const y = e.empty([m, n]);
  e.backend.gemm(transA, transB, m, n, k, 1, a.offset, ac, b.offset, bc, 0, y.offset, n);
  return e.record(y, 'matmul', [a, b], (dy) => [
    !a.needsGrad ? null : transA ? matmul(b, dy, transB, true) : matmul(dy, b, false, !transB),
    !b.needsGrad ? null : transB ? matmul(dy, a, true, transA) : matmul(a, dy, !transA, false),
  ]);
}

/**
 * Dense layer y = act(x·W + b) with W stored in×out: one GEMM with the bias and
 * activation fused in forward; backward is activationGrad, two GEMMs and a column sum.
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null, act: ActCode = Act.identity): Tensor {
  const [batch, inp] = dims2(x, 'linear', 'x');
  const [win, out] = dims2(w, 'linear', 'W');
  if (win !== inp) throw new RangeError(`linear: x has ${inp} features but W is ${win}×${out} (in×out)`);
  if (b !== null && b.size !== out) throw new RangeError(`linear: bias has ${b.size} elements, expected ${out}`);
  const e = x.engine;
  const y = e.empty([batch, out]);
  e.backend.gemmBiasAct(false, false, batch, out, inp, x.offset, inp, w.offset, out, 0, b === null ? NONE : b.offset, act, y.offset, out);
  const inputs = b === null ? [x, w] : [x, w, b];
  return e.record(y, 'linear', inputs, (dy) => {
    const dz = activationGrad(y, dy, act);
    return [
      x.needsGrad ? matmul(dz, w, false, true) : null,
      w.needsGrad ? matmul(x, dz, true, false) : null,
      b !== null && b.needsGrad ? sum(dz, 0) : null,
    ];
  });
}

/** An ensemble operand: [E, rows, cols] per member, or [rows, cols] shared by every member (stride 0). */
function members(t: Tensor, name: string, arg: string): { count: number | null; rows: number; cols: number; stride: number } {
  if (t.rank === 3) return { count: t.shape[0]!, rows: t.shape[1]!, cols: t.shape[2]!, stride: t.shape[1]! * t.shape[2]! };
  if (t.rank === 2) return { count: null, rows: t.shape[0]!, cols: t.shape[1]!, stride: 0 };
  throw new RangeError(`${name}: '${arg}' must be [E, rows, cols] or a shared [rows, cols], got shape ${fmtShape(t.shape)}`);
}

function memberCount(name: string, a: Tensor, ca: number | null, b: Tensor, cb: number | null): number {
  if (ca !== null && cb !== null && ca !== cb) throw new RangeError(`${name}: ensemble sizes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const count = ca ?? cb;
  if (count === null) throw new RangeError(`${name}: at least one operand must be 3-D [E, rows, cols]; use matmul for 2-D operands`);
  return count;
}

/** The gradient of a shared (2-D) operand is the sum of the members' gradients. */
const sharedGrad = (g: Tensor, operand: Tensor): Tensor => (operand.rank === 2 ? sum(g, 0) : g);

/**
 * Per-member products of an ensemble: y[e] = op(a[e])·op(b[e]), [E, m, n]. A 2-D operand is
 * shared by every member (read in place, not copied). Each member is the product matmul
 * computes; the native backend runs the members on different threads (Backend.gemmBatched).
 */
export function batchedMatmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const A = members(a, 'batchedMatmul', 'a'), B = members(b, 'batchedMatmul', 'b');
  const count = memberCount('batchedMatmul', a, A.count, b, B.count);
  const [m, k] = transA ? [A.cols, A.rows] : [A.rows, A.cols];
  const [k2, n] = transB ? [B.cols, B.rows] : [B.rows, B.cols];
  if (k !== k2) throw new RangeError(`batchedMatmul: inner sizes differ: op(a) is ${m}×${k}, op(b) is ${k2}×${n} (shapes ${fmtShape(a.shape)}, ${fmtShape(b.shape)}, transA=${transA}, transB=${transB})`);
  const e = a.engine;
  const y = e.empty([count, m, n]);
  e.backend.gemmBatched(count, transA, transB, m, n, k, a.offset, A.stride, A.cols, b.offset, B.stride, B.cols, 0, NONE, 0, Act.identity, y.offset, m * n, n);
  return e.record(y, 'batchedMatmul', [a, b], (dy) => [
    !a.needsGrad ? null : sharedGrad(transA ? batchedMatmul(b, dy, transB, true) : batchedMatmul(dy, b, false, !transB), a),
    !b.needsGrad ? null : sharedGrad(transB ? batchedMatmul(dy, a, true, transA) : batchedMatmul(a, dy, !transA, false), b),
  ]);
}

/**
 * An ensemble of dense layers y[e] = act(x[e]·W[e] + b[e]): W is [E, in, out], b [E, out] or
 * null, x [E, B, in] or one batch [B, in] fed to every member; y is [E, B, out]. Each member
 * computes exactly what `linear` computes with its weights, forward and backward; the native
 * backend runs the members on different threads with no reduction across threads.
 */
export function batchedLinear(x: Tensor, w: Tensor, b: Tensor | null, act: ActCode = Act.identity): Tensor {
  const X = members(x, 'batchedLinear', 'x');
  if (w.rank !== 3) throw new RangeError(`batchedLinear: 'W' must be [E, in, out], got shape ${fmtShape(w.shape)}`);
  const [count, win, out] = w.shape as [number, number, number];
  if (X.count !== null && X.count !== count) throw new RangeError(`batchedLinear: x has ${X.count} members, W has ${count}`);
  if (win !== X.cols) throw new RangeError(`batchedLinear: x has ${X.cols} features but each W is ${win}×${out} (in×out)`);
  if (b !== null && (b.rank !== 2 || b.shape[0] !== count || b.shape[1] !== out)) throw new RangeError(`batchedLinear: bias must be [${count}, ${out}], got ${fmtShape(b.shape)}`);
  const batch = X.rows, e = x.engine;
  const y = e.empty([count, batch, out]);
  e.backend.gemmBatched(count, false, false, batch, out, win, x.offset, X.stride, win, w.offset, win * out, out,
    0, b === null ? NONE : b.offset, out, act, y.offset, batch * out, out);
  const inputs = b === null ? [x, w] : [x, w, b];
  return e.record(y, 'batchedLinear', inputs, (dy) => {
    const dz = activationGrad(y, dy, act);
    return [
      x.needsGrad ? sharedGrad(batchedMatmul(dz, w, false, true), x) : null,
      w.needsGrad ? batchedMatmul(x, dz, true, false) : null,
      b !== null && b.needsGrad ? sum(dz, 1) : null,
    ];
  });
}
