// SGEMM: C[M×N] = alpha·op(A)·op(B) + beta·C, row-major, any transposes and
// leading dimensions; beta = 0 never reads C.
//
// Structure (GotoBLAS-style): for each NC-wide column block of op(B) and each
// KC-deep slice, op(B) is packed into NR-wide panels; for each MC-tall row block
// op(A) is packed into MR-tall panels; a 4×8 register-blocked micro-kernel then
// sweeps the B panels (kept in L1) over the A panels (streamed from L2).
//
// Why packed A is pre-broadcast: V8's TurboFan schedules every load of a loop
// body before the arithmetic, so all loaded operands are live at once. With 8
// accumulators + 2 B vectors + 4 A vectors + 1 temporary the loop uses 15 of the
// 15 allocatable xmm registers; v128.load32_splat additionally costs an address
// computation per broadcast, while a plain v128.load folds its offset. Storing A
// as 16-byte splats costs 4× the A-panel memory but reaches ~55 GFLOP/s where
// load32_splat reaches ~45 (both measured on the target machine).
import {
  KC, MC, MR, NC, NR, PACK_A, PACK_B, PACK_B_BYTES, TILE, addr, dot1, dot4, laneMask,
} from './common';

/** a·b + c: fused (relaxed-simd FMA) in the relaxed build, mul + add otherwise. */
@inline function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  else return f32x4.add(f32x4.mul(a, b), c);
}

/** Store one C row segment of 8: alpha·acc (+ beta·C unless beta = 0). */
@inline function storeRow(p: usize, x0: v128, x1: v128, va: v128, vb: v128, mode: i32): void {
  if (mode == STORE_ACC) {
    v128.store(p, x0);
    v128.store(p, x1, 16);
  } else if (mode == STORE_SCALED) {
    v128.store(p, f32x4.mul(va, x0));
    v128.store(p, f32x4.mul(va, x1), 16);
  } else if (mode == STORE_ADD) {
    v128.store(p, fma(va, x0, v128.load(p)));
    v128.store(p, fma(va, x1, v128.load(p, 16)), 16);
  } else {
    v128.store(p, fma(va, x0, f32x4.mul(vb, v128.load(p))));
    v128.store(p, fma(va, x1, f32x4.mul(vb, v128.load(p, 16))), 16);
  }
}

// Write-back modes of a full tile.
const STORE_ACC = 0;    // C = acc           (alpha = 1, beta = 0)
const STORE_SCALED = 1; // C = alpha·acc     (beta = 0)
const STORE_ADD = 2;    // C += alpha·acc    (beta = 1)
const STORE_AXPBY = 3;  // C = alpha·acc + beta·C

/**
 * C tile (mr×nr ≤ 4×8) at byte address c, row stride ldc bytes:
 * C = alpha·Ap·Bp + beta·C over kc packed steps.
 */
function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize,
  alpha: f32, beta: f32, mr: i32, nr: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const aEnd = pa + (<usize>kc << 6);
  while (pa < aEnd) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load(pa);
    c00 = fma(a0, b0, c00);
    c01 = fma(a0, b1, c01);
    const a1 = v128.load(pa, 16);
    c10 = fma(a1, b0, c10);
    c11 = fma(a1, b1, c11);
    const a2 = v128.load(pa, 32);
    c20 = fma(a2, b0, c20);
    c21 = fma(a2, b1, c21);
    const a3 = v128.load(pa, 48);
    c30 = fma(a3, b0, c30);
    c31 = fma(a3, b1, c31);
    pa += 64;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  const mode = beta == 0 ? (alpha == 1 ? STORE_ACC : STORE_SCALED) : beta == 1 ? STORE_ADD : STORE_AXPBY;
  if (mr == MR && nr == NR) {
    storeRow(c, c00, c01, va, vb, mode);
    storeRow(c + ldc, c10, c11, va, vb, mode);
    storeRow(c + 2 * ldc, c20, c21, va, vb, mode);
    storeRow(c + 3 * ldc, c30, c31, va, vb, mode);
    return;
  }
  // Edge tile: spill alpha·acc to the scratch tile, merge the valid part.
  v128.store(TILE, f32x4.mul(va, c00), 0);
  v128.store(TILE, f32x4.mul(va, c01), 16);
  v128.store(TILE, f32x4.mul(va, c10), 32);
  v128.store(TILE, f32x4.mul(va, c11), 48);
  v128.store(TILE, f32x4.mul(va, c20), 64);
  v128.store(TILE, f32x4.mul(va, c21), 80);
  v128.store(TILE, f32x4.mul(va, c30), 96);
  v128.store(TILE, f32x4.mul(va, c31), 112);
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ldc;
    const t = TILE + (<usize>i << 5);
    if (beta == 0) {
      for (let j = 0; j < nr; j++) f32.store(row + (<usize>j << 2), f32.load(t + (<usize>j << 2)));
    } else {
      for (let j = 0; j < nr; j++) {
        const p = row + (<usize>j << 2);
        f32.store(p, f32.load(t + (<usize>j << 2)) + beta * f32.load(p));
      }
    }
  }
}

