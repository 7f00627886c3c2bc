/**
 * The autodiff engine: one backend, a stack of memory scopes and one tape.
 *
 * Memory. Every tensor made inside `scope(fn)` is released when fn returns, except
 * what fn returns (moved to the enclosing scope). Outside any scope only persistent
 * tensors (parameters, optimiser state, buffers) may be made, so a step cannot leak.
 * A training step asks for the same block sizes each time, so after the first step
 * every block comes from the arena's free lists: no growth, no new typed arrays.
 *
 * Gradients. While recording, each op whose inputs need gradients appends a node
 * to the tape. `grad` walks the tape backwards; the rules are written in ops, so
 * with `createGraph` the backward pass is itself recorded and can be differentiated
 * again (Hessian-vector products, MAML's gradient through an inner update).
 *
 * Tensors. A Tensor is a shaped, contiguous, row-major window into its engine's
 * arena. It owns no memory itself: blocks belong to the scope that created them (or
 * are persistent, for parameters), so a training step cannot leak. A tensor and its
 * engine refer to each other, so both classes live in this file (tensor.ts is the
 * public path of Tensor and the shape helpers); the engine imports no op: the one
 * sum it needs, accumulating gradients, is its own kernel call.
 */
import type { Backend } from './backend.js';
import { Binary } from './kernels.js';

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

// ---- engine ---------------------------------------------------------------------

interface Scope {
  blocks: number[]; // offset, size pairs
  tapeStart: number;
}

export interface GradOptions {
  /** Record the backward pass so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Seed gradient for `output` (default: ones; output must then be a scalar). */
  gradOutput?: Tensor;
  /** Return zeros instead of throwing for inputs the output does not depend on. */
  allowUnused?: boolean;
}

export class Engine {
  private readonly scopes: Scope[] = [];
  private readonly scopePool: Scope[] = [];
  private readonly tape: { node: TapeNode; out: Tensor }[] = [];
  private recordingDepth = 0; // > 0 inside noGrad
  /** Tensors given a pendingGrad during the current grad() call (reused array: no garbage per call). */
  private readonly touched: Tensor[] = [];
  private readonly constants = new Map<number, Tensor>();

  constructor(readonly backend: Backend) {}

  get recording(): boolean {
    return this.recordingDepth === 0;
  }

  // ---- memory -------------------------------------------------------------

  /** Run fn in a fresh scope: tensors made inside are released at exit, except the ones returned. */
  scope<T>(fn: () => T): T {
    const s = this.scopePool.pop() ?? { blocks: [], tapeStart: 0 };
    s.blocks.length = 0;
    s.tapeStart = this.tape.length;
    this.scopes.push(s);
    let result: T;
    try {
      result = fn();
    } finally {
      this.scopes.pop();
    }
    const kept = collectTensors(result);
    const parent = this.scopes[this.scopes.length - 1];
    const arena = this.backend.arena;
    for (let i = 0; i < s.blocks.length; i += 2) {
      const off = s.blocks[i]!, n = s.blocks[i + 1]!;
      if (kept !== null && kept.has(off) && parent !== undefined) parent.blocks.push(off, n);
      else arena.free(off, n);
    }
    // Returned tensors leave with their values but without history: their tape nodes die with the scope.
    if (kept !== null) forEachTensor(result, (t) => { t.node = null; });
    this.tape.length = s.tapeStart;
    this.scopePool.push(s);
    return result;
  }

  /** Run fn without recording (inference, target networks, the critic's primary net in the actor update). */
  noGrad<T>(fn: () => T): T {
    this.recordingDepth++;
    try {
      return fn();
    } finally {
      this.recordingDepth--;
    }
  }

  /** A new uninitialised tensor in the current scope. */
  empty(shape: Shape): Tensor {
    const s = this.scopes[this.scopes.length - 1];
    if (s === undefined) {
      throw new Error(`tensor ${fmtShape(shape)} created outside engine.scope(): wrap the step in engine.scope(() => ...) or use engine.persistent() for long-lived buffers`);
    }
    const n = Math.max(1, shapeSize(shape));
    const off = this.backend.arena.alloc(n, shape);
    s.blocks.push(off, n);
    return new Tensor(this, shape, off);
  }

