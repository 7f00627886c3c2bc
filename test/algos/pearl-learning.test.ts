/**
 * PEARL learns: on Navigation2D-v0 (a 2-D point that must reach an unseen goal), the oracle
 * variant's meta-test return on held-out goals rises from the untrained policy's (which stays
 * near the start, about −31) to near the goal within 16 iterations of 100 gradient steps
 * (fixed seed). The reward scale is 20: at PEARL's 5 the entropy bonus outweighs the small
 * per-step rewards of this task (oyster's point-robot config uses 100).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/envs/index.js';
import { defaults } from '../../src/core/config.js';
import { Pearl, PEARL_SCHEMA } from '../../src/algos/pearl.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

it('raises the oracle PEARL\'s meta-test return on held-out Navigation2D goals by more than 15 within 16 iterations (seed 1)', () => {
  const config = {
    ...defaults(PEARL_SCHEMA), context: 'oracle' as const, rewardScale: 20, netSize: 64, encoderHidden: [64, 64], numTrainTasks: 10, numTestTasks: 5,
    metaBatch: 4, batchSize: 64, embeddingBatchSize: 32, numInitialSteps: 200, numTasksSample: 2, numStepsPrior: 100, numExtraRlStepsPosterior: 100,
    trainStepsPerIteration: 100, numStepsPerEval: 300, numExpTrajEval: 1, taskBufferSize: 5000,
  };
  const pearl = new Pearl(new Engine(defaultBackend()), 'Navigation2D-v0', config, 1);
  try {
    const before = mean(pearl.evaluate().returns);
    for (let i = 0; i < 16; i++) pearl.iterate();
    const after = mean(pearl.evaluate().returns);
    assert.ok(after > before + 15, `meta-test return ${before.toFixed(1)} → ${after.toFixed(1)}: less than +15 after 16 iterations`);
  } finally {
    pearl.close();
  }
});
