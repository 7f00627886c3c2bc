/**
 * A Tensor is a shaped, contiguous, row-major window into its engine's arena.
 * It owns no memory itself: blocks belong to the scope that created them (or are
 * persistent, for parameters), so a training step cannot leak.
 */
import type { Engine } from './engine.js';

export type Shape = readonly number[];

/** The op that produced a tensor, and how to send a gradient back to its inputs. */
export interface TapeNode {
  readonly inputs: readonly Tensor[];
  /** Gradients w.r.t. each input (null where the input needs none), written with taped ops. */
  readonly backward: (dy: Tensor) => readonly (Tensor | null)[];
  readonly name: string;
}

export class Tensor {
  readonly size: number;
  /** Set on leaves the user wants gradients for, and on every op output that depends on one (while recording). */
  requiresGrad = false;
  node: TapeNode | null = null;
  /** Accumulated gradient of a persistent leaf (parameters), filled by Engine.backward. */
  grad: Tensor | null = null;
  /** True during Engine.grad for tensors on a path to a requested input: rules skip the others' gradients. */
  needsGrad = false;
  /** Scratch slot used by Engine.grad to accumulate this tensor's gradient during one backward pass. */
  pendingGrad: Tensor | null = null;

  constructor(readonly engine: Engine, readonly shape: Shape, readonly offset: number, readonly persistent = false) {
    let n = 1;
    for (const d of shape) n *= d;
    this.size = n;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A copy of the values (float64 numbers), for inspection and tests; not for hot loops. */
  toArray(): number[] {
    return this.engine.backend.arena.read(this.offset, this.size);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has ${this.size} elements (shape [${this.shape.join(', ')}]), expected 1`);
    return this.engine.backend.arena.data[this.offset]!;
  }

  toString(): string {
    return `Tensor[${this.shape.join(', ')}]${this.requiresGrad ? ' (requires grad)' : ''}`;
  }
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export const fmtShape = (s: Shape): string => `[${s.join(', ')}]`;