  /** A long-lived tensor (parameters, optimiser state, fixed buffers), never released by a scope. */
  persistent(shape: Shape, values?: ArrayLike<number>): Tensor {
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new RangeError(`persistent: bad shape ${fmtShape(shape)}`);
    const t = new Tensor(this, shape, this.backend.arena.alloc(Math.max(1, shapeSize(shape)), shape), true);
    if (values !== undefined) this.write(t, values);
    else this.backend.fill(t.size, t.offset, 0);
    return t;
  }

  /** A cached persistent one-element tensor (broadcasts against anything). */
  constant(value: number): Tensor {
    let c = this.constants.get(value);
    if (c === undefined) this.constants.set(value, (c = this.persistent([1], [value])));
    return c;
  }

  /** Release a persistent tensor's memory. */
  release(t: Tensor): void {
    if (!t.persistent) throw new Error('release(): only persistent tensors are released by hand; scoped ones are released by their scope');
    this.backend.arena.free(t.offset, Math.max(1, t.size));
  }

  /** A tensor in the current scope holding the given values. */
  tensor(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
    const t = this.empty(shape);
    this.write(t, values);
    return t;
  }

  /** A view with another shape over the same memory (the caller guarantees equal size). */
  view(t: Tensor, shape: Shape): Tensor {
    return new Tensor(this, shape, t.offset, t.persistent);
  }

  write(t: Tensor, values: ArrayLike<number>): void {
    if (values.length !== t.size) throw new RangeError(`write: ${values.length} values for a tensor of shape ${fmtShape(t.shape)} (${t.size} elements)`);
    for (let i = 0; i < values.length; i++) {
      if (Number.isNaN(values[i]!)) throw new RangeError(`write: value ${i} is NaN`);
    }
    this.backend.arena.data.set(values, t.offset);
  }

  // ---- tape ---------------------------------------------------------------

  /** Called by ops: mark out as differentiable and record how to back-propagate into inputs. */
  record(out: Tensor, name: string, inputs: readonly Tensor[], backward: (dy: Tensor) => readonly (Tensor | null)[]): Tensor {
    if (this.recordingDepth > 0) return out;
    let needed = false;
    for (const t of inputs) if (t.requiresGrad) { needed = true; break; }
    if (!needed) return out;
    out.requiresGrad = true;
    out.node = { inputs, backward, name };
    this.tape.push({ node: out.node, out });
    return out;
  }

  /**
   * Gradients of `output` w.r.t. each of `inputs` (as new tensors in the current scope).
   * Rules run as ops: recorded when createGraph is set, plain kernel calls otherwise.
   */
  grad(output: Tensor, inputs: readonly Tensor[], opts: GradOptions = {}): Tensor[] {
    if (!output.requiresGrad) throw new Error('grad: the output does not depend on any tensor that requires grad');
    let seed = opts.gradOutput;
    if (seed === undefined) {
      if (output.size !== 1) throw new Error(`grad: output has shape ${fmtShape(output.shape)}; pass gradOutput for a non-scalar output`);
      seed = this.empty(output.shape);
      this.backend.fill(1, seed.offset, 1);
    }
    const createGraph = opts.createGraph ?? false;
    if (!createGraph) this.recordingDepth++;
    const touched = this.touched;
    touched.length = 0;
    const end = this.tape.findLastIndex((e) => e.out === output);
    // Mark what lies on a path from the requested inputs, so rules skip gradients nobody asked for
    // (e.g. the critic's weight gradients during the actor update).
    for (const x of inputs) x.needsGrad = true;
    for (let i = 0; i <= end; i++) {
      const { node, out } = this.tape[i]!;
      out.needsGrad = out.needsGrad || node.inputs.some((x) => x.needsGrad);
    }
    try {
      output.pendingGrad = seed;
      touched.push(output);
      for (let i = end; i >= 0; i--) {
        const { node, out } = this.tape[i]!;
        const dy = out.pendingGrad;
        if (dy === null) continue;
        const gs = node.backward(dy);
        for (let k = 0; k < node.inputs.length; k++) {
          const x = node.inputs[k]!, g = gs[k];
          if (g === null || g === undefined || !x.needsGrad) continue;
          if (x.pendingGrad === null) {
            x.pendingGrad = g;
            touched.push(x);
          } else {
            x.pendingGrad = this.accumulateGrad(x.pendingGrad, g, node.name);
          }
        }
      }
      return inputs.map((x) => {
        const g = x.pendingGrad;
        if (g !== null) return g;
        if (!opts.allowUnused) throw new Error(`grad: the output does not depend on input ${x}`);
        const z = this.empty(x.shape);
        this.backend.fill(z.size, z.offset, 0);
        return z;
      });
    } finally {
      if (!createGraph) this.recordingDepth--;
      for (const t of touched) t.pendingGrad = null;
      touched.length = 0;
      for (const x of inputs) x.needsGrad = false;
      for (let i = 0; i <= end; i++) this.tape[i]!.out.needsGrad = false;
    }
  }

