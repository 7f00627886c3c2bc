/** Optimisers over module parameters: fused Adam, and global gradient-norm clipping. */
import type { Engine } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty added to the gradient (PyTorch Adam), or decoupled shrinkage when `decoupled` (AdamW). */
  weightDecay: number;
  decoupled: boolean;
}

export const ADAM_DEFAULTS: AdamConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false };

/** Adam with bias correction: one fused kernel call per parameter tensor, state kept in the arena. */
export class Adam {
  readonly config: AdamConfig;
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  /** Number of steps taken (bias correction uses step + 1 for the next one). */
  stepCount = 0;

  constructor(readonly engine: Engine, readonly params: readonly Tensor[], config: Partial<AdamConfig> = {}) {
    this.config = { ...ADAM_DEFAULTS, ...config };
    for (const [k, v] of Object.entries(this.config)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`Adam: config '${k}' must be finite, got ${v}`);
    }
    for (const p of params) if (p.grad === null) throw new Error(`Adam: ${p} has no .grad buffer`);
    this.m = params.map((p) => engine.persistent(p.shape));
    this.v = params.map((p) => engine.persistent(p.shape));
  }

  /** Apply one update from each parameter's .grad. */
  step(): void {
    const { lr, beta1, beta2, eps, weightDecay, decoupled } = this.config;
    const t = ++this.stepCount;
    const be = this.engine.backend;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      be.adam(p.size, p.offset, p.grad!.offset, this.m[i]!.offset, this.v[i]!.offset, lr, beta1, beta2, eps, weightDecay, decoupled, t);
    }
  }

  zeroGrad(): void {
    for (const p of this.params) this.engine.backend.fill(p.size, p.grad!.offset, 0);
  }

  /** The first and second moments by parameter index, in place (for checks that read without copying). */
  moments(): { m: readonly Tensor[]; v: readonly Tensor[] } {
    return { m: this.m, v: this.v };
  }

  /** Optimiser state for checkpoints: moments by parameter index, and the step count. */
  state(): { step: number; m: Float32Array<ArrayBuffer>[]; v: Float32Array<ArrayBuffer>[] } {
    const read = (t: Tensor): Float32Array<ArrayBuffer> => Float32Array.from(this.engine.backend.arena.view(t.offset, t.size));
    return { step: this.stepCount, m: this.m.map(read), v: this.v.map(read) };
  }

  loadState(s: { step: number; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error(`Adam.loadState: state has ${s.m.length} moments, optimiser has ${this.m.length}`);
    this.m.forEach((t, i) => this.engine.write(t, s.m[i]!));
    this.v.forEach((t, i) => this.engine.write(t, s.v[i]!));
    this.stepCount = s.step;
  }
}

/** Global L2 norm of the gradients; if above maxNorm, scale them all down to it. Returns the norm before clipping. */
export function clipGradNorm(engine: Engine, params: readonly Tensor[], maxNorm: number): number {
  const be = engine.backend;
  let sq = 0;
  for (const p of params) sq += be.sumSquares(p.size, p.grad!.offset);
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) throw new Error(`clipGradNorm: gradient norm is ${norm} (a NaN or Inf gradient)`);
  if (norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of params) be.axpby(p.size, s, p.grad!.offset, 0, p.grad!.offset);
  }
  return norm;
}
