// Fused elementwise kernels, reductions and optimizer steps, vectorised with
// f32x4. Each loop runs 4 lanes at a time; tails run the same vector code on a
// splatted scalar (so lanes and tails round identically).
import {
  ACT_ELU, ACT_IDENTITY, ACT_RELU, ACT_SIGMOID, ACT_TANH, NONE,
  act4, actGrad4, addr, exp4, relu4, sigmoid4, tanh4, elu4,
} from './common';

// ---------------------------------------------------------------- biasAct

@inline function biasActWith(act: i32, rows: i32, cols: i32, x: usize, bias: i32, y: usize): void {
  if (bias == NONE) {
    const n = <usize>rows * <usize>cols;
    const end = x + (n << 2);
    const end4 = x + ((n & ~<usize>3) << 2);
    while (x < end4) {
      v128.store(y, act4(act, v128.load(x)));
      x += 16; y += 16;
    }
    while (x < end) {
      f32.store(y, f32x4.extract_lane(act4(act, f32x4.splat(f32.load(x))), 0));
      x += 4; y += 4;
    }
    return;
  }
  const bp = addr(bias);
  const c4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, act4(act, f32x4.add(v128.load(x + o), v128.load(bp + o))));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const v = f32.load(x + o) + f32.load(bp + o);
      f32.store(y + o, f32x4.extract_lane(act4(act, f32x4.splat(v)), 0));
    }
    const rb = <usize>cols << 2;
    x += rb; y += rb;
  }
}

// One specialised function per activation: inlining the loop at five call sites of
// one switch lets binaryen fold them back into one loop with a runtime act test.
function biasActIdentity(rows: i32, cols: i32, x: usize, bias: i32, y: usize): void { biasActWith(ACT_IDENTITY, rows, cols, x, bias, y); }
function biasActRelu(rows: i32, cols: i32, x: usize, bias: i32, y: usize): void { biasActWith(ACT_RELU, rows, cols, x, bias, y); }
function biasActTanh(rows: i32, cols: i32, x: usize, bias: i32, y: usize): void { biasActWith(ACT_TANH, rows, cols, x, bias, y); }
function biasActElu(rows: i32, cols: i32, x: usize, bias: i32, y: usize): void { biasActWith(ACT_ELU, rows, cols, x, bias, y); }
function biasActSigmoid(rows: i32, cols: i32, x: usize, bias: i32, y: usize): void { biasActWith(ACT_SIGMOID, rows, cols, x, bias, y); }

export function biasAct(rows: i32, cols: i32, x: i32, bias: i32, act: i32, y: i32): void {
  const xp = addr(x), yp = addr(y);
  switch (act) {
    case ACT_RELU: biasActRelu(rows, cols, xp, bias, yp); break;
    case ACT_TANH: biasActTanh(rows, cols, xp, bias, yp); break;
    case ACT_ELU: biasActElu(rows, cols, xp, bias, yp); break;
    case ACT_SIGMOID: biasActSigmoid(rows, cols, xp, bias, yp); break;
    default: biasActIdentity(rows, cols, xp, bias, yp); break;
  }
}

// ---------------------------------------------------------------- actBackward

@inline function actBackwardWith(act: i32, n: i32, y: usize, dy: usize, dx: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), actGrad4(act, v128.load(y + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = f32x4.extract_lane(actGrad4(act, f32x4.splat(f32.load(y + o))), 0);
    f32.store(dx + o, f32.load(dy + o) * g);
  }
}

function actBackwardIdentity(n: i32, y: usize, dy: usize, dx: usize): void { actBackwardWith(ACT_IDENTITY, n, y, dy, dx); }
function actBackwardRelu(n: i32, y: usize, dy: usize, dx: usize): void { actBackwardWith(ACT_RELU, n, y, dy, dx); }
function actBackwardTanh(n: i32, y: usize, dy: usize, dx: usize): void { actBackwardWith(ACT_TANH, n, y, dy, dx); }
function actBackwardElu(n: i32, y: usize, dy: usize, dx: usize): void { actBackwardWith(ACT_ELU, n, y, dy, dx); }
function actBackwardSigmoid(n: i32, y: usize, dy: usize, dx: usize): void { actBackwardWith(ACT_SIGMOID, n, y, dy, dx); }

