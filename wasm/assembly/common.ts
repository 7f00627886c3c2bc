// Shared helpers for the hyperrl WebAssembly kernels: memory layout, the ABI
// codes (same numbers as src/tensor/kernels.ts), and f32x4 math.
//
// Conventions: every kernel receives float32 element offsets into linear memory
// (byte address = offset << 2); NONE (-1) marks an absent optional operand;
// scalars arrive as f64 (JS numbers, exact) and are rounded to f32 once.

// ---- ABI codes (must match src/tensor/kernels.ts) ----
export const ACT_IDENTITY = 0;
export const ACT_RELU = 1;
export const ACT_TANH = 2;
export const ACT_ELU = 3;
export const ACT_SIGMOID = 4;

export const NONE = -1;

// ---- memory layout ----
// [0, __heap_base)            static data (none to speak of: --runtime stub)
// [SCRATCH, SCRATCH + bytes)  GEMM packing buffers, owned by the kernels
// [HEAP, ...)                 the JS arena (heapBase() / 4 is its element base)

/** Depth of a packed GEMM block (k). */
export const KC: i32 = 256;
/** Rows of op(A) per packed block (multiple of MR). */
export const MC: i32 = 96;
/** Columns of op(B) per packed block (multiple of NR). */
export const NC: i32 = 2048;
/** Micro-tile: MR rows × NR columns of C. */
export const MR: i32 = 4;
export const NR: i32 = 8;

// Packed A stores every element pre-broadcast to a full v128 (16 bytes), so the
// micro-kernel needs only plain vector loads (see gemm.ts for why).
export const PACK_A_BYTES: usize = <usize>MC * <usize>KC * 16;
export const PACK_B_BYTES: usize = <usize>KC * <usize>NC * 4;
/** One C micro-tile for edge tiles, plus small vector temporaries. */
export const TILE_BYTES: usize = 1024;

@inline export function align64(x: usize): usize { return (x + 63) & ~<usize>63; }

export const SCRATCH: usize = align64(__heap_base);
export const PACK_A: usize = SCRATCH;
export const PACK_B: usize = PACK_A + PACK_A_BYTES;
export const TILE: usize = PACK_B + PACK_B_BYTES;
export const HEAP: usize = align64(TILE + TILE_BYTES);

/** Byte address of float element offset `off`. */
@inline export function addr(off: i32): usize { return <usize>off << 2; }

// ---- lane helpers ----

/** All-ones in lanes [0, n), zero elsewhere (n clamped to [0, 4]). */
@inline export function laneMask(n: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n));
}

/** Sum of the four lanes. */
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, i32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/** [Σ r0, Σ r1, Σ r2, Σ r3]: four horizontal sums at once. */
@inline export function hsum4(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  const a = f32x4.add(i32x4.shuffle(r0, r1, 0, 4, 2, 6), i32x4.shuffle(r0, r1, 1, 5, 3, 7));
  const b = f32x4.add(i32x4.shuffle(r2, r3, 0, 4, 2, 6), i32x4.shuffle(r2, r3, 1, 5, 3, 7));
  return f32x4.add(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
}

/** Store the first n (0..4) lanes of v at p. */
@inline export function storePartial(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else if (n == 3) { v128.store64_lane(p, v, 0); v128.store32_lane(p, v, 2, 8); }
  else if (n == 2) v128.store64_lane(p, v, 0);
  else if (n == 1) v128.store32_lane(p, v, 0);
}

// ---- dot products (the inp tail is masked, see dynamic.ts) ----

/** Σ_i W[row, i]·x[i] for 4 consecutive rows starting at w (row stride rb bytes). */
@inline export function dot4(w: usize, rb: usize, x: usize, inp: i32, i4: i32, tail: v128): v128 {
  let r0 = f32x4.splat(0), r1 = f32x4.splat(0), r2 = f32x4.splat(0), r3 = f32x4.splat(0);
  const w1 = w + rb, w2 = w1 + rb, w3 = w2 + rb;
  let i = 0;
  for (; i < i4; i += 4) {
    const o = <usize>i << 2;
    const xv = v128.load(x + o);
    r0 = f32x4.add(r0, f32x4.mul(v128.load(w + o), xv));
    r1 = f32x4.add(r1, f32x4.mul(v128.load(w1 + o), xv));
    r2 = f32x4.add(r2, f32x4.mul(v128.load(w2 + o), xv));
    r3 = f32x4.add(r3, f32x4.mul(v128.load(w3 + o), xv));
  }
  if (i < inp) {
    const o = <usize>i << 2;
    const xv = v128.and(v128.load(x + o), tail);
    r0 = f32x4.add(r0, f32x4.mul(v128.and(v128.load(w + o), tail), xv));
    r1 = f32x4.add(r1, f32x4.mul(v128.and(v128.load(w1 + o), tail), xv));
    r2 = f32x4.add(r2, f32x4.mul(v128.and(v128.load(w2 + o), tail), xv));
    r3 = f32x4.add(r3, f32x4.mul(v128.and(v128.load(w3 + o), tail), xv));
  }
  return hsum4(r0, r1, r2, r3);
}

/** Σ_i W[i]·x[i] for one row. */
@inline export function dot1(w: usize, x: usize, inp: i32, i4: i32, tail: v128): f32 {
  let r0 = f32x4.splat(0), r1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= i4; i += 8) {
    const o = <usize>i << 2;
    r0 = f32x4.add(r0, f32x4.mul(v128.load(w + o), v128.load(x + o)));
    r1 = f32x4.add(r1, f32x4.mul(v128.load(w + o, 16), v128.load(x + o, 16)));
  }
  for (; i < i4; i += 4) {
    const o = <usize>i << 2;
    r0 = f32x4.add(r0, f32x4.mul(v128.load(w + o), v128.load(x + o)));
  }
  if (i < inp) {
    const o = <usize>i << 2;
    r1 = f32x4.add(r1, f32x4.mul(v128.and(v128.load(w + o), tail), v128.and(v128.load(x + o), tail)));
  }
  return hsum(f32x4.add(r0, r1));
}

