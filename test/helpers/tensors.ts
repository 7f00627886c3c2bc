import { gatherRows } from '../../src/tensor/ops/shape.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Each row of x repeated n times in place: [r0, r0, r1, r1, …]. */
export const repeatRows = (x: Tensor, n: number): Tensor =>
  gatherRows(x, Array.from({ length: x.shape[0]! * n }, (_, i) => Math.floor(i / n)));