export function actBackward(act: i32, n: i32, y: i32, dy: i32, dx: i32): void {
  const yp = addr(y), dyp = addr(dy), dxp = addr(dx);
  switch (act) {
    case ACT_RELU: actBackwardRelu(n, yp, dyp, dxp); break;
    case ACT_TANH: actBackwardTanh(n, yp, dyp, dxp); break;
    case ACT_ELU: actBackwardElu(n, yp, dyp, dxp); break;
    case ACT_SIGMOID: actBackwardSigmoid(n, yp, dyp, dxp); break;
    default: actBackwardIdentity(n, yp, dyp, dxp); break;
  }
}

// ---------------------------------------------------------------- colSum

export function colSum(rows: i32, cols: i32, x: i32, out: i32, beta: f64): void {
  const xp = addr(x), op = addr(out);
  const be = <f32>beta;
  const rb = <usize>cols << 2;
  let j = 0;
  // 16 columns at a time: 4 independent accumulators, one cache line per row.
  for (; j + 16 <= cols; j += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let p = xp + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += rb;
    }
    const q = op + (<usize>j << 2);
    if (be != 0) {
      const vb = f32x4.splat(be);
      s0 = f32x4.add(f32x4.mul(vb, v128.load(q)), s0);
      s1 = f32x4.add(f32x4.mul(vb, v128.load(q, 16)), s1);
      s2 = f32x4.add(f32x4.mul(vb, v128.load(q, 32)), s2);
      s3 = f32x4.add(f32x4.mul(vb, v128.load(q, 48)), s3);
    }
    v128.store(q, s0); v128.store(q, s1, 16); v128.store(q, s2, 32); v128.store(q, s3, 48);
  }
  for (; j + 4 <= cols; j += 4) {
    let s = f32x4.splat(0);
    let p = xp + (<usize>j << 2);
    for (let i = 0; i < rows; i++) { s = f32x4.add(s, v128.load(p)); p += rb; }
    const q = op + (<usize>j << 2);
    if (be != 0) s = f32x4.add(f32x4.mul(f32x4.splat(be), v128.load(q)), s);
    v128.store(q, s);
  }
  for (; j < cols; j++) {
    let s: f32 = 0;
    let p = xp + (<usize>j << 2);
    for (let i = 0; i < rows; i++) { s += f32.load(p); p += rb; }
    const q = op + (<usize>j << 2);
    f32.store(q, be == 0 ? s : be * f32.load(q) + s);
  }
}

// ---------------------------------------------------------------- adam / polyak / axpby / clamp / fill

export function adam(n: i32, p: i32, g: i32, m: i32, v: i32, lr: f64, beta1: f64, beta2: f64,
  eps: f64, weightDecay: f64, decoupled: i32, step: f64): void {
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  const b1 = f32x4.splat(<f32>beta1), c1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2), c2 = f32x4.splat(<f32>(1 - beta2));
  const ib1 = f32x4.splat(<f32>(1 / bc1)), ib2 = f32x4.splat(<f32>(1 / bc2));
  const vlr = f32x4.splat(<f32>lr), veps = f32x4.splat(<f32>eps);
  // mode 0: no decay; 1: coupled (grad += wd·p); 2: decoupled (p ·= 1 − lr·wd).
  const mode = weightDecay == 0 ? 0 : decoupled ? 2 : 1;
  const vwd = f32x4.splat(<f32>weightDecay), vsh = f32x4.splat(<f32>(1 - lr * weightDecay));
  const pp = addr(p), gp = addr(g), mp = addr(m), vp = addr(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let pr = v128.load(pp + o), gr = v128.load(gp + o);
    let mr = v128.load(mp + o), vr = v128.load(vp + o);
    if (mode == 2) pr = f32x4.mul(pr, vsh);
    else if (mode == 1) gr = f32x4.add(gr, f32x4.mul(vwd, pr));
    mr = f32x4.add(f32x4.mul(b1, mr), f32x4.mul(c1, gr));
    vr = f32x4.add(f32x4.mul(b2, vr), f32x4.mul(f32x4.mul(c2, gr), gr));
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vr, ib2)), veps);
    pr = f32x4.sub(pr, f32x4.div(f32x4.mul(vlr, f32x4.mul(mr, ib1)), den));
    v128.store(pp + o, pr); v128.store(mp + o, mr); v128.store(vp + o, vr);
  }
  for (; i < n; i++) {
    // Same arithmetic on a splatted lane.
    const o = <usize>i << 2;
    let pr = f32x4.splat(f32.load(pp + o)), gr = f32x4.splat(f32.load(gp + o));
    let mr = f32x4.splat(f32.load(mp + o)), vr = f32x4.splat(f32.load(vp + o));
    if (mode == 2) pr = f32x4.mul(pr, vsh);
    else if (mode == 1) gr = f32x4.add(gr, f32x4.mul(vwd, pr));
    mr = f32x4.add(f32x4.mul(b1, mr), f32x4.mul(c1, gr));
    vr = f32x4.add(f32x4.mul(b2, vr), f32x4.mul(f32x4.mul(c2, gr), gr));
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vr, ib2)), veps);
    pr = f32x4.sub(pr, f32x4.div(f32x4.mul(vlr, f32x4.mul(mr, ib1)), den));
    f32.store(pp + o, f32x4.extract_lane(pr, 0));
    f32.store(mp + o, f32x4.extract_lane(mr, 0));
    f32.store(vp + o, f32x4.extract_lane(vr, 0));
  }
}