/**
 * Pack an mc×kc block of op(A) (element (i, p) at a + i·sI + p·sP, byte strides)
 * into MR-row panels: panel q, step p, row i at dst + ((q·kc + p)·MR + i)·16,
 * every element broadcast to 4 lanes; rows past mc are zero.
 */
function packA(mc: i32, kc: i32, a: usize, sI: usize, sP: usize, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    let r0 = a + <usize>ir * sI;
    const end = dst + (<usize>kc << 6);
    if (rows == MR) {
      const r1 = r0 + sI, r2 = r1 + sI, r3 = r2 + sI;
      let off: usize = 0;
      while (dst < end) {
        v128.store(dst, v128.load32_splat(r0 + off));
        v128.store(dst, v128.load32_splat(r1 + off), 16);
        v128.store(dst, v128.load32_splat(r2 + off), 32);
        v128.store(dst, v128.load32_splat(r3 + off), 48);
        off += sP;
        dst += 64;
      }
    } else {
      let off: usize = 0;
      while (dst < end) {
        for (let i = 0; i < MR; i++) {
          const v = i < rows ? v128.load32_splat(r0 + <usize>i * sI + off) : f32x4.splat(0);
          v128.store(dst + (<usize>i << 4), v);
        }
        off += sP;
        dst += 64;
      }
    }
  }
}

/**
 * Pack a kc×nc block of op(B) (element (p, j) at b + p·sP + j·sJ, byte strides)
 * into NR-column panels: panel q, step p, column j at dst + ((q·kc + p)·NR + j)·4;
 * columns past nc are zero.
 */
function packB(kc: i32, nc: i32, b: usize, sP: usize, sJ: usize, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const src = b + <usize>jr * sJ;
    if (cols == NR && sJ == 4) {
      // Row-major op(B): each step is 8 contiguous floats.
      let s = src;
      const end = dst + (<usize>kc << 5);
      while (dst < end) {
        v128.store(dst, v128.load(s));
        v128.store(dst, v128.load(s, 16), 16);
        s += sP;
        dst += 32;
      }
    } else if (cols == NR && sP == 4) {
      // Transposed op(B): 8 stored rows, contiguous in p; 4×4 register transposes.
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2);
        transpose4(s, sJ, dst);
        transpose4(s + 4 * sJ, sJ, dst + 16);
        dst += 128;
      }
      for (; p < kc; p++) {
        const s = src + (<usize>p << 2);
        for (let j = 0; j < NR; j++) f32.store(dst + (<usize>j << 2), f32.load(s + <usize>j * sJ));
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>p * sP;
        for (let j = 0; j < NR; j++) {
          f32.store(dst + (<usize>j << 2), j < cols ? f32.load(s + <usize>j * sJ) : 0);
        }
        dst += 32;
      }
    }
  }
}

