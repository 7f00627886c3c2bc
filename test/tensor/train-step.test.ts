/**
 * The benchmark's training steps, run for real: they must learn (loss falls), agree
 * across backends for the first steps, and allocate nothing after the first call.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/tensor/backends/index.js';
import { hyperCriticStep, mlpCriticStep, type TrainStep } from '../../bench/core/workloads.js';
import { availableBackends } from '../helpers/backends.js';
import { countTypedArrayAllocations } from '../helpers/alloc.js';

const WORKLOADS = { mlp: mlpCriticStep, hyper: hyperCriticStep } as const;

function firstLosses(w: TrainStep, steps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) { w.step(); out.push(w.loss()); }
  return out;
}

for (const [wname, make] of Object.entries(WORKLOADS)) {
  describe(`${wname} critic training step`, () => {
    it('learns: the loss on its fixed batch falls by more than half in 150 steps (native or wasm)', () => {
      const be = createBackend(availableBackends()[0]!.name);
      const w = make(be);
      w.step();
      const start = w.loss();
      for (let i = 0; i < 150; i++) w.step();
      assert.ok(w.loss() < 0.5 * start, `loss ${start} → ${w.loss()}`);
    });

    it('gives the same first losses on every backend as on the js reference', () => {
      const want = firstLosses(make(createBackend('js')), 4);
      for (const { name } of availableBackends()) {
        const got = firstLosses(make(createBackend(name)), 4);
        got.forEach((l, i) => assert.ok(Math.abs(l - want[i]!) <= 1e-4 * Math.abs(want[i]!), `${name} step ${i}: loss ${l} vs js ${want[i]}`));
      }
    });

    for (const { name } of availableBackends()) {
      it(`allocates no typed arrays and no arena memory after the first call (${name})`, () => {
        const be = createBackend(name);
        const w = make(be);
        w.step();
        const before = be.arena.getStats();
        const allocations = countTypedArrayAllocations(() => { for (let i = 0; i < 5; i++) w.step(); });
        assert.equal(allocations, 0, `${allocations} typed arrays created during 5 steps`);
        assert.deepEqual(be.arena.getStats(), before);
      });
    }
  });
}
