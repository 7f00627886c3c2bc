/**
 * The reference backend: plain loops over the arena, in float32 or float64.
 * It is the definition every other backend is tested against, so it favours
 * obviously-correct code over speed (float64 accumulators throughout).
 */
import { Arena, type FloatArray } from '../../arena.js';
import type { Backend, DType } from '../../backend.js';
import { Act, NONE, type ActCode, type BinaryCode, type ReduceCode, type UnaryCode } from '../../kernels.js';
import { activate, activationGradFromOutput, binaryOp, unaryOp } from './scalar-ops.js';

/** `maxArenaBytes` caps the arena (an allocation beyond it throws OutOfMemoryError). */
export function createJsBackend(dtype: DType = 'float32', initialElements?: number, maxArenaBytes?: number): Backend {
  const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
  let current: FloatArray = new Ctor(0);
  const arena = new Arena({
    base: 0,
    bytesPerElement: Ctor.BYTES_PER_ELEMENT,
    resize(elements: number): FloatArray {
      const next = new Ctor(elements);
      next.set(current.subarray(0, Math.min(elements, current.length)));
      return (current = next);
    },
  }, initialElements, maxArenaBytes);
  const d = (): FloatArray => arena.data;
  /** gemm's row accumulator, grown to the widest C seen (so steady-state calls allocate nothing). */
  let acc = new Float64Array(0);

  return {
    name: 'js',
    dtype,
    detail: `reference loops, ${dtype}`,
    arena,

    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      const x = d();
      if (acc.length < n) acc = new Float64Array(n);
      const A = (i: number, p: number): number => (transA ? x[a + p * lda + i]! : x[a + i * lda + p]!);
      for (let i = 0; i < m; i++) {
        // Row i of C accumulated in float64; loop order keeps B's rows (or, transposed, its columns) contiguous.
        if (transB) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += A(i, p) * x[b + j * ldb + p]!;
            acc[j] = s;
          }
        } else {
          acc.fill(0, 0, n);
          for (let p = 0; p < k; p++) {
            const aip = A(i, p), row = b + p * ldb;
            for (let j = 0; j < n; j++) acc[j] += aip * x[row + j]!;
          }
        }
        const ci = c + i * ldc;
        for (let j = 0; j < n; j++) x[ci + j] = beta === 0 ? alpha * acc[j]! : alpha * acc[j]! + beta * x[ci + j]!;
      }
    },

    gemmBiasAct(transA, transB, m, n, k, a, lda, b, ldb, beta, bias, act, c, ldc) {
      this.gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
      const x = d();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) x[c + i * ldc + j] = activate(act, x[c + i * ldc + j]! + (bias === NONE ? 0 : x[bias + j]!));
      }
    },

    gemmBatched(count, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, beta, bias, strideBias, act, c, strideC, ldc) {
      for (let e = 0; e < count; e++) {
        this.gemmBiasAct(transA, transB, m, n, k, a + e * strideA, lda, b + e * strideB, ldb, beta,
          bias === NONE ? NONE : bias + e * strideBias, act, c + e * strideC, ldc);
      }
    },

    biasAct(rows, cols, xo, bias, act, y) {
      const x = d();
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const v = x[xo + i * cols + j]! + (bias === NONE ? 0 : x[bias + j]!);
          x[y + i * cols + j] = activate(act, v);
        }
      }
    },

    actBackward(act, n, y, dy, dx) {
      const x = d();
      for (let i = 0; i < n; i++) x[dx + i] = x[dy + i]! * activationGradFromOutput(act, x[y + i]!);
    },

    colSum(rows, cols, xo, out, beta) {
      const x = d();
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += x[xo + i * cols + j]!;
        x[out + j] = beta === 0 ? s : beta * x[out + j]! + s;
      }
    },

    dynamicForward(batch, out, inp, xo, ldx, w, ldw, g, ldg, c, ldc, act, y, ldy) {
      const x = d();
      for (let b = 0; b < batch; b++) {
        for (let o = 0; o < out; o++) {
          let s = 0;
          for (let i = 0; i < inp; i++) s += x[w + b * ldw + o * inp + i]! * x[xo + b * ldx + i]!;
          const v = (1 + x[g + b * ldg + o]!) * s + x[c + b * ldc + o]!;
          x[y + b * ldy + o] = activate(act, v);
        }
      }
    },

    dynamicBackward(batch, out, inp, xo, ldx, w, ldw, g, ldg, dy, lddy, dx, lddx, dw, lddw, dg, lddg, dc, lddc) {
      const x = d();
      for (let b = 0; b < batch; b++) {
        if (dx !== NONE) for (let i = 0; i < inp; i++) x[dx + b * lddx + i] = 0;
        for (let o = 0; o < out; o++) {
          const dyv = x[dy + b * lddy + o]!;
          const scaled = (1 + x[g + b * ldg + o]!) * dyv;
          let u = 0;
          for (let i = 0; i < inp; i++) {
            const wv = x[w + b * ldw + o * inp + i]!;
            const xv = x[xo + b * ldx + i]!;
            u += wv * xv;
            if (dw !== NONE) x[dw + b * lddw + o * inp + i] = scaled * xv;
            if (dx !== NONE) x[dx + b * lddx + i] = x[dx + b * lddx + i]! + scaled * wv;
          }
          if (dg !== NONE) x[dg + b * lddg + o] = dyv * u;
          if (dc !== NONE) x[dc + b * lddc + o] = dyv;
        }
      }
    },

    gruForward(batch, hidden, gi, gh, h, y, gates) {
      const x = d(), H = hidden;
      for (let b = 0; b < batch; b++) {
        const g = b * 3 * H, o = b * H;
        for (let j = 0; j < H; j++) {
          const r = activate(Act.sigmoid, x[gi + g + j]! + x[gh + g + j]!);
          const z = activate(Act.sigmoid, x[gi + g + H + j]! + x[gh + g + H + j]!);
          const n = Math.tanh(x[gi + g + 2 * H + j]! + r * x[gh + g + 2 * H + j]!);
          x[y + o + j] = (1 - z) * n + z * x[h + o + j]!;
          if (gates !== NONE) { x[gates + g + j] = r; x[gates + g + H + j] = z; x[gates + g + 2 * H + j] = n; }
        }
      }
    },

    gruBackward(batch, hidden, gates, gh, h, dy, dhIn, dgi, dgh, dh) {
      const x = d(), H = hidden;
      for (let b = 0; b < batch; b++) {
        const g = b * 3 * H, o = b * H;
        for (let j = 0; j < H; j++) {
          const dv = x[dy + o + j]! + (dhIn === NONE ? 0 : x[dhIn + o + j]!);
          const r = x[gates + g + j]!, z = x[gates + g + H + j]!, n = x[gates + g + 2 * H + j]!;
          const dn = dv * (1 - z) * (1 - n) * (1 + n);
          const dr = dn * x[gh + g + 2 * H + j]! * r * (1 - r);
          const dz = dv * (x[h + o + j]! - n) * z * (1 - z);
          x[dgi + g + j] = dr; x[dgi + g + H + j] = dz; x[dgi + g + 2 * H + j] = dn;
          x[dgh + g + j] = dr; x[dgh + g + H + j] = dz; x[dgh + g + 2 * H + j] = r * dn;
          x[dh + o + j] = z * dv;
        }
      }
    },

    adam(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      const x = d();
      const bc1 = 1 - Math.pow(beta1, step);
      const bc2 = 1 - Math.pow(beta2, step);
      for (let i = 0; i < n; i++) {
        let grad = x[g + i]!;
        if (weightDecay !== 0) {
          if (decoupled) x[p + i] = x[p + i]! * (1 - lr * weightDecay);
          else grad += weightDecay * x[p + i]!;
        }
        const mi = beta1 * x[m + i]! + (1 - beta1) * grad;
        const vi = beta2 * x[v + i]! + (1 - beta2) * grad * grad;
        x[m + i] = mi;
        x[v + i] = vi;
        x[p + i] = x[p + i]! - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
      }
    },

    polyak(n, target, source, tau) {
      const x = d();
      for (let i = 0; i < n; i++) x[target + i] = (1 - tau) * x[target + i]! + tau * x[source + i]!;
    },

    unary(op: UnaryCode, n, xo, y) {
      const x = d();
      for (let i = 0; i < n; i++) x[y + i] = unaryOp(op, x[xo + i]!);
    },

    binary(op: BinaryCode, rows, cols, a, aRs, aCs, b, bRs, bCs, y) {
      const x = d();
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          x[y + i * cols + j] = binaryOp(op, x[a + i * aRs + j * aCs]!, x[b + i * bRs + j * bCs]!);
        }
      }
    },

    clamp(n, xo, lo, hi, y) {
      const x = d();
      for (let i = 0; i < n; i++) x[y + i] = Math.min(Math.max(x[xo + i]!, lo), hi);
    },

    axpby(n, alpha, xo, beta, y) {
      const x = d();
      for (let i = 0; i < n; i++) x[y + i] = beta === 0 ? alpha * x[xo + i]! : alpha * x[xo + i]! + beta * x[y + i]!;
    },

    reduce(op: ReduceCode, outer, len, inner, xo, y) {
      const x = d();
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let acc = op === 2 ? -Infinity : 0;
          for (let k = 0; k < len; k++) {
            const v = x[xo + (o * len + k) * inner + i]!;
            acc = op === 2 ? (v > acc || Number.isNaN(v) ? v : acc) : acc + v;
          }
          x[y + o * inner + i] = op === 1 ? acc / len : acc;
        }
      }
    },

    fill(n, y, value) {
      d().fill(value, y, y + n);
    },

    sumSquares(n, xo) {
      const x = d();
      let s = 0;
      for (let i = 0; i < n; i++) s += x[xo + i]! * x[xo + i]!;
      return s;
    },
  } satisfies Backend as Backend;
}

export type { ActCode };