/** Rows r, r+s, r+2s, r+3s (4 floats each) → 4 columns written at d, d+32, d+64, d+96. */
@inline function transpose4(r: usize, s: usize, d: usize): void {
  const x0 = v128.load(r);
  const x1 = v128.load(r + s);
  const x2 = v128.load(r + 2 * s);
  const x3 = v128.load(r + 3 * s);
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(d, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
  v128.store(d, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
  v128.store(d, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
}

/** Below these sizes gemm skips packing (see gemmSmallM / gemmSmallN). */
const SMALL_M: i32 = 4;
const SMALL_N: i32 = 8;

export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: i32, lda: i32, b: i32, ldb: i32, beta: f64, c: i32, ldc: i32): void {
  if (m <= 0 || n <= 0) return;
  const al = <f32>alpha;
  const be = <f32>beta;
  if (k <= 0) { scaleC(m, n, be, addr(c), <usize>ldc << 2); return; }
  const A = addr(a), B = addr(b), C = addr(c);
  const sIa: usize = transA ? 4 : <usize>lda << 2;
  const sPa: usize = transA ? <usize>lda << 2 : 4;
  const sPb: usize = transB ? 4 : <usize>ldb << 2;
  const sJb: usize = transB ? <usize>ldb << 2 : 4;
  const ldcB = <usize>ldc << 2;
  // Skinny products (a batch-1 forward, a 1-wide output layer) skip packing:
  // one pass over the big operand beats packing it and wasting 3/4 of a tile.
  if ((m < SMALL_M || n < SMALL_N) && <usize>k <= (PACK_B_BYTES >> 2)) {
    if (m < SMALL_M) gemmSmallM(transB, m, n, k, al, be, A, sIa, sPa, B, sPb, sJb, C, ldcB);
    else gemmSmallN(transA, m, n, k, al, be, A, sIa, sPa, B, sPb, sJb, C, ldcB);
    return;
  }
  // Very shallow products (k < 4, e.g. the backward of a 1-wide layer) are rank-k
  // updates: stream C once, op(B) copied row-major first when transposed.
  if (k < 4 && <usize>k * <usize>n <= (PACK_B_BYTES >> 2)) {
    let b = B, sp = sPb;
    if (transB) {
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < n; j++) f32.store(PACK_B + ((<usize>(p * n + j)) << 2), f32.load(B + <usize>p * sPb + <usize>j * sJb));
      }
      b = PACK_B; sp = <usize>n << 2;
    }
    gemmSmallM(0, m, n, k, al, be, A, sIa, sPa, b, sp, 4, C, ldcB);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(kc, nc, B + <usize>pc * sPb + <usize>jc * sJb, sPb, sJb, PACK_B);
      const bk: f32 = pc == 0 ? be : 1;
      const aPanel = <usize>kc << 6;
      const bPanel = <usize>kc << 5;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, A + <usize>ic * sIa + <usize>pc * sPa, sIa, sPa, PACK_A);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = PACK_B + <usize>(jr / NR) * bPanel;
          let cp = C + <usize>ic * ldcB + (<usize>(jc + jr) << 2);
          let pa = PACK_A;
          for (let ir = 0; ir < mc; ir += MR) {
            kernel4x8(kc, pa, pb, cp, ldcB, al, bk, min(MR, mc - ir), nr);
            pa += aPanel;
            cp += ldcB << 2;
          }
        }
      }
    }
  }
}

/** C[0..4) at p (contiguous) = alpha·v + beta·C; beta = 0 does not read C. */
@inline function storeC4(p: usize, v: v128, al: f32, be: f32): void {
  let r = f32x4.mul(f32x4.splat(al), v);
  if (be != 0) r = f32x4.add(r, f32x4.mul(f32x4.splat(be), v128.load(p)));
  v128.store(p, r);
}

/** C[i·s] for i < 4 (strided) = alpha·v[i] + beta·C[i·s]. */
@inline function storeC4Strided(p: usize, s: usize, v: v128, al: f32, be: f32): void {
  storeC1(p, f32x4.extract_lane(v, 0), al, be);
  storeC1(p + s, f32x4.extract_lane(v, 1), al, be);
  storeC1(p + 2 * s, f32x4.extract_lane(v, 2), al, be);
  storeC1(p + 3 * s, f32x4.extract_lane(v, 3), al, be);
}

@inline function storeC1(p: usize, v: f32, al: f32, be: f32): void {
  f32.store(p, be == 0 ? al * v : al * v + be * f32.load(p));
}

/** Copy k elements at p (byte stride s) to the contiguous scratch, unless already contiguous. */
@inline function contiguous(p: usize, s: usize, k: i32): usize {
  if (s == 4) return p;
  for (let i = 0; i < k; i++) f32.store(PACK_B + (<usize>i << 2), f32.load(p + <usize>i * s));
  return PACK_B;
}

/**
 * m < MR: every C row is a vector–matrix product, op(A) row · op(B), computed
 * straight from op(B) (one pass over it per row).
 */