export function polyak(n: i32, target: i32, source: i32, tau: f64): void {
  const t = addr(target), s = addr(source);
  const a = <f32>(1 - tau), b = <f32>tau;
  const va = f32x4.splat(a), vb = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(t + o, f32x4.add(f32x4.mul(va, v128.load(t + o)), f32x4.mul(vb, v128.load(s + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    f32.store(t + o, a * f32.load(t + o) + b * f32.load(s + o));
  }
}

export function axpby(n: i32, alpha: f64, x: i32, beta: f64, y: i32): void {
  const xp = addr(x), yp = addr(y);
  const a = <f32>alpha, b = <f32>beta;
  const va = f32x4.splat(a), vb = f32x4.splat(b);
  let i = 0;
  if (b == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(yp + o, f32x4.mul(va, v128.load(xp + o)));
    }
    for (; i < n; i++) { const o = <usize>i << 2; f32.store(yp + o, a * f32.load(xp + o)); }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yp + o, f32x4.add(f32x4.mul(va, v128.load(xp + o)), f32x4.mul(vb, v128.load(yp + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    f32.store(yp + o, a * f32.load(xp + o) + b * f32.load(yp + o));
  }
}

/** pmax(x, lo) = x < lo ? lo : x and pmin(v, hi) = hi < v ? hi : v: a NaN x passes through, as in the reference. */
export function clamp(n: i32, x: i32, lo: f64, hi: f64, y: i32): void {
  const xp = addr(x), yp = addr(y);
  const vl = f32x4.splat(<f32>lo), vh = f32x4.splat(<f32>hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yp + o, f32x4.pmin(f32x4.pmax(v128.load(xp + o), vl), vh));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    f32.store(yp + o, f32x4.extract_lane(f32x4.pmin(f32x4.pmax(f32x4.splat(f32.load(xp + o)), vl), vh), 0));
  }
}

export function fill(n: i32, y: i32, value: f64): void {
  const yp = addr(y);
  const v = <f32>value;
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    v128.store(yp + o, vv); v128.store(yp + o, vv, 16); v128.store(yp + o, vv, 32); v128.store(yp + o, vv, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(yp + (<usize>i << 2), vv);
  for (; i < n; i++) f32.store(yp + (<usize>i << 2), v);
}

// ---------------------------------------------------------------- sumSquares

export function sumSquares(n: i32, x: i32): f64 {
  const xp = addr(x);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v = v128.load(xp + o), w = v128.load(xp + o, 16);
    const v0 = f64x2.promote_low_f32x4(v), v1 = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
    const w0 = f64x2.promote_low_f32x4(w), w1 = f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 2, 3));
    s0 = f64x2.add(s0, f64x2.mul(v0, v0));
    s1 = f64x2.add(s1, f64x2.mul(v1, v1));
    s2 = f64x2.add(s2, f64x2.mul(w0, w0));
    s3 = f64x2.add(s3, f64x2.mul(w1, w1));
  }
  const t = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  for (; i < n; i++) {
    const v = <f64>f32.load(xp + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

// ---------------------------------------------------------------- unary

const U_NEG = 0, U_EXP = 1, U_LOG = 2, U_TANH = 3, U_RELU = 4, U_ELU = 5, U_SIGMOID = 6,
  U_SOFTPLUS = 7, U_SQUARE = 8, U_SQRT = 9, U_ABS = 10;

@inline function unary4(op: i32, v: v128): v128 {
  if (op == U_NEG) return f32x4.neg(v);
  if (op == U_EXP) return exp4(v);
  if (op == U_TANH) return tanh4(v);
  if (op == U_RELU) return relu4(v);
  if (op == U_ELU) return elu4(v);
  if (op == U_SIGMOID) return sigmoid4(v);
  if (op == U_SQUARE) return f32x4.mul(v, v);
  if (op == U_SQRT) return f32x4.sqrt(v);
  if (op == U_ABS) return f32x4.abs(v);
  return v;
}

@inline function unaryWith(op: i32, n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, unary4(op, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    f32.store(y + o, f32x4.extract_lane(unary4(op, f32x4.splat(f32.load(x + o))), 0));
  }
}

/** log1p(e^v) + max(v, 0) without overflow: the reference's softplus. */
@inline function softplus1(v: f32): f32 {
  return max(v, <f32>0) + Mathf.log1p(Mathf.exp(-Mathf.abs(v)));
}

function unaryNeg(n: i32, x: usize, y: usize): void { unaryWith(U_NEG, n, x, y); }
function unaryExp(n: i32, x: usize, y: usize): void { unaryWith(U_EXP, n, x, y); }
function unaryTanh(n: i32, x: usize, y: usize): void { unaryWith(U_TANH, n, x, y); }
function unaryRelu(n: i32, x: usize, y: usize): void { unaryWith(U_RELU, n, x, y); }
function unaryElu(n: i32, x: usize, y: usize): void { unaryWith(U_ELU, n, x, y); }
function unarySigmoid(n: i32, x: usize, y: usize): void { unaryWith(U_SIGMOID, n, x, y); }
function unarySquare(n: i32, x: usize, y: usize): void { unaryWith(U_SQUARE, n, x, y); }
function unarySqrt(n: i32, x: usize, y: usize): void { unaryWith(U_SQRT, n, x, y); }
function unaryAbs(n: i32, x: usize, y: usize): void { unaryWith(U_ABS, n, x, y); }

function unaryLog(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    f32.store(y + o, Mathf.log(f32.load(x + o)));
  }
}

function unarySoftplus(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = f32.load(x + o);
    // NaN must stay NaN.
    f32.store(y + o, v != v ? v : softplus1(v));
  }
}

export function unary(op: i32, n: i32, x: i32, y: i32): void {
  const xp = addr(x), yp = addr(y);
  switch (op) {
    case U_NEG: unaryNeg(n, xp, yp); break;
    case U_EXP: unaryExp(n, xp, yp); break;
    case U_LOG: unaryLog(n, xp, yp); break;
    case U_TANH: unaryTanh(n, xp, yp); break;
    case U_RELU: unaryRelu(n, xp, yp); break;
    case U_ELU: unaryElu(n, xp, yp); break;
    case U_SIGMOID: unarySigmoid(n, xp, yp); break;
    case U_SOFTPLUS: unarySoftplus(n, xp, yp); break;
    case U_SQUARE: unarySquare(n, xp, yp); break;
    case U_SQRT: unarySqrt(n, xp, yp); break;
    case U_ABS: unaryAbs(n, xp, yp); break;
    default: unreachable();
  }
}

// ---------------------------------------------------------------- binary

const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5, B_SQDIFF = 6;

@inline function binary4(op: i32, a: v128, b: v128): v128 {
  if (op == B_ADD) return f32x4.add(a, b);
  if (op == B_SUB) return f32x4.sub(a, b);
  if (op == B_MUL) return f32x4.mul(a, b);
  if (op == B_DIV) return f32x4.div(a, b);
  if (op == B_MAX) return f32x4.max(a, b);
  if (op == B_MIN) return f32x4.min(a, b);
  const d = f32x4.sub(a, b);
  return f32x4.mul(d, d);
}

@inline function binary1(op: i32, a: f32, b: f32): f32 {
  return f32x4.extract_lane(binary4(op, f32x4.splat(a), f32x4.splat(b)), 0);
}

/**
 * One row of n outputs; a and b step by sa, sb bytes (0 = broadcast, 4 = contiguous,
 * anything else = strided gather).
 */
@inline function binaryRow(op: i32, n: i32, a: usize, sa: usize, b: usize, sb: usize, y: usize): void {
  let j = 0;
  if (sa == 4 && sb == 4) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, binary4(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (sa == 4 && sb == 0) {
    const vb = v128.load32_splat(b);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, binary4(op, v128.load(a + o), vb));
    }
  } else if (sa == 0 && sb == 4) {
    const va = v128.load32_splat(a);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, binary4(op, va, v128.load(b + o)));
    }
  }
  for (; j < n; j++) {
    f32.store(y + (<usize>j << 2), binary1(op, f32.load(a + <usize>j * sa), f32.load(b + <usize>j * sb)));
  }
}

