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