function gemmSmallM(transB: i32, m: i32, n: i32, k: i32, al: f32, be: f32,
  A: usize, sIa: usize, sPa: usize, B: usize, sPb: usize, sJb: usize, C: usize, ldc: usize): void {
  const k4 = k & ~3;
  const tail = laneMask(k - k4);
  for (let i = 0; i < m; i++) {
    const aRow = A + <usize>i * sIa;
    const cRow = C + <usize>i * ldc;
    if (!transB) {
      // Row-major op(B): C row = Σ_p a[p]·B[p, :], 16 columns per pass.
      let j = 0;
      for (; j + 16 <= n; j += 16) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let pa = aRow, pb = B + (<usize>j << 2);
        for (let p = 0; p < k; p++) {
          const av = v128.load32_splat(pa);
          s0 = f32x4.add(s0, f32x4.mul(av, v128.load(pb)));
          s1 = f32x4.add(s1, f32x4.mul(av, v128.load(pb, 16)));
          s2 = f32x4.add(s2, f32x4.mul(av, v128.load(pb, 32)));
          s3 = f32x4.add(s3, f32x4.mul(av, v128.load(pb, 48)));
          pa += sPa; pb += sPb;
        }
        const q = cRow + (<usize>j << 2);
        storeC4(q, s0, al, be); storeC4(q + 16, s1, al, be); storeC4(q + 32, s2, al, be); storeC4(q + 48, s3, al, be);
      }
      for (; j + 4 <= n; j += 4) {
        let s0 = f32x4.splat(0);
        let pa = aRow, pb = B + (<usize>j << 2);
        for (let p = 0; p < k; p++) {
          s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
          pa += sPa; pb += sPb;
        }
        storeC4(cRow + (<usize>j << 2), s0, al, be);
      }
      for (; j < n; j++) {
        let s: f32 = 0;
        let pa = aRow, pb = B + (<usize>j << 2);
        for (let p = 0; p < k; p++) { s += f32.load(pa) * f32.load(pb); pa += sPa; pb += sPb; }
        storeC1(cRow + (<usize>j << 2), s, al, be);
      }
    } else {
      // op(B)[p, j] = B[j, p]: C[i, j] = dot(a, B row j), 4 rows of B at a time.
      const x = contiguous(aRow, sPa, k);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        storeC4(cRow + (<usize>j << 2), dot4(B + <usize>j * sJb, sJb, x, k, k4, tail), al, be);
      }
      for (; j < n; j++) storeC1(cRow + (<usize>j << 2), dot1(B + <usize>j * sJb, x, k, k4, tail), al, be);
    }
  }
}

/**
 * n < MR (and m ≥ MR): every C column is a matrix–vector product op(A) · op(B)
 * column, computed straight from op(A).
 */
function gemmSmallN(transA: i32, m: i32, n: i32, k: i32, al: f32, be: f32,
  A: usize, sIa: usize, sPa: usize, B: usize, sPb: usize, sJb: usize, C: usize, ldc: usize): void {
  const k4 = k & ~3;
  const tail = laneMask(k - k4);
  for (let j = 0; j < n; j++) {
    const bCol = B + <usize>j * sJb;
    const cCol = C + (<usize>j << 2);
    if (!transA) {
      // Row-major op(A): C[i, j] = dot(A row i, b), 4 rows at a time.
      const x = contiguous(bCol, sPb, k);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        storeC4Strided(cCol + <usize>i * ldc, ldc, dot4(A + <usize>i * sIa, sIa, x, k, k4, tail), al, be);
      }
      for (; i < m; i++) storeC1(cCol + <usize>i * ldc, dot1(A + <usize>i * sIa, x, k, k4, tail), al, be);
    } else {
      // op(A)[i, p] = A[p, i]: C[:, j] = Σ_p b[p]·A[p, :], 16 rows of C per pass.
      let i = 0;
      for (; i + 16 <= m; i += 16) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let pa = A + (<usize>i << 2), pb = bCol;
        for (let p = 0; p < k; p++) {
          const bv = v128.load32_splat(pb);
          s0 = f32x4.add(s0, f32x4.mul(bv, v128.load(pa)));
          s1 = f32x4.add(s1, f32x4.mul(bv, v128.load(pa, 16)));
          s2 = f32x4.add(s2, f32x4.mul(bv, v128.load(pa, 32)));
          s3 = f32x4.add(s3, f32x4.mul(bv, v128.load(pa, 48)));
          pa += sPa; pb += sPb;
        }
        const q = cCol + <usize>i * ldc;
        storeC4Strided(q, ldc, s0, al, be);
        storeC4Strided(q + 4 * ldc, ldc, s1, al, be);
        storeC4Strided(q + 8 * ldc, ldc, s2, al, be);
        storeC4Strided(q + 12 * ldc, ldc, s3, al, be);
      }
      for (; i + 4 <= m; i += 4) {
        let s0 = f32x4.splat(0);
        let pa = A + (<usize>i << 2), pb = bCol;
        for (let p = 0; p < k; p++) {
          s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pb), v128.load(pa)));
          pa += sPa; pb += sPb;
        }
        storeC4Strided(cCol + <usize>i * ldc, ldc, s0, al, be);
      }
      for (; i < m; i++) {
        let s: f32 = 0;
        let pa = A + (<usize>i << 2), pb = bCol;
        for (let p = 0; p < k; p++) { s += f32.load(pa) * f32.load(pb); pa += sPa; pb += sPb; }
        storeC1(cCol + <usize>i * ldc, s, al, be);
      }
    }
  }
}

/** C = beta·C (k = 0); beta = 0 writes zeros without reading C. */
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: usize): void {
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * ldc;
    for (let j = 0; j < n; j++) {
      const p = row + (<usize>j << 2);
      f32.store(p, beta == 0 ? 0 : beta * f32.load(p));
    }
  }
}
