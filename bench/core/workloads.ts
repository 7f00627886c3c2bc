/**
 * The two training steps the compute core is judged by, written directly against
 * the kernel interface (no autodiff): an MLP critic 17→256→256→1 and a hyper
 * critic (primary 17→256→256, heads emitting a 6→64→1 dynamic net with gains and
 * biases), each forward + backward + one fused Adam step at batch 256.
 * All buffers are allocated at construction; `step()` allocates nothing.
 */
import type { Backend } from '../../src/tensor/backend.js';
import { Act, Binary, NONE, type ActCode } from '../../src/tensor/kernels.js';

export interface TrainStep {
  /** One forward, backward and Adam update; returns nothing so the hot loop allocates nothing. */
  step(): void;
  /** Mean squared error of the last forward pass (reads the arena; call outside timing). */
  loss(): number;
  flopsPerStep: number;
}

/** Deterministic fill in [-scale, scale) so every backend trains on the same numbers. */
function fillPseudoRandom(be: Backend, offset: number, n: number, scale: number, seed: number): void {
  let s = seed >>> 0;
  const view = be.arena.view(offset, n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    view[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
}

/** A dense layer's parameter layout inside a flat parameter block: W is in×out (y = xW + b). */
interface Dense { inp: number; out: number; w: number; b: number; gw: number; gb: number }

function denseLayers(sizes: number[], params: number, grads: number): { layers: Dense[]; size: number } {
  const layers: Dense[] = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inp = sizes[l]!, out = sizes[l + 1]!;
    layers.push({ inp, out, w: params + at, b: params + at + inp * out, gw: grads + at, gb: grads + at + inp * out });
    at += inp * out + out;
  }
  return { layers, size: at };
}

function paramCount(sizes: number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
  return n;
}

/** Adam state for a flat parameter block, with its own step counter. */
function adamOver(be: Backend, params: number, grads: number, n: number): () => void {
  const m = be.arena.alloc(n), v = be.arena.alloc(n);
  be.fill(n, m, 0);
  be.fill(n, v, 0);
  let t = 0;
  return () => be.adam(n, params, grads, m, v, 3e-4, 0.9, 0.999, 1e-8, 0, false, ++t);
}

/** Forward through dense layers (ReLU between, `lastAct` after the last); activations[l] is layer l's output. */
function denseForward(be: Backend, layers: Dense[], batch: number, x: number, acts: number[], lastAct: ActCode): void {
  let inp = x;
  layers.forEach((L, l) => {
    be.gemmBiasAct(false, false, batch, L.out, L.inp, inp, L.inp, L.w, L.out, 0, L.b, l === layers.length - 1 ? lastAct : Act.relu, acts[l]!, L.out);
    inp = acts[l]!;
  });
}

/**
 * Backward through dense layers given dOut = ∂L/∂(last pre-activation), written into dActs[last].
 * dActs[l] holds ∂L/∂(layer l pre-activation) after the call; dx (∂L/∂input) is written if not NONE.
 */
function denseBackward(be: Backend, layers: Dense[], batch: number, x: number, acts: number[], dActs: number[], dx: number): void {
  for (let l = layers.length - 1; l >= 0; l--) {
    const L = layers[l]!;
    const input = l === 0 ? x : acts[l - 1]!;
    be.gemm(true, false, L.inp, L.out, batch, 1, input, L.inp, dActs[l]!, L.out, 0, L.gw, L.out);
    be.colSum(batch, L.out, dActs[l]!, L.gb, 0);
    const dIn = l === 0 ? dx : dActs[l - 1]!;
    if (dIn === NONE) continue;
    be.gemm(false, true, batch, L.inp, L.out, 1, dActs[l]!, L.out, L.w, L.out, 0, dIn, L.inp);
    if (l > 0) be.actBackward(Act.relu, batch * L.inp, acts[l - 1]!, dIn, dIn);
  }
}

/** dq = 2/B (q − y): the gradient of the mean squared error. */
function mseGrad(be: Backend, batch: number, q: number, ldq: number, y: number, dq: number): void {
  be.binary(Binary.sub, batch, 1, q, ldq, 1, y, 1, 1, dq);
  be.axpby(batch, 2 / batch, dq, 0, dq);
}

function mseLoss(be: Backend, batch: number, q: number, ldq: number, y: number): number {
  const qs = be.arena.data, n = batch;
  let s = 0;
  for (let i = 0; i < n; i++) s += (qs[q + i * ldq]! - qs[y + i]!) ** 2;
  return s / n;
}

export function mlpCriticStep(be: Backend, batch = 256, sizes = [17, 256, 256, 1]): TrainStep {
  const n = paramCount(sizes);
  const params = be.arena.alloc(n), grads = be.arena.alloc(n);
  const { layers } = denseLayers(sizes, params, grads);
  for (const L of layers) {
    fillPseudoRandom(be, L.w, L.inp * L.out, 1 / Math.sqrt(L.inp), L.inp * 7 + L.out);
    fillPseudoRandom(be, L.b, L.out, 1 / Math.sqrt(L.inp), L.out);
  }
  const x = be.arena.alloc(batch * sizes[0]!), y = be.arena.alloc(batch);
  fillPseudoRandom(be, x, batch * sizes[0]!, 1, 1);
  fillPseudoRandom(be, y, batch, 1, 2);
  const acts = layers.map((L) => be.arena.alloc(batch * L.out));
  const dActs = layers.map((L) => be.arena.alloc(batch * L.out));
  const adam = adamOver(be, params, grads, n);
  const q = acts[acts.length - 1]!;
  let flops = 0;
  for (const L of layers) flops += 2 * batch * L.inp * L.out * 3; // forward, dW, dx
  return {
    flopsPerStep: flops - 2 * batch * sizes[0]! * sizes[1]!, // no dx for the input layer
    step() {
      denseForward(be, layers, batch, x, acts, Act.identity);
      mseGrad(be, batch, q, 1, y, dActs[dActs.length - 1]!);
      denseBackward(be, layers, batch, x, acts, dActs, NONE);
      adam();
    },
    loss: () => mseLoss(be, batch, q, 1, y),
  };
}

/**
 * Hyper critic: z = primary(s) (17→256→256, ReLU hidden, linear output), one head
 * GEMM z → [W1 (hidden×action) | c1 | g1 | W2 (hidden) | c2 | g2] per sample, then
 * the dynamic net q = (1+g2)·W2·relu((1+g1)⊙W1·a + c1) + c2.
 */
export function hyperCriticStep(be: Backend, batch = 256, stateDim = 17, actionDim = 6, width = 256, hidden = 64): TrainStep {
  const primarySizes = [stateDim, width, width];
  const headOut = hidden * actionDim + 2 * hidden + hidden + 2;
  const nPrimary = paramCount(primarySizes), nHead = width * headOut + headOut;
  const n = nPrimary + nHead;
  const params = be.arena.alloc(n), grads = be.arena.alloc(n);
  const { layers } = denseLayers(primarySizes, params, grads);
  const head: Dense = { inp: width, out: headOut, w: params + nPrimary, b: params + nPrimary + width * headOut, gw: grads + nPrimary, gb: grads + nPrimary + width * headOut };
  for (const L of [...layers, head]) {
    fillPseudoRandom(be, L.w, L.inp * L.out, 1 / Math.sqrt(L.inp), L.inp * 7 + L.out);
    fillPseudoRandom(be, L.b, L.out, 0.1, L.out);
  }
  // Slots of one sample's head output row.
  const W1 = 0, C1 = hidden * actionDim, G1 = C1 + hidden, W2 = G1 + hidden, C2 = W2 + hidden, G2 = C2 + 1;

  const s = be.arena.alloc(batch * stateDim), a = be.arena.alloc(batch * actionDim), y = be.arena.alloc(batch);
  fillPseudoRandom(be, s, batch * stateDim, 1, 3);
  fillPseudoRandom(be, a, batch * actionDim, 1, 4);
  fillPseudoRandom(be, y, batch, 1, 5);
  const acts = layers.map((L) => be.arena.alloc(batch * L.out));
  const dActs = layers.map((L) => be.arena.alloc(batch * L.out));
  const H = be.arena.alloc(batch * headOut), dH = be.arena.alloc(batch * headOut);
  const h = be.arena.alloc(batch * hidden), dh = be.arena.alloc(batch * hidden);
  const q = be.arena.alloc(batch), dq = be.arena.alloc(batch);
  const z = acts[acts.length - 1]!, dz = dActs[dActs.length - 1]!;
  const adam = adamOver(be, params, grads, n);

  let flops = 0;
  for (const L of layers) flops += 2 * batch * L.inp * L.out * 3;
  flops -= 2 * batch * stateDim * width;
  flops += 2 * batch * width * headOut * 3;
  flops += 2 * batch * (hidden * actionDim + hidden) * 3;
  return {
    flopsPerStep: flops,
    step() {
      denseForward(be, layers, batch, s, acts, Act.identity);
      be.gemmBiasAct(false, false, batch, headOut, width, z, width, head.w, headOut, 0, head.b, Act.identity, H, headOut);
      be.dynamicForward(batch, hidden, actionDim, a, actionDim, H + W1, headOut, H + G1, headOut, H + C1, headOut, Act.relu, h, hidden);
      be.dynamicForward(batch, 1, hidden, h, hidden, H + W2, headOut, H + G2, headOut, H + C2, headOut, Act.identity, q, 1);

      mseGrad(be, batch, q, 1, y, dq);
      be.dynamicBackward(batch, 1, hidden, h, hidden, H + W2, headOut, H + G2, headOut, dq, 1,
        dh, hidden, dH + W2, headOut, dH + G2, headOut, dH + C2, headOut);
      be.actBackward(Act.relu, batch * hidden, h, dh, dh);
      be.dynamicBackward(batch, hidden, actionDim, a, actionDim, H + W1, headOut, H + G1, headOut, dh, hidden,
        NONE, 0, dH + W1, headOut, dH + G1, headOut, dH + C1, headOut);
      be.gemm(true, false, width, headOut, batch, 1, z, width, dH, headOut, 0, head.gw, headOut);
      be.colSum(batch, headOut, dH, head.gb, 0);
      be.gemm(false, true, batch, width, headOut, 1, dH, headOut, head.w, headOut, 0, dz, width);
      denseBackward(be, layers, batch, s, acts, dActs, NONE);
      adam();
    },
    loss: () => mseLoss(be, batch, q, 1, y),
  };
}
