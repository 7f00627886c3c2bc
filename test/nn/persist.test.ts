/** Parameters and optimiser state survive a save/load round trip; bad files fail with the file's name. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/tensor/engine.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { HyperCritic } from '../../src/nn/critics.js';
import { Adam } from '../../src/nn/optim.js';
import { loadOptimizer, loadParameters, saveOptimizer, saveParameters } from '../../src/nn/persist.js';
import { Xoshiro128Rng } from '../../src/core/random.js';

it('round-trips a hyper critic\'s parameters and Adam moments, and names a truncated file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-persist-'));
  const e = new Engine(createBackend('js'));
  const make = (seed: number): HyperCritic => new HyperCritic(e, new Xoshiro128Rng(seed), { stateDim: 5, actionDim: 2, preset: 'compact' });
  const a = make(1), b = make(2);
  const optA = new Adam(e, a.parameters()), optB = new Adam(e, b.parameters());
  for (const p of a.parameters()) e.backend.fill(p.size, p.grad!.offset, 0.01);
  optA.step(); optA.step();
  await saveParameters(join(dir, 'params.safetensors'), a, { note: 'test' });
  await saveOptimizer(join(dir, 'optim.safetensors'), a, optA);
  assert.deepEqual(await loadParameters(join(dir, 'params.safetensors'), b), { note: 'test' });
  await loadOptimizer(join(dir, 'optim.safetensors'), b, optB);
  assert.deepEqual(b.parameters().map((p) => p.toArray()), a.parameters().map((p) => p.toArray()));
  assert.deepEqual(optB.state(), optA.state());

  const bytes = readFileSync(join(dir, 'params.safetensors'));
  writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 10));
  await assert.rejects(loadParameters(join(dir, 'cut.safetensors'), b), /cut\.safetensors/);
  await assert.rejects(loadParameters(join(dir, 'params.safetensors'), new HyperCritic(e, new Xoshiro128Rng(0), { stateDim: 6, actionDim: 2 })), /params\.safetensors: loadStateDict: parameter 'q1\.primary\.0\.W' has shape/);
});
