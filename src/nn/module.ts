/**
 * Module: named persistent parameters plus child modules. Parameters are allocated
 * once at construction (RLtools style); forward passes only make scoped tensors.
 */
import type { Engine } from '../tensor/engine.js';
import { Tensor, fmtShape, sameShape, type Shape } from '../tensor/tensor.js';

export abstract class Module {
  private readonly ownParams = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  constructor(readonly engine: Engine) {}

  /** Declare a trainable parameter (with a .grad buffer) filled with `values`. */
  protected param(name: string, shape: Shape, values: ArrayLike<number>): Tensor {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: duplicate parameter or child '${name}'`);
    const p = this.engine.parameter(shape, values);
    this.ownParams.set(name, p);
    return p;
  }

  /** Register a child module under `name` (its parameters appear as `name.<param>`). */
  protected child<M extends Module>(name: string, m: M): M {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: duplicate parameter or child '${name}'`);
    this.children.set(name, m);
    return m;
  }

  /** Parameters with dotted names, in a stable depth-first order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.ownParams) out.push([prefix + n, p]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Copy every parameter value from a module of identical structure (target-network hard copy). */
  copyFrom(other: Module): void {
    this.zipWith(other, 'copyFrom', (mine, theirs) => this.engine.backend.axpby(mine.size, 1, theirs.offset, 0, mine.offset));
  }

  /** this ← (1 − tau)·this + tau·other, parameter by parameter (Polyak averaging of target networks). */
  softUpdateFrom(other: Module, tau: number): void {
    this.zipWith(other, 'softUpdateFrom', (mine, theirs) => this.engine.backend.polyak(mine.size, mine.offset, theirs.offset, tau));
  }

  /** Zero every parameter's accumulated gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) this.engine.backend.fill(p.size, p.grad!.offset, 0);
  }

  /** Parameter values by name (copies), e.g. for safetensors. */
  stateDict(): Record<string, { shape: number[]; data: Float32Array<ArrayBuffer> }> {
    const out: Record<string, { shape: number[]; data: Float32Array<ArrayBuffer> }> = {};
    for (const [n, p] of this.namedParameters()) out[n] = { shape: [...p.shape], data: Float32Array.from(this.engine.backend.arena.view(p.offset, p.size)) };
    return out;
  }

  /** Load values saved by stateDict; every parameter must be present with the same shape. */
  loadStateDict(state: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    const names = new Set(Object.keys(state));
    for (const [n, p] of this.namedParameters()) {
      const s = state[n];
      if (s === undefined) throw new Error(`loadStateDict: missing parameter '${n}' (${fmtShape(p.shape)})`);
      if (!sameShape(s.shape, p.shape)) throw new Error(`loadStateDict: parameter '${n}' has shape ${fmtShape(s.shape)} in the file, ${fmtShape(p.shape)} in the model`);
      this.engine.write(p, s.data);
      names.delete(n);
    }
    if (names.size > 0) throw new Error(`loadStateDict: unexpected parameters ${[...names].join(', ')}`);
  }

  private zipWith(other: Module, op: string, f: (mine: Tensor, theirs: Tensor) => void): void {
    const a = this.namedParameters(), b = other.namedParameters();
    if (a.length !== b.length) throw new Error(`${op}: modules differ (${a.length} vs ${b.length} parameters)`);
    a.forEach(([n, p], i) => {
      const [m, q] = b[i]!;
      if (n !== m || !sameShape(p.shape, q.shape)) throw new Error(`${op}: parameter '${n}' ${fmtShape(p.shape)} does not match '${m}' ${fmtShape(q.shape)}`);
      f(p, q);
    });
  }
}