@inline function binaryWith(op: i32, rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32,
  b: usize, bRs: i32, bCs: i32, y: usize): void {
  // Collapse to one long row when both operands are row-contiguous (or scalars).
  const aFlat = (aCs == 1 && aRs == cols) || (aCs == 0 && aRs == 0);
  const bFlat = (bCs == 1 && bRs == cols) || (bCs == 0 && bRs == 0);
  if (aFlat && bFlat) {
    binaryRow(op, rows * cols, a, <usize>aCs << 2, b, <usize>bCs << 2, y);
    return;
  }
  const sa = <usize>aCs << 2, sb = <usize>bCs << 2;
  const ra = <usize>aRs << 2, rb = <usize>bRs << 2, ry = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    binaryRow(op, cols, a, sa, b, sb, y);
    a += ra; b += rb; y += ry;
  }
}

function binaryAdd(rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32, b: usize, bRs: i32, bCs: i32, y: usize): void { binaryWith(B_ADD, rows, cols, a, aRs, aCs, b, bRs, bCs, y); }
function binarySub(rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32, b: usize, bRs: i32, bCs: i32, y: usize): void { binaryWith(B_SUB, rows, cols, a, aRs, aCs, b, bRs, bCs, y); }
function binaryMul(rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32, b: usize, bRs: i32, bCs: i32, y: usize): void { binaryWith(B_MUL, rows, cols, a, aRs, aCs, b, bRs, bCs, y); }
function binaryDiv(rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32, b: usize, bRs: i32, bCs: i32, y: usize): void { binaryWith(B_DIV, rows, cols, a, aRs, aCs, b, bRs, bCs, y); }
function binaryMax(rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32, b: usize, bRs: i32, bCs: i32, y: usize): void { binaryWith(B_MAX, rows, cols, a, aRs, aCs, b, bRs, bCs, y); }
function binaryMin(rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32, b: usize, bRs: i32, bCs: i32, y: usize): void { binaryWith(B_MIN, rows, cols, a, aRs, aCs, b, bRs, bCs, y); }
function binarySqdiff(rows: i32, cols: i32, a: usize, aRs: i32, aCs: i32, b: usize, bRs: i32, bCs: i32, y: usize): void { binaryWith(B_SQDIFF, rows, cols, a, aRs, aCs, b, bRs, bCs, y); }

