/**
 * The kernel-level backend interface. Not a tensor graph: every operand is an
 * element offset into the backend's one memory arena, with explicit sizes and
 * leading dimensions (row-major). Native and WebAssembly kernels receive only
 * numbers, so a call costs no typed-array marshalling.
 *
 * Conventions shared by all kernels:
 * - offsets and leading dimensions count elements, not bytes;
 * - an optional operand passed as NONE (-1) is absent (no bias, gradient not wanted);
 * - outputs may alias inputs only where a kernel says so.
 */
import type { Arena } from './arena.js';
import type { ActCode, BinaryCode, ReduceCode, UnaryCode } from './kernels.js';

export type BackendName = 'native' | 'wasm' | 'js';
export type DType = 'float32' | 'float64';

export interface Backend {
  readonly name: BackendName;
  readonly dtype: DType;
  /** Implementation details for `hyperrl info`: ISA variant, SIMD flavour, fallbacks. */
  readonly detail: string;
  /** All operands live here; views are re-bound when it grows. */
  readonly arena: Arena;

  /**
   * C[M×N] = alpha·op(A)·op(B) + beta·C, row-major. op(A) is M×K: A is stored
   * M×K (lda ≥ K), or K×M when transA (lda ≥ M). op(B) is K×N: B is stored K×N
   * (ldb ≥ N), or N×K when transB (ldb ≥ K). With beta = 0, C is not read.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: number, lda: number, b: number, ldb: number,
    beta: number, c: number, ldc: number): void;

  /**
   * C[M×N] = act(op(A)·op(B) + beta·C + bias), a dense layer's forward in one call (native:
   * the bias and activation are applied to each tile as it is stored); bias may be NONE;
   * beta = 1 adds the products of earlier input blocks (beta = 0: C is not read).
   */
  gemmBiasAct(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: number, lda: number, b: number, ldb: number, beta: number, bias: number, act: ActCode, c: number, ldc: number): void;

  /**
   * `count` independent gemmBiasAct calls (an ensemble of dense layers, e.g. the twin
   * critics): member e reads a + e·strideA, b + e·strideB, bias + e·strideBias (bias may be
   * NONE) and writes c + e·strideC. A stride of 0 gives every member the same operand (a
   * shared input). Each member's C equals what gemmBiasAct computes for it; the native
   * backend runs whole members on different threads.
   */
  gemmBatched(count: number, transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: number, strideA: number, lda: number, b: number, strideB: number, ldb: number,
    beta: number, bias: number, strideBias: number, act: ActCode, c: number, strideC: number, ldc: number): void;

  /** y[i,j] = act(x[i,j] + bias[j]) over a rows×cols contiguous block; bias may be NONE; y may alias x. */
  biasAct(rows: number, cols: number, x: number, bias: number, act: ActCode, y: number): void;

  /** dx = dy ⊙ act'(·), the derivative written in terms of the activation's output y; dx may alias dy. */
  actBackward(act: ActCode, n: number, y: number, dy: number, dx: number): void;

  /** out[j] = beta·out[j] + Σ_i x[i·cols + j] (bias gradients). */
  colSum(rows: number, cols: number, x: number, out: number, beta: number): void;

  /**
   * Dynamic (generated-weight) layer, per sample b of a batch:
   *   y[b] = act((1 + g[b]) ⊙ (W[b] · x[b]) + c[b]),  W[b] is out×in row-major at w + b·ldw.
   * x[b] at x + b·ldx, g[b] at g + b·ldg, c[b] at c + b·ldc, y[b] at y + b·ldy.
   * ldg may be 0: every sample reads the same g (a zero row for layers without a gain).
   */
  dynamicForward(batch: number, out: number, inp: number,
    x: number, ldx: number, w: number, ldw: number, g: number, ldg: number,
    c: number, ldc: number, act: ActCode, y: number, ldy: number): void;

