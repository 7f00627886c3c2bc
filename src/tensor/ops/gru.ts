/**
 * A GRU layer over a whole sequence (PyTorch's nn.GRU: one layer, one direction), with
 * optional per-step resets of the hidden state at episode boundaries.
 *
 * Per step t, with h the previous hidden state (h0 at t = 0) and gates in GruGate order
 * [r | z | n] along 3H:
 *   h̃ = (1 − reset_t) ⊙ h                           (row-wise; no resets: h̃ = h)
 *   gi = x_t·W_ihᵀ + b_ih,  gh = h̃·W_hhᵀ + b_hh
 *   r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z),  n = tanh(gi_n + r ⊙ gh_n)
 *   h_t = (1 − z) ⊙ n + z ⊙ h̃
 *
 * Work split. The input projection of all T steps is one GEMM ([T·B, in] × W_ihᵀ, bias
 * fused); each step is one GEMM for h̃·W_hhᵀ (bias fused) and one fused cell kernel
 * (Backend.gruForward) for everything elementwise. Backward through time runs the cell's
 * backward kernel and one GEMM (dh̃ += dgh·W_hh) per step, and leaves the parameter and
 * input gradients to three GEMMs and two column sums over the whole sequence, so no
 * per-step weight-gradient tensors are made or summed.
 *
 * The whole sequence is one tape node; its first-order gradient is the kernel path above.
 * When the backward pass is itself recorded (createGraph, for second order), the same
 * gradients are built from differentiable ops instead.
 */
import { Act, Binary, GruGate, NONE } from '../kernels.js';
import { Tensor, fmtShape } from '../tensor.js';
import { add, affine, mul, sigmoid, square, sub, sum, tanh } from './elementwise.js';
import { matmul } from './matmul.js';
import { concat, reshape, slice } from './shape.js';

/** A GRU's parameters in PyTorch's layout: W_ih [3H, in], W_hh [3H, H], b_ih and b_hh [3H]. */
export interface GruParams {
  readonly Wih: Tensor;
  readonly Whh: Tensor;
  readonly bih: Tensor;
  readonly bhh: Tensor;
}

function checkShapes(x: Tensor, h0: Tensor, p: GruParams, resets: Tensor | null): [number, number, number, number] {
  if (x.rank !== 3) throw new RangeError(`gru: x must be [T, B, in], got ${fmtShape(x.shape)}`);
  const [steps, batch, inp] = x.shape as [number, number, number];
  if (steps < 1 || batch < 1) throw new RangeError(`gru: x must have at least one step and one row, got ${fmtShape(x.shape)}`);
  if (h0.rank !== 2 || h0.shape[0] !== batch) throw new RangeError(`gru: h0 must be [${batch}, H] for x ${fmtShape(x.shape)}, got ${fmtShape(h0.shape)}`);
  const hidden = h0.shape[1]!;
  const want: [string, Tensor, number[]][] = [
    ['W_ih', p.Wih, [3 * hidden, inp]], ['W_hh', p.Whh, [3 * hidden, hidden]], ['b_ih', p.bih, [3 * hidden]], ['b_hh', p.bhh, [3 * hidden]],
  ];
  for (const [name, t, shape] of want) {
    if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`gru: ${name} must be ${fmtShape(shape)} for input size ${inp} and hidden size ${hidden}, got ${fmtShape(t.shape)}`);
    }
  }
  if (resets !== null && (resets.rank !== 2 || resets.shape[0] !== steps || resets.shape[1] !== batch)) {
    throw new RangeError(`gru: resets must be [${steps}, ${batch}] (one flag per step and row), got ${fmtShape(resets.shape)}`);
  }
  return [steps, batch, inp, hidden];
}

/**
 * All hidden states [T, B, H] of a GRU run over x [T, B, in] from h0 [B, H]. resets [T, B]
 * (optional, not differentiated) zeroes rows of the hidden state before a step: reset_t = 1
 * where step t starts a new episode (the done flag of the transition before it), so
 * h̃ = (1 − reset_t) ⊙ h_{t−1}.
 */
