// GRU cell: the elementwise part of one step (PyTorch's nn.GRU equations; the GEMMs
// x·W_ihᵀ and h·W_hhᵀ run before it). Rows hold the gate blocks [r | z | n] of H
// floats each (GRU_R/Z/N order). Each row runs 4 lanes at a time; the last vector of a
// row loads past its end (the next row, or the arena's slack) and stores only the
// lanes inside the row, so tails round exactly as full lanes do. Each kernel has one
// copy per form (gates saved or not; gradient carried in or not): a runtime test
// inside the loop made the saving forward 2–3× slower (measured).
import { NONE, addr, sigmoid4, storePartial, tanh4 } from './common';

const GRU_R: usize = 0;
const GRU_Z: usize = 1;
const GRU_N: usize = 2;

/** The forward cell on lanes [o, o + 16·cnt) of one row (cnt = 4 inside the row, fewer at its end). */
@inline function forwardLanes(GI: usize, GH: usize, HP: usize, Y: usize, G: usize, save: bool, hb: usize, o: usize, cnt: i32): void {
  const r = sigmoid4(f32x4.add(v128.load(GI + GRU_R * hb + o), v128.load(GH + GRU_R * hb + o)));
  const z = sigmoid4(f32x4.add(v128.load(GI + GRU_Z * hb + o), v128.load(GH + GRU_Z * hb + o)));
  const n = tanh4(f32x4.add(v128.load(GI + GRU_N * hb + o), f32x4.mul(r, v128.load(GH + GRU_N * hb + o))));
  const hv = v128.load(HP + o);
  storePartial(Y + o, f32x4.add(n, f32x4.mul(z, f32x4.sub(hv, n))), cnt);
  if (save) {
    storePartial(G + GRU_R * hb + o, r, cnt);
    storePartial(G + GRU_Z * hb + o, z, cnt);
    storePartial(G + GRU_N * hb + o, n, cnt);
  }
}

/** y = (1 − z) ⊙ n + z ⊙ h; gates (unless NONE) = [r | z | n]; y may alias h. */
@inline function forwardWith(save: bool, batch: i32, hidden: i32, GI: usize, GH: usize, HP: usize, Y: usize, G: usize): void {
  const hb = <usize>hidden << 2;
  const h4 = hidden & ~3;
  for (let b = 0; b < batch; b++) {
    let j = 0;
    for (; j < h4; j += 4) forwardLanes(GI, GH, HP, Y, G, save, hb, <usize>j << 2, 4);
    if (j < hidden) forwardLanes(GI, GH, HP, Y, G, save, hb, <usize>j << 2, hidden - j);
    GI += 3 * hb; GH += 3 * hb; HP += hb; Y += hb;
    if (save) G += 3 * hb;
  }
}

function forwardSaving(batch: i32, hidden: i32, GI: usize, GH: usize, HP: usize, Y: usize, G: usize): void { forwardWith(true, batch, hidden, GI, GH, HP, Y, G); }
function forwardOnly(batch: i32, hidden: i32, GI: usize, GH: usize, HP: usize, Y: usize): void { forwardWith(false, batch, hidden, GI, GH, HP, Y, 0); }

export function gruForward(batch: i32, hidden: i32, gi: i32, gh: i32, h: i32, y: i32, gates: i32): void {
  if (gates == NONE) forwardOnly(batch, hidden, addr(gi), addr(gh), addr(h), addr(y));
  else forwardSaving(batch, hidden, addr(gi), addr(gh), addr(h), addr(y), addr(gates));
}

/** The backward cell on lanes [o, o + 16·cnt) of one row (cnt = 4 inside the row, fewer at its end). */
@inline function backwardLanes(G: usize, GH: usize, HP: usize, DY: usize, DI: usize, carry: bool, DGI: usize, DGH: usize, DH: usize,
  hb: usize, o: usize, cnt: i32): void {
  const one = f32x4.splat(1);
  let d = v128.load(DY + o);
  if (carry) d = f32x4.add(d, v128.load(DI + o));
  const r = v128.load(G + GRU_R * hb + o), z = v128.load(G + GRU_Z * hb + o), n = v128.load(G + GRU_N * hb + o);
  // 1 − n² as (1 − n)(1 + n): no cancellation where |n| → 1.
  const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.mul(f32x4.sub(one, n), f32x4.add(one, n)));
  const dr = f32x4.mul(f32x4.mul(dn, v128.load(GH + GRU_N * hb + o)), f32x4.mul(r, f32x4.sub(one, r)));
  const dz = f32x4.mul(f32x4.mul(d, f32x4.sub(v128.load(HP + o), n)), f32x4.mul(z, f32x4.sub(one, z)));
  storePartial(DGI + GRU_R * hb + o, dr, cnt);
  storePartial(DGI + GRU_Z * hb + o, dz, cnt);
  storePartial(DGI + GRU_N * hb + o, dn, cnt);
  storePartial(DGH + GRU_R * hb + o, dr, cnt);
  storePartial(DGH + GRU_Z * hb + o, dz, cnt);
  storePartial(DGH + GRU_N * hb + o, f32x4.mul(r, dn), cnt);
  storePartial(DH + o, f32x4.mul(z, d), cnt);
}

@inline function backwardWith(carry: bool, batch: i32, hidden: i32, G: usize, GH: usize, HP: usize, DY: usize, DI: usize,
  DGI: usize, DGH: usize, DH: usize): void {
  const hb = <usize>hidden << 2;
  const h4 = hidden & ~3;
  for (let b = 0; b < batch; b++) {
    let j = 0;
    for (; j < h4; j += 4) backwardLanes(G, GH, HP, DY, DI, carry, DGI, DGH, DH, hb, <usize>j << 2, 4);
    if (j < hidden) backwardLanes(G, GH, HP, DY, DI, carry, DGI, DGH, DH, hb, <usize>j << 2, hidden - j);
    G += 3 * hb; GH += 3 * hb; HP += hb; DY += hb; DGI += 3 * hb; DGH += 3 * hb; DH += hb;
    if (carry) DI += hb;
  }
}

function backwardCarried(batch: i32, hidden: i32, G: usize, GH: usize, HP: usize, DY: usize, DI: usize, DGI: usize, DGH: usize, DH: usize): void {
  backwardWith(true, batch, hidden, G, GH, HP, DY, DI, DGI, DGH, DH);
}
function backwardFirst(batch: i32, hidden: i32, G: usize, GH: usize, HP: usize, DY: usize, DGI: usize, DGH: usize, DH: usize): void {
  backwardWith(false, batch, hidden, G, GH, HP, DY, 0, DGI, DGH, DH);
}

/**
 * d = dy + dhIn (dhIn may be NONE); dgi = [dr | dz | dn], dgh = [dr | dz | r ⊙ dn], dh = z ⊙ d
 * (see Backend.gruBackward); dh may alias dy or dhIn.
 */
export function gruBackward(batch: i32, hidden: i32, gates: i32, gh: i32, h: i32, dy: i32, dhIn: i32,
  dgi: i32, dgh: i32, dh: i32): void {
  if (dhIn == NONE) backwardFirst(batch, hidden, addr(gates), addr(gh), addr(h), addr(dy), addr(dgi), addr(dgh), addr(dh));
  else backwardCarried(batch, hidden, addr(gates), addr(gh), addr(h), addr(dy), addr(dhIn), addr(dgi), addr(dgh), addr(dh));
}