  /**
   * Backward of dynamicForward given dy = ∂L/∂(pre-activation output) (apply actBackward first):
   *   dx[b] = W[b]ᵀ((1+g[b]) ⊙ dy[b]),  dW[b] = ((1+g[b]) ⊙ dy[b]) x[b]ᵀ,
   *   dg[b] = dy[b] ⊙ (W[b] x[b]),       dc[b] = dy[b].
   * Outputs are overwritten; any of dx, dw, dg, dc may be NONE to skip it.
   */
  dynamicBackward(batch: number, out: number, inp: number,
    x: number, ldx: number, w: number, ldw: number, g: number, ldg: number,
    dy: number, lddy: number,
    dx: number, lddx: number, dw: number, lddw: number, dg: number, lddg: number,
    dc: number, lddc: number): void;

  /**
   * GRU cell on gate pre-activations (PyTorch's nn.GRU equations), per row b of a batch:
   *   r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z),  n = tanh(gi_n + r ⊙ gh_n),  y = (1 − z) ⊙ n + z ⊙ h,
   * where gi = x·W_ihᵀ + b_ih and gh = h·W_hhᵀ + b_hh come from GEMMs and hold the blocks
   * [r | z | n] (GruGate order). gi, gh and gates are batch×3H, h and y batch×H, all
   * contiguous. gates receives [r | z | n], what gruBackward needs, or is NONE (inference);
   * y may alias h.
   */
  gruForward(batch: number, hidden: number, gi: number, gh: number, h: number, y: number, gates: number): void;

  /**
   * Backward of gruForward. With d = dy + dhIn (dhIn, the gradient carried back from the
   * next step, may be NONE) and r, z, n read from gates:
   *   dn = d ⊙ (1 − z) ⊙ (1 − n²),  dr = dn ⊙ gh_n ⊙ r(1 − r),  dz = d ⊙ (h − n) ⊙ z(1 − z),
   *   dgi = [dr | dz | dn],  dgh = [dr | dz | r ⊙ dn],  dh = z ⊙ d
   * (dgi, dgh: gradients of the gate pre-activations; dh: the direct part of ∂L/∂h, to which
   * the caller adds dgh·W_hh). Shapes as in gruForward; dh may alias dy or dhIn.
   */
  gruBackward(batch: number, hidden: number, gates: number, gh: number, h: number, dy: number, dhIn: number,
    dgi: number, dgh: number, dh: number): void;

  /**
   * Fused Adam step with bias correction (step ≥ 1 is the 1-based step count).
   * weightDecay adds wd·p to the gradient (PyTorch Adam), or, when decoupled,
   * shrinks p by lr·wd directly (AdamW).
   */
  adam(n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void;

  /** target = (1 − tau)·target + tau·source. */
  polyak(n: number, target: number, source: number, tau: number): void;

  /** y = f(x) elementwise (elu uses alpha = 1); y may alias x. */
  unary(op: UnaryCode, n: number, x: number, y: number): void;

  /**
   * y[i,j] = f(a[i·aRs + j·aCs], b[i·bRs + j·bCs]) for a rows×cols contiguous y.
   * A stride of 0 broadcasts that operand along the axis.
   */
  binary(op: BinaryCode, rows: number, cols: number, a: number, aRs: number, aCs: number,
    b: number, bRs: number, bCs: number, y: number): void;

  /** y = min(max(x, lo), hi); y may alias x. */
  clamp(n: number, x: number, lo: number, hi: number, y: number): void;

  /** y = alpha·x + beta·y (beta = 0: y is not read). */
  axpby(n: number, alpha: number, x: number, beta: number, y: number): void;

  /** y[o, i] = reduce_k x[o, k, i] over an [outer, len, inner] view; y is outer×inner. */
  reduce(op: ReduceCode, outer: number, len: number, inner: number, x: number, y: number): void;

  /** y[0..n) = value. */
  fill(n: number, y: number, value: number): void;

  /** Σ x², accumulated in float64 (gradient norms). */
  sumSquares(n: number, x: number): number;
}