export function gru(x: Tensor, h0: Tensor, p: GruParams, resets: Tensor | null = null): Tensor {
  const [steps, batch, inp, hidden] = checkShapes(x, h0, p, resets);
  const e = x.engine, be = e.backend;
  const H = hidden, G = 3 * hidden, bh = batch * H, bg = batch * G;
  const inputs = [x, h0, p.Wih, p.Whh, p.bih, p.bhh];
  // Keep per-step gates, h̃ and gh only when a gradient will be asked for.
  const saving = e.recording && inputs.some((t) => t.requiresGrad);
  const gi = e.empty([steps, batch, G]);
  be.gemmBiasAct(false, true, steps * batch, G, inp, x.offset, inp, p.Wih.offset, inp, 0, p.bih.offset, Act.identity, gi.offset, G);
  const gh = e.empty(saving ? [steps, batch, G] : [batch, G]);
  const gates = saving ? e.empty([steps, batch, G]) : null;
  const hPrev = saving || resets !== null ? e.empty(saving ? [steps, batch, H] : [batch, H]) : null;
  let keep: Tensor | null = null;
  if (resets !== null) {
    keep = e.empty(resets.shape); // 1 − reset
    be.fill(keep.size, keep.offset, 1);
    be.axpby(keep.size, -1, resets.offset, 1, keep.offset);
  }
  const hs = e.empty([steps, batch, H]);
  for (let t = 0; t < steps; t++) {
    let hp = t === 0 ? h0.offset : hs.offset + (t - 1) * bh;
    if (hPrev !== null) {
      const slot = hPrev.offset + (saving ? t * bh : 0);
      if (keep !== null) be.binary(Binary.mul, batch, H, hp, H, 1, keep.offset + t * batch, 1, 0, slot);
      else be.axpby(bh, 1, hp, 0, slot);
      hp = slot;
    }
    const ght = gh.offset + (saving ? t * bg : 0);
    be.gemmBiasAct(false, true, batch, G, H, hp, H, p.Whh.offset, H, 0, p.bhh.offset, Act.identity, ght, G);
    be.gruForward(batch, H, gi.offset + t * bg, ght, hp, hs.offset + t * bh, gates === null ? NONE : gates.offset + t * bg);
  }
  if (!saving) return hs;

  return e.record(hs, 'gru', inputs, (dy) => {
    if (e.recording) return gruGradComposite(x, h0, p, keep, dy);
    const dgi = e.empty([steps, batch, G]), dgh = e.empty([steps, batch, G]);
    // Ping-pong buffers for ∂L/∂h̃ carried to the step before.
    let work = e.empty([batch, H]), carry = e.empty([batch, H]);
    let dhIn = NONE;
    for (let t = steps - 1; t >= 0; t--) {
      be.gruBackward(batch, H, gates!.offset + t * bg, gh.offset + t * bg, hPrev!.offset + t * bh, dy.offset + t * bh, dhIn,
        dgi.offset + t * bg, dgh.offset + t * bg, work.offset);
      if (t === 0 && !h0.needsGrad) break;
      be.gemm(false, false, batch, H, G, 1, dgh.offset + t * bg, G, p.Whh.offset, H, 1, work.offset, H);
      if (keep !== null) be.binary(Binary.mul, batch, H, work.offset, H, 1, keep.offset + t * batch, 1, 0, carry.offset);
      else [work, carry] = [carry, work];
      dhIn = carry.offset;
    }
    const rows = steps * batch;
    const grad = (needed: boolean, shape: number[], fill: (out: number) => void): Tensor | null => {
      if (!needed) return null;
      const g = e.empty(shape);
      fill(g.offset);
      return g;
    };
    return [
      grad(x.needsGrad, [steps, batch, inp], (o) => be.gemm(false, false, rows, inp, G, 1, dgi.offset, G, p.Wih.offset, inp, 0, o, inp)),
      h0.needsGrad ? carry : null,
      grad(p.Wih.needsGrad, [G, inp], (o) => be.gemm(true, false, G, inp, rows, 1, dgi.offset, G, x.offset, inp, 0, o, inp)),
      grad(p.Whh.needsGrad, [G, H], (o) => be.gemm(true, false, G, H, rows, 1, dgh.offset, G, hPrev!.offset, H, 0, o, H)),
      grad(p.bih.needsGrad, [G], (o) => be.colSum(rows, G, dgi.offset, o, 0)),
      grad(p.bhh.needsGrad, [G], (o) => be.colSum(rows, G, dgh.offset, o, 0)),
    ];
  });
}

