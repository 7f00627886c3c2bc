/**
 * Learning on Pendulum-v1 (fixed seed, 15k steps, 1k random steps first): TD3 and
 * SAC with the MLP and the compact hyper critic must reach a mean deterministic
 * evaluation return ≥ −250 (random policies score about −1200 to −1500).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { quickTrain } from '../helpers/train.js';

for (const algo of ['td3', 'sac'] as const) {
  for (const critic of ['mlp', 'hyper'] as const) {
    it(`${algo.toUpperCase()} with the ${critic === 'mlp' ? 'MLP' : 'compact hyper'} critic reaches ≥ −250 on Pendulum-v1 within 15k steps`, async () => {
      const r = await quickTrain({ env: 'Pendulum-v1', algo, critic, seed: 1, totalSteps: 15_000, learningStarts: 1_000, randomSteps: 1_000, evalEvery: 15_000, checkpointEvery: 15_000 });
      assert.ok(r.finalEval.mean >= -250, `${algo}/${critic}: evaluation return ${r.finalEval.mean.toFixed(1)} (${r.finalEval.returns.map((x) => x.toFixed(0)).join(', ')})`);
    });
  }
}