// ---- f32x4 math ----
// exp: Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial
// (Cephes expf coefficients), scaled by 2^n through the exponent bits.

// Clamp so that n stays within [-126, 127] (a normal 2^n); above EXP_OVERFLOW the
// result is +inf, below EXP_LO it is 0 (the exact value is < 1.7e-38). EXP_LO is
// chosen so that no intermediate is denormal: denormal results cost a microcode
// assist per instruction on x86 (tanh of |x| > 44 ran 4× slower with -87.34).
const EXP_HI: f32 = 88.3;
const EXP_OVERFLOW: f32 = 88.72283905206835;
const EXP_LO: f32 = -87.0;

/** 1.5·2^23: adding it rounds to an integer held in the low mantissa bits. */
const ROUND_MAGIC: f32 = 12582912.0;

// pmin/pmax (one minps/maxps each) instead of min/max (a NaN- and ±0-exact
// sequence of ~8 instructions in V8); their operand order keeps a NaN x.
@inline export function exp4(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const magic = f32x4.splat(ROUND_MAGIC);
  const t = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(t, magic);
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // 2^n: the integer n sits in t's low bits; (bits + 127) << 23 keeps exactly n + 127.
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  let e = f32x4.mul(y, scale);
  e = v128.bitselect(f32x4.splat(Infinity), e, f32x4.gt(x, f32x4.splat(EXP_OVERFLOW)));
  return v128.andnot(e, f32x4.lt(x, f32x4.splat(EXP_LO)));
}

/** e^x − 1, accurate near 0 (Taylor series for |x| < 0.5, exp(x) − 1 elsewhere). */
@inline export function expm14(x: v128): v128 {
  let p = f32x4.splat(<f32>(1.0 / 362880.0));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 40320.0)));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 5040.0)));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 720.0)));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 120.0)));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 24.0)));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 6.0)));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(0.5));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, x), x), x);
  const big = f32x4.sub(exp4(x), f32x4.splat(1));
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(0.5)));
}

/** tanh via u = expm1(−2|x|): tanh|x| = −u / (u + 2), sign restored. */
@inline export function tanh4(x: v128): v128 {
  const u = expm14(f32x4.mul(f32x4.abs(x), f32x4.splat(-2)));
  const t = f32x4.div(f32x4.neg(u), f32x4.add(u, f32x4.splat(2)));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}

@inline export function elu4(x: v128): v128 {
  return v128.bitselect(x, expm14(x), f32x4.gt(x, f32x4.splat(0)));
}

/** relu with the reference's NaN rule (NaN → 0): pmax(0, x) = 0 < x ? x : 0. */
@inline export function relu4(x: v128): v128 {
  return f32x4.pmax(f32x4.splat(0), x);
}

/** act(v) for a compile-time-constant act after inlining. */
@inline export function act4(act: i32, v: v128): v128 {
  if (act == ACT_RELU) return relu4(v);
  if (act == ACT_TANH) return tanh4(v);
  if (act == ACT_ELU) return elu4(v);
  if (act == ACT_SIGMOID) return sigmoid4(v);
  return v;
}

/** act'(·) expressed through the activation output y. */
@inline export function actGrad4(act: i32, y: v128): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_RELU) return v128.and(one, f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_TANH) return f32x4.sub(one, f32x4.mul(y, y));
  if (act == ACT_ELU) return v128.bitselect(one, f32x4.add(y, one), f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  return one;
}

/** Scalar act through the vector code (same rounding as the vector path). */
@inline export function act1(act: i32, v: f32): f32 {
  return f32x4.extract_lane(act4(act, f32x4.splat(v)), 0);
}