  /**
   * Write d(loss)/d(param) into each parameter's persistent `.grad`: added to what is
   * there (PyTorch's backward()), or, with accumulate = false, replacing it, which
   * saves the separate zeroing pass when each step computes its gradients once.
   * Replacing also skips the copy: a gradient that fills a block of the current scope
   * becomes the parameter's `.grad` (a new persistent Tensor over that block; the scope
   * releases the old `.grad` block instead). For large networks the copy was a pass over
   * memory as long as Adam's (the paper hyper critic: 17M floats per update). So read
   * `p.grad` after backward, don't keep it across calls, and don't return the step's
   * gradient tensors from the scope that called backward.
   */
  backward(loss: Tensor, params: readonly Tensor[], accumulate = true): void {
    const gs = this.grad(loss, params, { allowUnused: true });
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      if (p.grad === null) throw new Error(`backward: parameter ${p} has no .grad buffer (create it with a Module or engine.parameter())`);
      if (!accumulate && this.adoptGradient(p, gs[i]!)) continue;
      this.backend.axpby(p.size, 1, gs[i]!.offset, accumulate ? 1 : 0, p.grad.offset);
    }
  }

  /**
   * Make g's block p's `.grad` by swapping it with the old `.grad` block in the current
   * scope's list (same size, so the free lists see the same sizes every step). Only for
   * a block of exactly p's size starting at g (not a window into a larger block); a
   * second parameter with the same gradient tensor finds no block and is copied.
   */
  private adoptGradient(p: Tensor, g: Tensor): boolean {
    const s = this.scopes[this.scopes.length - 1];
    if (s === undefined || g.persistent || g.size !== p.size) return false;
    const blocks = s.blocks;
    const n = Math.max(1, p.size);
    for (let j = blocks.length - 2; j >= 0; j -= 2) {
      if (blocks[j] !== g.offset) continue;
      if (blocks[j + 1] !== n) return false;
      blocks[j] = p.grad!.offset;
      p.grad = new Tensor(this, p.shape, g.offset, true);
      return true;
    }
    return false;
  }

  /**
   * a + b for two gradient contributions to one tensor. Rules return gradients of
   * their input's size, so this is one elementwise kernel call; it is recorded (its
   * own gradient passes dy to both) so that createGraph passes stay differentiable.
   */
  private accumulateGrad(a: Tensor, b: Tensor, rule: string): Tensor {
    if (a.size !== b.size) throw new Error(`grad: the '${rule}' rule returned a gradient of shape ${fmtShape(b.shape)} for an input whose gradient so far has shape ${fmtShape(a.shape)}`);
    const y = this.empty(a.shape);
    this.backend.binary(Binary.add, 1, a.size, a.offset, 0, 1, b.offset, 0, 1, y.offset);
    return this.record(y, 'add', [a, b], (dy) => [dy, dy]);
  }

  /** A persistent leaf with a persistent zeroed .grad of the same shape. */
  parameter(shape: Shape, values?: ArrayLike<number>): Tensor {
    const p = this.persistent(shape, values);
    p.requiresGrad = true;
    p.grad = this.persistent(shape);
    return p;
  }

}

function forEachTensor(v: unknown, f: (t: Tensor) => void): void {
  if (v instanceof Tensor) f(v);
  else if (Array.isArray(v)) for (const x of v) forEachTensor(x, f);
  else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) forEachTensor(x, f);
}

function collectTensors(v: unknown): Set<number> | null {
  if (v === undefined || v === null || typeof v !== 'object') return null;
  let set: Set<number> | null = null;
  forEachTensor(v, (t) => { if (!t.persistent) (set ??= new Set()).add(t.offset); });
  return set;
}