export function binary(op: i32, rows: i32, cols: i32, a: i32, aRs: i32, aCs: i32,
  b: i32, bRs: i32, bCs: i32, y: i32): void {
  const ap = addr(a), bp = addr(b), yp = addr(y);
  switch (op) {
    case B_ADD: binaryAdd(rows, cols, ap, aRs, aCs, bp, bRs, bCs, yp); break;
    case B_SUB: binarySub(rows, cols, ap, aRs, aCs, bp, bRs, bCs, yp); break;
    case B_MUL: binaryMul(rows, cols, ap, aRs, aCs, bp, bRs, bCs, yp); break;
    case B_DIV: binaryDiv(rows, cols, ap, aRs, aCs, bp, bRs, bCs, yp); break;
    case B_MAX: binaryMax(rows, cols, ap, aRs, aCs, bp, bRs, bCs, yp); break;
    case B_MIN: binaryMin(rows, cols, ap, aRs, aCs, bp, bRs, bCs, yp); break;
    case B_SQDIFF: binarySqdiff(rows, cols, ap, aRs, aCs, bp, bRs, bCs, yp); break;
    default: unreachable();
  }
}

// ---------------------------------------------------------------- reduce

const R_SUM = 0, R_MEAN = 1, R_MAX = 2;

@inline function reduceWith(isMax: bool, mean: bool, outer: i32, len: i32, inner: i32, x: usize, y: usize): void {
  const init: f32 = isMax ? -Infinity : 0;
  const vinit = f32x4.splat(init);
  const inv: f32 = <f32>len;
  const rowB = <usize>inner << 2;
  if (inner == 1) {
    // Contiguous runs of len: vector partial results, then a horizontal fold.
    for (let o = 0; o < outer; o++) {
      let a0 = vinit, a1 = vinit;
      let k = 0;
      for (; k + 8 <= len; k += 8) {
        const p = x + (<usize>k << 2);
        if (isMax) { a0 = f32x4.max(a0, v128.load(p)); a1 = f32x4.max(a1, v128.load(p, 16)); }
        else { a0 = f32x4.add(a0, v128.load(p)); a1 = f32x4.add(a1, v128.load(p, 16)); }
      }
      let acc = isMax ? f32x4.max(a0, a1) : f32x4.add(a0, a1);
      if (isMax) acc = f32x4.max(acc, i32x4.shuffle(acc, acc, 2, 3, 0, 1));
      else acc = f32x4.add(acc, i32x4.shuffle(acc, acc, 2, 3, 0, 1));
      if (isMax) acc = f32x4.max(acc, i32x4.shuffle(acc, acc, 1, 0, 3, 2));
      else acc = f32x4.add(acc, i32x4.shuffle(acc, acc, 1, 0, 3, 2));
      for (; k < len; k++) {
        const v = v128.load32_splat(x + (<usize>k << 2));
        acc = isMax ? f32x4.max(acc, v) : f32x4.add(acc, v);
      }
      let r = f32x4.extract_lane(acc, 0);
      if (mean) r = r / inv;
      f32.store(y + (<usize>o << 2), r);
      x += <usize>len << 2;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      let acc = vinit;
      let p = x + (<usize>i << 2);
      for (let k = 0; k < len; k++) {
        acc = isMax ? f32x4.max(acc, v128.load(p)) : f32x4.add(acc, v128.load(p));
        p += rowB;
      }
      if (mean) acc = f32x4.div(acc, f32x4.splat(inv));
      v128.store(y + (<usize>i << 2), acc);
    }
    for (; i < inner; i++) {
      let acc = vinit;
      let p = x + (<usize>i << 2);
      for (let k = 0; k < len; k++) {
        const v = v128.load32_splat(p);
        acc = isMax ? f32x4.max(acc, v) : f32x4.add(acc, v);
        p += rowB;
      }
      if (mean) acc = f32x4.div(acc, f32x4.splat(inv));
      f32.store(y + (<usize>i << 2), f32x4.extract_lane(acc, 0));
    }
    x += <usize>len * rowB;
    y += rowB;
  }
}

function reduceSum(outer: i32, len: i32, inner: i32, x: usize, y: usize): void { reduceWith(false, false, outer, len, inner, x, y); }
function reduceMean(outer: i32, len: i32, inner: i32, x: usize, y: usize): void { reduceWith(false, true, outer, len, inner, x, y); }
function reduceMax(outer: i32, len: i32, inner: i32, x: usize, y: usize): void { reduceWith(true, false, outer, len, inner, x, y); }

export function reduce(op: i32, outer: i32, len: i32, inner: i32, x: i32, y: i32): void {
  const xp = addr(x), yp = addr(y);
  if (op == R_SUM) reduceSum(outer, len, inner, xp, yp);
  else if (op == R_MEAN) reduceMean(outer, len, inner, xp, yp);
  else if (op == R_MAX) reduceMax(outer, len, inner, xp, yp);
  else unreachable();
}
