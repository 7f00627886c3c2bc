/**
 * Finite-difference checks of first and second derivatives on the float64 JS
 * backend. The op under test is reduced to a scalar with fixed random weights, so
 * every output element contributes to the checked gradient.
 */
import assert from 'node:assert/strict';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { add, mul, sum } from '../../src/tensor/ops/elementwise.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { makeRng } from './rng.js';

export interface InputSpec { shape: number[]; lo?: number; hi?: number }

export const engine64 = (): Engine => new Engine(createBackend('js', { dtype: 'float64' }));

/** Values for each input spec (seeded). */
export function inputValues(specs: InputSpec[], seed: number): number[][] {
  const rng = makeRng(seed);
  return specs.map((s) => Array.from({ length: s.shape.reduce((p, d) => p * d, 1) }, () => rng.uniform(s.lo ?? -1, s.hi ?? 1)));
}

/** Scalar objective: Σ f(inputs) ⊙ R, R fixed per output shape. */
function objective(e: Engine, f: (...xs: Tensor[]) => Tensor, xs: Tensor[], seed: number): Tensor {
  const y = f(...xs);
  const rng = makeRng(seed + 99);
  const r = e.tensor(Array.from({ length: y.size }, () => rng.uniform(0.5, 1.5)), y.shape);
  return sum(mul(y, r));
}

function evalObjective(e: Engine, f: (...xs: Tensor[]) => Tensor, specs: InputSpec[], values: number[][], seed: number): number {
  return e.scope(() => objective(e, f, specs.map((s, i) => e.tensor(values[i]!, s.shape)), seed).item());
}

function analyticGrads(e: Engine, f: (...xs: Tensor[]) => Tensor, specs: InputSpec[], values: number[][], seed: number): number[][] {
  return e.scope(() => {
    const xs = specs.map((s, i) => { const t = e.tensor(values[i]!, s.shape); t.requiresGrad = true; return t; });
    return e.grad(objective(e, f, xs, seed), xs).map((g) => g.toArray());
  });
}

const H = 1e-6;

/** Check ∂/∂x of Σ f ⊙ R against central differences for every input element. */
export function checkGradient(label: string, f: (...xs: Tensor[]) => Tensor, specs: InputSpec[], seed = 1): void {
  const e = engine64();
  const values = inputValues(specs, seed);
  const analytic = analyticGrads(e, f, specs, values, seed);
  values.forEach((v, i) => {
    for (let j = 0; j < v.length; j++) {
      const save = v[j]!;
      v[j] = save + H; const up = evalObjective(e, f, specs, values, seed);
      v[j] = save - H; const down = evalObjective(e, f, specs, values, seed);
      v[j] = save;
      const numeric = (up - down) / (2 * H);
      const got = analytic[i]![j]!;
      assert.ok(Math.abs(got - numeric) <= 1e-6 * (1 + Math.abs(numeric)), `${label}: ∂/∂input${i}[${j}] analytic ${got} vs numeric ${numeric}`);
    }
  });
}

/**
 * Check Hessian-vector products: ∇(∇L·v) from a recorded backward pass against
 * central differences of the first gradient along v.
 */
export function checkHessianVector(label: string, f: (...xs: Tensor[]) => Tensor, specs: InputSpec[], seed = 1): void {
  const e = engine64();
  const values = inputValues(specs, seed);
  const dirs = inputValues(specs, seed + 7);
  const hvp = e.scope(() => {
    const xs = specs.map((s, i) => { const t = e.tensor(values[i]!, s.shape); t.requiresGrad = true; return t; });
    const gs = e.grad(objective(e, f, xs, seed), xs, { createGraph: true });
    let gv: Tensor | null = null;
    gs.forEach((g, i) => {
      const term = sum(mul(g, e.tensor(dirs[i]!, specs[i]!.shape)));
      gv = gv === null ? term : add(gv, term);
    });
    if (!gv!.requiresGrad) return specs.map((s) => new Array<number>(s.shape.reduce((p, d) => p * d, 1)).fill(0)); // linear in x: zero Hessian
    return e.grad(gv!, xs, { allowUnused: true }).map((h) => h.toArray());
  });
  const shifted = (sgn: number): number[][] => values.map((v, i) => v.map((x, j) => x + sgn * H * dirs[i]![j]!));
  const gUp = analyticGrads(e, f, specs, shifted(1), seed);
  const gDown = analyticGrads(e, f, specs, shifted(-1), seed);
  hvp.forEach((h, i) => h.forEach((got, j) => {
    const numeric = (gUp[i]![j]! - gDown[i]![j]!) / (2 * H);
    assert.ok(Math.abs(got - numeric) <= 1e-5 * (1 + Math.abs(numeric)), `${label}: (Hv) input${i}[${j}] analytic ${got} vs numeric ${numeric}`);
  }));
}


/**
 * Central differences (step h) of a scalar function of a module's parameters, perturbing
 * them in place on a float64 engine: one array per parameter, in the order given.
 */
export function parameterCentralDifferences(e: Engine, params: readonly Tensor[], f: () => number, h = 1e-6): number[][] {
  const d = e.backend.arena.data;
  return params.map((p) => Array.from({ length: p.size }, (_, j) => {
    const at = p.offset + j, save = d[at]!;
    d[at] = save + h; const up = f();
    d[at] = save - h; const down = f();
    d[at] = save;
    return (up - down) / (2 * h);
  }));
}
