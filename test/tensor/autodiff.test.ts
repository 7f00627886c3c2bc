/**
 * Every differentiable op: first derivatives and Hessian-vector products against
 * central finite differences on the float64 reference backend.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Act } from '../../src/tensor/kernels.js';
import * as T from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { checkGradient, checkHessianVector, engine64, inputValues, type InputSpec } from '../helpers/gradcheck.js';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { U32, availableBackends } from '../helpers/backends.js';

const pos = (shape: number[]): InputSpec => ({ shape, lo: 0.5, hi: 2 });
const any = (shape: number[]): InputSpec => ({ shape });

const GRU_SPECS = [any([3, 2, 2]), any([2, 3]), any([9, 2]), any([9, 3]), any([9]), any([9])];

const CASES: [string, (...xs: Tensor[]) => Tensor, InputSpec[]][] = [
  ['add same shape', (a, b) => T.mul(T.add(a!, b!), a!), [any([3, 4]), any([3, 4])]],
  ['add row broadcast', (a, b) => T.mul(T.add(a!, b!), a!), [any([3, 4]), any([4])]],
  ['add column broadcast', (a, b) => T.square(T.add(a!, b!)), [any([3, 4]), any([3, 1])]],
  ['sub scalar broadcast', (a, b) => T.mul(T.sub(a!, b!), b!), [any([2, 3, 2]), any([1])]],
  ['mul 3-D broadcast', (a, b) => T.mul(a!, b!), [any([2, 3, 4]), any([2, 1, 4])]],
  ['div', (a, b) => T.div(a!, b!), [any([3, 5]), pos([5])]],
  ['maximum', (a, b) => T.mul(T.maximum(a!, b!), a!), [any([4, 3]), any([4, 3])]],
  ['minimum broadcast', (a, b) => T.mul(T.minimum(a!, b!), b!), [any([4, 3]), any([3])]],
  ['squaredDifference', (a, b) => T.squaredDifference(T.mul(a!, a!), b!), [any([5]), any([5])]],
  ['affine', (a) => T.square(T.affine(a!, -1.5, 0.25)), [any([6])]],
  ['exp', (a) => T.exp(a!), [any([6])]],
  ['log', (a) => T.log(a!), [pos([6])]],
  ['sqrt', (a) => T.sqrt(a!), [pos([6])]],
  ['square', (a) => T.mul(T.square(a!), a!), [any([6])]],
  ['abs', (a) => T.mul(T.abs(a!), a!), [any([6])]],
  ['pow 3', (a) => T.pow(a!, 3), [pos([6])]],
  ['softplus', (a) => T.softplus(T.scale(a!, 3)), [any([6])]],
  ['relu', (a) => T.mul(T.relu(a!), a!), [any([8])]],
  ['tanh', (a) => T.tanh(T.scale(a!, 2)), [any([8])]],
  ['elu', (a) => T.elu(T.scale(a!, 2)), [any([8])]],
  ['sigmoid', (a) => T.sigmoid(T.scale(a!, 2)), [any([8])]],
  ['clamp', (a) => T.mul(T.clamp(a!, -0.5, 0.5), a!), [any([8])]],
  ['where', (a, b) => T.where(T.geMask(a!, b!), T.square(a!), T.mul(a!, b!)), [any([6]), any([6])]],
  ['sum all', (a) => T.square(T.sum(a!)), [any([3, 4])]],
  ['sum axis 0', (a) => T.square(T.sum(a!, 0)), [any([3, 4])]],
  ['sum axes 0,2 keepDims', (a) => T.square(T.sum(a!, [0, 2], true)), [any([2, 3, 2])]],
  ['mean axis -1', (a) => T.square(T.mean(a!, -1)), [any([3, 4])]],
  ['max axis 1', (a) => T.square(T.max(a!, 1)), [any([3, 5])]],
  ['broadcastTo', (a) => T.mul(T.broadcastTo(a!, [3, 4]), T.broadcastTo(a!, [3, 4])), [any([3, 1])]],
  ['reshape', (a) => T.square(T.reshape(a!, [2, 6])), [any([3, 4])]],
  ['slice', (a) => T.square(T.slice(a!, 1, 1, 3)), [any([3, 4])]],
  ['concat', (a, b) => T.mul(T.concat([a!, b!, a!], 1), T.concat([b!, a!, b!], 1)), [any([2, 3]), any([2, 3])]],
  ['gatherRows with repeats', (a) => T.square(T.gatherRows(a!, [2, 0, 2, 1])), [any([3, 2])]],
  ['matmul', (a, b) => T.square(T.matmul(a!, b!)), [any([3, 4]), any([4, 2])]],
  ['matmul transA', (a, b) => T.square(T.matmul(a!, b!, true, false)), [any([4, 3]), any([4, 2])]],
  ['matmul transB', (a, b) => T.square(T.matmul(a!, b!, false, true)), [any([3, 4]), any([2, 4])]],
  ['matmul transA transB', (a, b) => T.square(T.matmul(a!, b!, true, true)), [any([4, 3]), any([2, 4])]],
  ['linear identity', (x, w, b) => T.square(T.linear(x!, w!, b!)), [any([3, 4]), any([4, 5]), any([5])]],
  ['linear tanh', (x, w, b) => T.linear(x!, w!, b!, Act.tanh), [any([3, 4]), any([4, 5]), any([5])]],
  ['linear elu no bias', (x, w) => T.linear(x!, w!, null, Act.elu), [any([3, 4]), any([4, 5])]],
  ['linear relu', (x, w, b) => T.mul(T.linear(x!, w!, b!, Act.relu), T.linear(x!, w!, b!, Act.identity)), [any([3, 4]), any([4, 5]), any([5])]],
  ['linear sigmoid', (x, w, b) => T.linear(x!, w!, b!, Act.sigmoid), [any([3, 4]), any([4, 5]), any([5])]],
  ['batchedMatmul', (a, b) => T.square(T.batchedMatmul(a!, b!)), [any([2, 3, 4]), any([2, 4, 2])]],
  ['batchedMatmul shared a, transB', (a, b) => T.square(T.batchedMatmul(a!, b!, false, true)), [any([3, 4]), any([2, 2, 4])]],
  ['batchedMatmul transA, shared b', (a, b) => T.square(T.batchedMatmul(a!, b!, true, false)), [any([2, 4, 3]), any([4, 2])]],
  ['batchedMatmul transA transB', (a, b) => T.square(T.batchedMatmul(a!, b!, true, true)), [any([3, 4, 3]), any([3, 2, 4])]],
  ['batchedLinear relu, shared x', (x, w, b) => T.mul(T.batchedLinear(x!, w!, b!, Act.relu), T.batchedLinear(x!, w!, b!)), [any([3, 4]), any([2, 4, 5]), any([2, 5])]],
  ['batchedLinear tanh, per-member x', (x, w, b) => T.batchedLinear(x!, w!, b!, Act.tanh), [any([2, 3, 4]), any([2, 4, 5]), any([2, 5])]],
  ['batchedLinear two layers, no bias', (x, w1, w2) => T.square(T.batchedLinear(T.batchedLinear(x!, w1!, null, Act.elu), w2!, null)), [any([3, 2]), any([3, 2, 4]), any([3, 4, 1])]],
  ['dynamicLinear tanh', (x, h) => T.dynamicLinear(x!, h!, 3, Act.tanh), [any([4, 2]), any([4, T.dynamicParamCount(2, 3)])]],
  ['dynamicLinear identity, squared', (x, h) => T.square(T.dynamicLinear(x!, h!, 2, Act.identity)), [any([3, 3]), any([3, T.dynamicParamCount(3, 2)])]],
  ['two dynamic layers', (x, h1, h2) => T.dynamicLinear(T.dynamicLinear(x!, h1!, 4, Act.tanh), h2!, 1, Act.identity),
    [any([3, 2]), any([3, T.dynamicParamCount(2, 4)]), any([3, T.dynamicParamCount(4, 1)])]],
  ['dynamicLinear without gain, tanh', (x, h) => T.dynamicLinear(x!, h!, 3, Act.tanh, false), [any([4, 2]), any([4, T.dynamicParamCount(2, 3, false)])]],
  ['two dynamic layers without gain', (x, h1, h2) => T.square(T.dynamicLinear(T.dynamicLinear(x!, h1!, 5, Act.tanh, false), h2!, 2, Act.identity, false)),
    [any([3, 4]), any([3, T.dynamicParamCount(4, 5, false)]), any([3, T.dynamicParamCount(5, 2, false)])]],
  // GRU over 3 steps of 2 rows, in 2, H 3: x, h0, W_ih, W_hh, b_ih, b_hh; then with row 1 reset before step 1 and row 0 before step 2.
  ['gru', (x, h0, wih, whh, bih, bhh) => T.gru(x!, h0!, { Wih: wih!, Whh: whh!, bih: bih!, bhh: bhh! }), GRU_SPECS],
  ['gru with resets', (x, h0, wih, whh, bih, bhh) =>
    T.gru(x!, h0!, { Wih: wih!, Whh: whh!, bih: bih!, bhh: bhh! }, x!.engine.tensor([0, 0, 0, 1, 1, 0], [3, 2])), GRU_SPECS],
];

describe('first derivatives match central differences (float64)', () => {
  for (const [name, f, specs] of CASES) it(name, () => checkGradient(name, f, specs));
});

describe('Hessian-vector products match differences of gradients (float64)', () => {
  for (const [name, f, specs] of CASES) it(name, () => checkHessianVector(name, f, specs));
});

/** Values and input gradients of Σ f(inputs) on an engine. */
function valueAndGrads(e: Engine, f: (...xs: Tensor[]) => Tensor, specs: InputSpec[]): number[][] {
  const values = inputValues(specs, 1);
  return e.scope(() => {
    const xs = specs.map((sp, i) => { const t = e.tensor(values[i]!, sp.shape); t.requiresGrad = true; return t; });
    const y = f(...xs);
    return [y.toArray(), ...e.grad(T.sum(y), xs).map((g) => g.toArray())];
  });
}

