/**
 * The native Adam kernel computes, bit for bit, its float32 formula (PyTorch's order of
 * operations) — also for the lanes it takes through its exact path for decaying moments
 * (a zero gradient with subnormal moments, e.g. a dead ReLU unit's weights), mixed
 * in one vector with ordinary lanes and with the cases that path must hand back to the
 * plain formula (tiny, zero or subnormal parameters; a subnormal v beside a normal m). The
 * expected bits come from an exact float32 emulation in float64: +, −, ×, ÷ and √ of floats
 * rounded once more to float32 are correctly rounded (53 ≥ 2·24 + 2), and the fused
 * multiply-add is summed exactly (two-sum) and rounded to odd before the last rounding.
 * The generic variant is left out: without a hardware FMA its multiply-add rounds twice,
 * as the compiler emits it.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createNativeBackend, nativeInfo, setNativeIsa } from '../../src/tensor/backends/native/index.js';

const info = nativeInfo();
const f = Math.fround;
const bits = new DataView(new ArrayBuffer(8));

/** The double next to x in the direction of `toward`'s sign (x finite, nonzero). */
function nudge(x: number, toward: number): number {
  bits.setFloat64(0, x);
  const away = (toward > 0) === (x > 0);
  bits.setBigUint64(0, bits.getBigUint64(0) + (away ? 1n : -1n));
  return bits.getFloat64(0);
}

/** float32 fma(a, b, c): a·b is exact in float64; the sum is rounded to odd, then to float32 (no double rounding). */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return f(s);
  const bb = s - p, err = (p - (s - bb)) + (c - bb);
  if (err === 0 || s === 0) return f(s);
  bits.setFloat64(0, s);
  const odd = (bits.getUint32(4) & 1) === 1;
  return f(odd ? s : nudge(s, err));
}

/** The kernel's formula (native/kernels_impl.inc, adam_vec without weight decay), element by element. */
function adamReference(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, step: number): void {
  const bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
  const stepSize = f(lr / bc1), ibc2 = f(1 / bc2), e = f(eps), b1 = f(beta1), b2 = f(beta2);
  const c1 = f(1 - b1), c2 = f(1 - b2);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = fmaf(b1, m[i]!, f(c1 * gi));
    const vi = fmaf(b2, v[i]!, f(c2 * f(gi * gi)));
    const den = f(f(Math.sqrt(f(vi * ibc2))) + e);
    m[i] = mi;
    v[i] = vi;
    p[i] = f(p[i]! - f(f(stepSize * mi) / den));
  }
}

const SUB = 2 ** -149; // the smallest subnormal float

/** Parameters, gradients and moments mixing ordinary lanes and decaying ones, vector by vector (n not a multiple of 16). */
function inputs(n: number): { p: Float32Array; g: Float32Array; m: Float32Array; v: Float32Array } {
  const p = new Float32Array(n), g = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const vec = i >> 4, lane = i & 15;
    p[i] = 0.05 * Math.sin(i + 1);
    g[i] = 1e-3 * Math.cos(3 * i);
    m[i] = 1e-4 * Math.sin(7 * i);
    v[i] = 1e-7 * (1.5 + Math.cos(i));
    // Vectors 0–1 stay ordinary; from vector 2 on, some or all lanes belong to dead units.
    const dead = vec >= 2 && (vec % 3 === 0 || lane % (vec % 5 + 2) === 0);
    if (!dead) continue;
    g[i] = i % 2 === 0 ? 0 : -0;
    const k = [1, 2, 3, 4, 5, 17, 1000, 2 ** 22 + 3, 2 ** 23 - 1][i % 9]!;
    m[i] = (i % 4 === 0 ? -k : k) * SUB;
    if (vec % 7 === 0) v[i] = 0;
    // Second moments decayed into the subnormal range too (long-dead units), some with m = ±0.
    if (vec % 4 === 1) v[i] = (50 + (i % 700)) * SUB;
    if (vec === 9 && lane % 3 === 0) m[i] = lane % 2 === 0 ? 0 : -0;
    if (vec === 13 && lane === 1) v[i] = 12 * SUB;
    // Cases the exact path must leave to the plain formula: p tiny, zero or subnormal; v subnormal beside a normal m.
    if (vec === 10 && lane === 3) p[i] = 1e-33;
    if (vec === 11 && lane === 5) p[i] = 0;
    if (vec === 12 && lane === 8) p[i] = 7 * SUB;
    if (vec === 15 && lane === 2) { m[i] = 1e-20; v[i] = 30 * SUB; }
  }
  // A subnormal gradient and a subnormal m with a nonzero gradient: ordinary lanes with subnormal inputs.
  g[5] = 3 * SUB;
  m[6] = 9 * SUB;
  return { p, g, m, v };
}

it('native Adam matches its float32 formula bit for bit, also on dead units\' subnormal moments (every FMA variant)', {
  skip: info.available ? false : `native addon not built: ${info.error}`,
}, () => {
  const isas = info.isas.filter((isa) => isa !== 'generic');
  if (isas.length === 0) return void assert.ok(true, 'no FMA variant on this CPU');
  const n = 16 * 16 + 5;
  try {
    for (const isa of isas) {
      setNativeIsa(isa);
      const be = createNativeBackend(1 << 12);
      const want = inputs(n);
      const off = { p: be.arena.allocFrom(want.p), g: be.arena.allocFrom(want.g), m: be.arena.allocFrom(want.m), v: be.arena.allocFrom(want.v) };
      for (const [step, lr] of [[1, 1e-3], [2, 3e-4], [3, 0.05]] as const) {
        be.adam(n, off.p, off.g, off.m, off.v, lr, 0.9, 0.999, 1e-8, 0, false, step);
        adamReference(want.p, want.g, want.m, want.v, lr, 0.9, 0.999, 1e-8, step);
        for (const key of ['p', 'm', 'v'] as const) {
          const got = be.arena.view(off[key], n);
          for (let i = 0; i < n; i++) {
            if (!Object.is(got[i], want[key][i])) assert.fail(`${isa} step ${step}: ${key}[${i}] = ${got[i]}, the formula gives ${want[key][i]}`);
          }
        }
      }
      // The decaying lanes did decay: some moments of both kinds are still subnormal.
      const tiny = (x: number): boolean => x !== 0 && Math.abs(x) < 2 ** -126;
      assert.ok(be.arena.view(off.m, n).some(tiny) && be.arena.view(off.v, n).some(tiny), `${isa}: subnormal moments remain`);
    }
  } finally {
    setNativeIsa(info.isa!);
  }
});
