// Dynamic (generated-weight) layer: a batch of small per-sample mat-vecs,
//   y[b] = act((1 + g[b]) ⊙ (W[b] · x[b]) + c[b]),  W[b] out×inp row-major.
// Typical shapes are tiny (out 64, inp 6; out 1, inp 64), so the kernels work on
// 4 output rows at a time: one f32x4 accumulator per row over inp, then a 4-way
// horizontal sum yields the 4 outputs in one vector. The inp tail (inp % 4) is
// read as a full vector and masked with AND before multiplying, so the few
// floats read past a row (never past the arena's slack) cannot inject NaN.
import {
  ACT_ELU, ACT_IDENTITY, ACT_RELU, ACT_SIGMOID, ACT_TANH, NONE,
  act4, addr, dot1, dot4, laneMask, storePartial,
} from './common';

@inline function forwardWith(act: i32, batch: i32, out: i32, inp: i32,
  x: usize, ldx: usize, w: usize, ldw: usize, g: usize, ldg: usize,
  c: usize, ldc: usize, y: usize, ldy: usize): void {
  const i4 = inp & ~3;
  const tail = laneMask(inp - i4);
  const rb = <usize>inp << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < batch; b++) {
    let o = 0;
    let wr = w;
    for (; o + 4 <= out; o += 4) {
      const s = dot4(wr, rb, x, inp, i4, tail);
      const q = <usize>o << 2;
      const v = f32x4.add(f32x4.mul(f32x4.add(one, v128.load(g + q)), s), v128.load(c + q));
      v128.store(y + q, act4(act, v));
      wr += rb << 2;
    }
    for (; o < out; o++) {
      const s = dot1(wr, x, inp, i4, tail);
      const q = <usize>o << 2;
      const v = (<f32>1 + f32.load(g + q)) * s + f32.load(c + q);
      f32.store(y + q, f32x4.extract_lane(act4(act, f32x4.splat(v)), 0));
      wr += rb;
    }
    x += ldx; w += ldw; g += ldg; c += ldc; y += ldy;
  }
}

function forwardIdentity(batch: i32, out: i32, inp: i32, x: usize, ldx: usize, w: usize, ldw: usize, g: usize, ldg: usize, c: usize, ldc: usize, y: usize, ldy: usize): void {
  forwardWith(ACT_IDENTITY, batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, y, ldy);
}
function forwardRelu(batch: i32, out: i32, inp: i32, x: usize, ldx: usize, w: usize, ldw: usize, g: usize, ldg: usize, c: usize, ldc: usize, y: usize, ldy: usize): void {
  forwardWith(ACT_RELU, batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, y, ldy);
}
function forwardTanh(batch: i32, out: i32, inp: i32, x: usize, ldx: usize, w: usize, ldw: usize, g: usize, ldg: usize, c: usize, ldc: usize, y: usize, ldy: usize): void {
  forwardWith(ACT_TANH, batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, y, ldy);
}
function forwardElu(batch: i32, out: i32, inp: i32, x: usize, ldx: usize, w: usize, ldw: usize, g: usize, ldg: usize, c: usize, ldc: usize, y: usize, ldy: usize): void {
  forwardWith(ACT_ELU, batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, y, ldy);
}
function forwardSigmoid(batch: i32, out: i32, inp: i32, x: usize, ldx: usize, w: usize, ldw: usize, g: usize, ldg: usize, c: usize, ldc: usize, y: usize, ldy: usize): void {
  forwardWith(ACT_SIGMOID, batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, y, ldy);
}

export function dynamicForward(batch: i32, out: i32, inp: i32,
  x: i32, ldx: i32, w: i32, ldw: i32, g: i32, ldg: i32,
  c: i32, ldc: i32, act: i32, y: i32, ldy: i32): void {
  const X = addr(x), W = addr(w), G = addr(g), Cp = addr(c), Y = addr(y);
  const sx = addr(ldx), sw = addr(ldw), sg = addr(ldg), sc = addr(ldc), sy = addr(ldy);
  switch (act) {
    case ACT_RELU: forwardRelu(batch, out, inp, X, sx, W, sw, G, sg, Cp, sc, Y, sy); break;
    case ACT_TANH: forwardTanh(batch, out, inp, X, sx, W, sw, G, sg, Cp, sc, Y, sy); break;
    case ACT_ELU: forwardElu(batch, out, inp, X, sx, W, sw, G, sg, Cp, sc, Y, sy); break;
    case ACT_SIGMOID: forwardSigmoid(batch, out, inp, X, sx, W, sw, G, sg, Cp, sc, Y, sy); break;
    default: forwardIdentity(batch, out, inp, X, sx, W, sw, G, sg, Cp, sc, Y, sy); break;
  }
}

