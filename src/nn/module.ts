/**
 * Module: named persistent parameters plus child modules. Parameters are allocated
 * once at construction (RLtools style); forward passes only make scoped tensors.
 *
 * Functional calls. `withParameters(params, fn)` runs fn with every parameter of the
 * module tree replaced by a tensor of the caller's (in `parameters()` order), which may
 * itself be a graph tensor: θ' = θ − α∇θL built with `engine.grad(…, { createGraph: true })`
 * gives a MAML inner step that the outer loss differentiates through. Modules read
 * their parameters in forward passes through `resolve(p)`, which is `p` itself outside
 * a functional call: the ordinary path costs one null check and runs the same kernels.
 */
import type { Engine } from '../tensor/engine.js';
import { Tensor, fmtShape, sameShape, type Shape } from '../tensor/tensor.js';

export abstract class Module {
  private readonly ownParams = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  /** Inside withParameters: the tensor standing in for each own parameter. */
  private substitutes: Map<Tensor, Tensor> | null = null;

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

  /**
   * The tensor to compute with for one of this module's own parameters: the parameter
   * itself, or its substitute while a `withParameters` call is running.
   */
  protected resolve(param: Tensor): Tensor {
    if (this.substitutes === null) return param;
    const s = this.substitutes.get(param);
    if (s === undefined) throw new Error(`${this.constructor.name}.resolve: ${param} is not a parameter of this module`);
    return s;
  }

  /**
   * Run fn with the parameters of this module and all its descendants replaced by
   * `params`, matched by position with `parameters()` (same count, same shapes).
   * Calls nest; the previous parameters are back in place when fn returns or throws.
   */
  withParameters<T>(params: readonly Tensor[], fn: () => T): T {
    const named = this.namedParameters();
    if (params.length !== named.length) throw new RangeError(`${this.constructor.name}.withParameters: ${params.length} tensors given for ${named.length} parameters`);
    named.forEach(([n, p], i) => {
      if (!sameShape(p.shape, params[i]!.shape)) throw new RangeError(`${this.constructor.name}.withParameters: tensor ${i} has shape ${fmtShape(params[i]!.shape)}, parameter '${n}' is ${fmtShape(p.shape)}`);
    });
    const saved = new Map<Module, Map<Tensor, Tensor> | null>();
    let next = 0;
    const assign = (m: Module): void => {
      if (saved.has(m)) throw new Error(`${this.constructor.name}.withParameters: module ${m.constructor.name} appears twice in the tree, so its parameters have two positions`);
      const map = new Map<Tensor, Tensor>();
      for (const p of m.ownParams.values()) map.set(p, params[next++]!);
      saved.set(m, m.substitutes);
      m.substitutes = map;
      for (const c of m.children.values()) assign(c);
    };
    try {
      assign(this);
      return fn();
    } finally {
      for (const [m, previous] of saved) m.substitutes = previous;
    }
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
