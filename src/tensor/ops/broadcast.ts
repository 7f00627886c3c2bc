/**
 * Broadcasting (NumPy rules) mapped onto the 2-D strided binary kernel: dimensions
 * are aligned, broadcast ones get stride 0, adjacent dimensions that stay affine for
 * every operand are merged, and anything left above two dimensions is looped in JS.
 */
import { fmtShape, type Shape } from '../tensor.js';

export function broadcastShape(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new RangeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row-major strides of `shape` seen through an output of shape `out` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = out.length - shape.length + i;
    strides[j] = shape[i] === 1 && out[j] !== 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/** Merge adjacent dims that every operand walks affinely; returns dims and per-operand strides. */
export function coalesce(dims: readonly number[], strides: readonly number[][]): { dims: number[]; strides: number[][] } {
  const d: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = d.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k]![last] === s[i]! * dims[i]!)) {
      d[last]! *= dims[i]!;
      strides.forEach((s, k) => { st[k]![last] = s[i]!; });
    } else {
      d.push(dims[i]!);
      strides.forEach((s, k) => st[k]!.push(s[i]!));
    }
  }
  return { dims: d, strides: st };
}