/**
 * dx[b] = W[b]ᵀ s,  dW[b] = s x[b]ᵀ,  dg[b] = dy[b] ⊙ (W[b] x[b]),  dc[b] = dy[b],
 * with s = (1 + g[b]) ⊙ dy[b]; outputs given as NONE are skipped.
 */
export function dynamicBackward(batch: i32, out: i32, inp: i32,
  x: i32, ldx: i32, w: i32, ldw: i32, g: i32, ldg: i32,
  dy: i32, lddy: i32,
  dx: i32, lddx: i32, dw: i32, lddw: i32, dg: i32, lddg: i32,
  dc: i32, lddc: i32): void {
  const i4 = inp & ~3;
  const tail = laneMask(inp - i4);
  const rb = <usize>inp << 2;
  let X = addr(x), W = addr(w), G = addr(g), DY = addr(dy);
  let DX = addr(dx), DW = addr(dw), DG = addr(dg), DC = addr(dc);
  const sx = addr(ldx), sw = addr(ldw), sg = addr(ldg), sdy = addr(lddy);
  const sdx = addr(lddx), sdw = addr(lddw), sdg = addr(lddg), sdc = addr(lddc);
  const wantDx = dx != NONE, wantDw = dw != NONE, wantDg = dg != NONE, wantDc = dc != NONE;
  for (let b = 0; b < batch; b++) {
    if (wantDg) {
      let o = 0;
      let wr = W;
      for (; o + 4 <= out; o += 4) {
        const q = <usize>o << 2;
        v128.store(DG + q, f32x4.mul(v128.load(DY + q), dot4(wr, rb, X, inp, i4, tail)));
        wr += rb << 2;
      }
      for (; o < out; o++) {
        const q = <usize>o << 2;
        f32.store(DG + q, f32.load(DY + q) * dot1(wr, X, inp, i4, tail));
        wr += rb;
      }
    }
    if (wantDc) {
      let o = 0;
      for (; o + 4 <= out; o += 4) v128.store(DC + (<usize>o << 2), v128.load(DY + (<usize>o << 2)));
      for (; o < out; o++) f32.store(DC + (<usize>o << 2), f32.load(DY + (<usize>o << 2)));
    }
    if (wantDw) {
      let dwr = DW;
      for (let o = 0; o < out; o++) {
        const q = <usize>o << 2;
        const sv = f32x4.splat((<f32>1 + f32.load(G + q)) * f32.load(DY + q));
        let i = 0;
        for (; i < i4; i += 4) {
          const p = <usize>i << 2;
          v128.store(dwr + p, f32x4.mul(sv, v128.load(X + p)));
        }
        if (i < inp) storePartial(dwr + (<usize>i << 2), f32x4.mul(sv, v128.load(X + (<usize>i << 2))), inp - i);
        dwr += rb;
      }
    }
    if (wantDx) {
      // Two input chunks (8 floats) at a time, accumulated over all output rows.
      for (let i0 = 0; i0 < inp; i0 += 8) {
        const rem = inp - i0;
        const p = <usize>i0 << 2;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        let wr = W + p;
        if (rem >= 8) {
          for (let o = 0; o < out; o++) {
            const q = <usize>o << 2;
            const sv = f32x4.splat((<f32>1 + f32.load(G + q)) * f32.load(DY + q));
            a0 = f32x4.add(a0, f32x4.mul(sv, v128.load(wr)));
            a1 = f32x4.add(a1, f32x4.mul(sv, v128.load(wr, 16)));
            wr += rb;
          }
          v128.store(DX + p, a0);
          v128.store(DX + p, a1, 16);
        } else if (rem > 4) {
          const m1 = laneMask(rem - 4);
          for (let o = 0; o < out; o++) {
            const q = <usize>o << 2;
            const sv = f32x4.splat((<f32>1 + f32.load(G + q)) * f32.load(DY + q));
            a0 = f32x4.add(a0, f32x4.mul(sv, v128.load(wr)));
            a1 = f32x4.add(a1, f32x4.mul(sv, v128.and(v128.load(wr, 16), m1)));
            wr += rb;
          }
          v128.store(DX + p, a0);
          storePartial(DX + p + 16, a1, rem - 4);
        } else {
          const m0 = laneMask(rem);
          for (let o = 0; o < out; o++) {
            const q = <usize>o << 2;
            const sv = f32x4.splat((<f32>1 + f32.load(G + q)) * f32.load(DY + q));
            a0 = f32x4.add(a0, f32x4.mul(sv, v128.and(v128.load(wr), m0)));
            wr += rb;
          }
          storePartial(DX + p, a0, rem);
        }
      }
    }
    X += sx; W += sw; G += sg; DY += sdy;
    DX += sdx; DW += sdw; DG += sdg; DC += sdc;
  }
}