describe('float32 backends agree with the float64 reference in value and gradient', () => {
  for (const { name } of availableBackends()) {
    it(name, () => {
      for (const [label, f, specs] of CASES) {
        const want = valueAndGrads(engine64(), f, specs);
        const got = valueAndGrads(new Engine(createBackend(name)), f, specs);
        // A few chained ops over at most n inputs: float32 error ≲ (n + depth)·u relative to the largest magnitude involved.
        const n = specs.reduce((s, sp) => s + sp.shape.reduce((p, d) => p * d, 1), 0);
        want.forEach((w, k) => {
          const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          w.forEach((v, i) => assert.ok(Math.abs(got[k]![i]! - v) <= 16 * (n + 8) * U32 * (scale + Math.abs(v)) + 1e-30,
            `${label} on ${name}: ${k === 0 ? 'value' : `∂/∂input${k - 1}`}[${i}] ${got[k]![i]} vs ${v}`));
        });
      }
    });
  }
});

describe('engine', () => {
  it('releases every scoped block and reuses it on the next step', () => {
    const e = engine64();
    const w = e.parameter([4, 4], Array.from({ length: 16 }, (_, i) => Math.sin(i)));
    const step = (): number => e.scope(() => {
      const x = e.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
      const loss = T.sum(T.square(T.linear(x, w, null, Act.tanh)));
      e.backward(loss, [w]);
      return loss.item();
    });
    step();
    const before = e.backend.arena.getStats();
    step();
    assert.deepEqual(e.backend.arena.getStats(), before);
  });

  it('backward without accumulating takes the gradient blocks over (no copy), with the values of the accumulating path, and leaks nothing', () => {
    const e = engine64();
    const init = Array.from({ length: 12 }, (_, i) => Math.cos(i));
    const w = e.parameter([3, 4], init), b = e.parameter([4]), ref = e.parameter([3, 4], init), refB = e.parameter([4]);
    const written: number[] = [];
    const axpby = e.backend.axpby.bind(e.backend);
    e.backend.axpby = (n, alpha, x, beta, y) => { written.push(y); axpby(n, alpha, x, beta, y); };
    const loss = (ws: Tensor, bs: Tensor): Tensor => {
      const x = e.tensor([1, -2, 3, 0.5, 2, -1], [2, 3]);
      // ws used twice: its gradient is a sum of two contributions (an 'add' node's output).
      return T.sum(T.square(T.add(T.linear(x, ws, bs, Act.tanh), T.linear(x, ws, null, Act.identity))));
    };
    const stats: ReturnType<typeof e.backend.arena.getStats>[] = [];
    for (let step = 0; step < 3; step++) {
      const oldGrads = [w.grad!.offset, b.grad!.offset];
      written.length = 0;
      e.scope(() => e.backward(loss(w, b), [w, b], false));
      assert.ok(!written.some((y) => oldGrads.includes(y)), 'no copy pass into .grad');
      assert.notEqual(w.grad!.offset, oldGrads[0], 'the gradient block became .grad');
      assert.notEqual(b.grad!.offset, oldGrads[1]);
      assert.ok(w.grad!.persistent);
      // Same values as zeroing .grad and accumulating (which copies), after the scope released its blocks.
      e.scope(() => {
        e.backend.fill(12, ref.grad!.offset, 0);
        e.backend.fill(4, refB.grad!.offset, 0);
        e.backward(loss(ref, refB), [ref, refB], true);
      });
      assert.deepEqual(w.grad!.toArray(), ref.grad!.toArray());
      assert.deepEqual(b.grad!.toArray(), refB.grad!.toArray());
      assert.ok(w.grad!.toArray().some((v) => v !== 0));
      stats.push(e.backend.arena.getStats());
    }
    assert.deepEqual(stats[2], stats[1], 'the blocks alternate between .grad and the step: nothing grows');
  });

  it('keeps tensors returned from a scope alive in the enclosing scope', () => {
    const e = engine64();
    const got = e.scope(() => {
      const kept = e.scope(() => T.scale(e.tensor([1, 2, 3]), 2));
      e.scope(() => e.tensor([9, 9, 9])); // would reuse kept's block if it had been freed
      return kept.toArray();
    });
    assert.deepEqual(got, [2, 4, 6]);
  });

  it('refuses to create scoped tensors outside a scope, naming the fix', () => {
    const e = engine64();
    assert.throws(() => e.tensor([1]), /outside engine.scope\(\)/);
  });

  it('accumulates gradients of a tensor used twice, and stops at stopGradient', () => {
    const e = engine64();
    e.scope(() => {
      const x = e.tensor([3]);
      x.requiresGrad = true;
      const [g] = e.grad(T.add(T.mul(x, x), T.mul(T.stopGradient(x), x)), [x]);
      assert.equal(g!.item(), 2 * 3 + 3);
    });
  });

  it('where selects, so an infinite value in the branch not taken does not leak', () => {
    const e = engine64();
    e.scope(() => {
      const y = T.where(e.tensor([1, 0]), e.tensor([2, 3]), T.div(e.tensor([1, 1]), e.tensor([0, 5])));
      assert.deepEqual(y.toArray(), [2, 0.2]);
    });
  });

  it('names a shape mismatch', () => {
    const e = engine64();
    e.scope(() => {
      assert.throws(() => T.add(e.tensor([1, 2, 3]), e.tensor([1, 2])), /add: shapes \[3\] and \[2\] cannot be broadcast/);
      assert.throws(() => T.matmul(e.tensor([1, 2, 3, 4], [2, 2]), e.tensor([1, 2, 3], [3, 1])), /matmul: inner sizes differ/);
    });
  });

  it('rejects NaN in input data', () => {
    const e = engine64();
    e.scope(() => assert.throws(() => e.tensor([1, NaN]), /value 1 is NaN/));
  });
});