/**
 * The gradients of gru from differentiable ops (used when the backward pass is recorded,
 * i.e. for second-order gradients): the forward pass is replayed with ops so the saved
 * gates are functions of the inputs, then backpropagated through time with the same
 * formulas as Backend.gruBackward.
 */
function gruGradComposite(x: Tensor, h0: Tensor, p: GruParams, keep: Tensor | null, dy: Tensor): (Tensor | null)[] {
  const [steps, batch, inp] = x.shape as [number, number, number];
  const H = h0.shape[1]!;
  const oneMinus = (t: Tensor): Tensor => affine(t, -1, 1);
  const gate = (pre: Tensor, k: number): Tensor => slice(pre, 1, k * H, (k + 1) * H);
  const rowsOf = (t: Tensor, step: number, width: number): Tensor => reshape(slice(t, 0, step, step + 1), [batch, width]);
  const xs = reshape(x, [steps * batch, inp]);
  const gis = add(matmul(xs, p.Wih, false, true), p.bih);
  const saved: { hp: Tensor; r: Tensor; z: Tensor; n: Tensor; ghn: Tensor; keep: Tensor | null }[] = [];
  let h = h0;
  for (let t = 0; t < steps; t++) {
    const keepT = keep === null ? null : rowsOf(keep, t, 1);
    const hp = keepT === null ? h : mul(h, keepT);
    const gh = add(matmul(hp, p.Whh, false, true), p.bhh);
    const gi = slice(gis, 0, t * batch, (t + 1) * batch);
    const r = sigmoid(add(gate(gi, GruGate.r), gate(gh, GruGate.r)));
    const z = sigmoid(add(gate(gi, GruGate.z), gate(gh, GruGate.z)));
    const ghn = gate(gh, GruGate.n);
    const n = tanh(add(gate(gi, GruGate.n), mul(r, ghn)));
    h = add(n, mul(z, sub(hp, n)));
    saved.push({ hp, r, z, n, ghn, keep: keepT });
  }
  const dgis: Tensor[] = new Array<Tensor>(steps), dghs: Tensor[] = new Array<Tensor>(steps);
  let carry: Tensor | null = null;
  for (let t = steps - 1; t >= 0; t--) {
    const { hp, r, z, n, ghn, keep: keepT } = saved[t]!;
    const d = carry === null ? rowsOf(dy, t, H) : add(rowsOf(dy, t, H), carry);
    const dn = mul(mul(d, oneMinus(z)), oneMinus(square(n)));
    const dr = mul(mul(dn, ghn), mul(r, oneMinus(r)));
    const dz = mul(mul(d, sub(hp, n)), mul(z, oneMinus(z)));
    dgis[t] = concat([dr, dz, dn], 1);
    dghs[t] = concat([dr, dz, mul(r, dn)], 1);
    const dhp = add(mul(z, d), matmul(dghs[t]!, p.Whh));
    carry = keepT === null ? dhp : mul(dhp, keepT);
  }
  const dgi = concat(dgis, 0), dgh = concat(dghs, 0);
  return [
    x.needsGrad ? reshape(matmul(dgi, p.Wih), x.shape) : null,
    h0.needsGrad ? carry : null,
    p.Wih.needsGrad ? matmul(dgi, xs, true, false) : null,
    p.Whh.needsGrad ? matmul(dgh, concat(saved.map((s) => s.hp), 0), true, false) : null,
    p.bih.needsGrad ? sum(dgi, 0) : null,
    p.bhh.needsGrad ? sum(dgh, 0) : null,
  ];
}
