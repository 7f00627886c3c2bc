// GRU cell: the elementwise part of one step (PyTorch's nn.GRU equations; the GEMMs
// x·W_ihᵀ and h·W_hhᵀ run before it). Rows hold the gate blocks [r | z | n] of H
// floats each (GRU_R/Z/N order). Each row runs 4 lanes at a time; the last vector of a
// row loads past its end (the next row, or the arena's slack) and stores only the
// lanes inside the row, so tails round exactly as full lanes do.
import { NONE, addr, sigmoid4, storePartial, tanh4 } from './common';

const GRU_R: usize = 0;
const GRU_Z: usize = 1;
const GRU_N: usize = 2;

/** y = (1 − z) ⊙ n + z ⊙ h; gates (unless NONE) = [r | z | n]; y may alias h. */
export function gruForward(batch: i32, hidden: i32, gi: i32, gh: i32, h: i32, y: i32, gates: i32): void {
  const save = gates != NONE;
  const hb = <usize>hidden << 2;
  let GI = addr(gi), GH = addr(gh), HP = addr(h), Y = addr(y), G = save ? addr(gates) : 0;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < hidden; j += 4) {
      const o = <usize>j << 2;
      const r = sigmoid4(f32x4.add(v128.load(GI + GRU_R * hb + o), v128.load(GH + GRU_R * hb + o)));
      const z = sigmoid4(f32x4.add(v128.load(GI + GRU_Z * hb + o), v128.load(GH + GRU_Z * hb + o)));
      const n = tanh4(f32x4.add(v128.load(GI + GRU_N * hb + o), f32x4.mul(r, v128.load(GH + GRU_N * hb + o))));
      const hv = v128.load(HP + o);
      const cnt = hidden - j;
      storePartial(Y + o, f32x4.add(n, f32x4.mul(z, f32x4.sub(hv, n))), cnt);
      if (save) {
        storePartial(G + GRU_R * hb + o, r, cnt);
        storePartial(G + GRU_Z * hb + o, z, cnt);
        storePartial(G + GRU_N * hb + o, n, cnt);
      }
    }
    GI += 3 * hb; GH += 3 * hb; HP += hb; Y += hb;
    if (save) G += 3 * hb;
  }
}

/**
 * d = dy + dhIn (dhIn may be NONE); dgi = [dr | dz | dn], dgh = [dr | dz | r ⊙ dn], dh = z ⊙ d
 * (see Backend.gruBackward); dh may alias dy or dhIn.
 */
export function gruBackward(batch: i32, hidden: i32, gates: i32, gh: i32, h: i32, dy: i32, dhIn: i32,
  dgi: i32, dgh: i32, dh: i32): void {
  const carry = dhIn != NONE;
  const hb = <usize>hidden << 2;
  let G = addr(gates), GH = addr(gh), HP = addr(h), DY = addr(dy), DI = carry ? addr(dhIn) : 0;
  let DGI = addr(dgi), DGH = addr(dgh), DH = addr(dh);
  const one = f32x4.splat(1);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < hidden; j += 4) {
      const o = <usize>j << 2;
      let d = v128.load(DY + o);
      if (carry) d = f32x4.add(d, v128.load(DI + o));
      const r = v128.load(G + GRU_R * hb + o), z = v128.load(G + GRU_Z * hb + o), n = v128.load(G + GRU_N * hb + o);
      // 1 − n² as (1 − n)(1 + n): no cancellation where |n| → 1.
      const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.mul(f32x4.sub(one, n), f32x4.add(one, n)));
      const dr = f32x4.mul(f32x4.mul(dn, v128.load(GH + GRU_N * hb + o)), f32x4.mul(r, f32x4.sub(one, r)));
      const dz = f32x4.mul(f32x4.mul(d, f32x4.sub(v128.load(HP + o), n)), f32x4.mul(z, f32x4.sub(one, z)));
      const cnt = hidden - j;
      storePartial(DGI + GRU_R * hb + o, dr, cnt);
      storePartial(DGI + GRU_Z * hb + o, dz, cnt);
      storePartial(DGI + GRU_N * hb + o, dn, cnt);
      storePartial(DGH + GRU_R * hb + o, dr, cnt);
      storePartial(DGH + GRU_Z * hb + o, dz, cnt);
      storePartial(DGH + GRU_N * hb + o, f32x4.mul(r, dn), cnt);
      storePartial(DH + o, f32x4.mul(z, d), cnt);
    }
    G += 3 * hb; GH += 3 * hb; HP += hb; DY += hb; DGI += 3 * hb; DGH += 3 * hb; DH += hb;
    if (carry) DI += hb;
  }
}
