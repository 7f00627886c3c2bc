/**
 * posteriorGoalR2 (src/diagnostics/pearl-inference.ts): that it learns what a trained encoder
 * knows is shown in test/algos/pearl-learning.test.ts (0.414 trained, −0.055 untrained or
 * frozen); here its inputs: an oracle PEARL has no posterior to probe, and the untrained
 * encoder's posterior says nothing about the goal.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/envs/index.js';
import { defaults } from '../../src/core/config.js';
import { Pearl, PEARL_SCHEMA, type PearlConfig } from '../../src/algos/pearl.js';
import { posteriorGoalR2 } from '../../src/diagnostics/pearl-inference.js';
import type { GoalTask } from '../../src/envs/meta/families.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';

const tiny = (context: PearlConfig['context']): PearlConfig => ({
  ...defaults(PEARL_SCHEMA), context, netSize: 16, encoderHidden: [16], numTrainTasks: 12, numTestTasks: 8, metaBatch: 2, batchSize: 8, embeddingBatchSize: 8, taskBufferSize: 200,
});

it('scores an untrained encoder\'s posterior at most 0.1 on held-out goals, and refuses the oracle context, naming the env', () => {
  for (const context of ['posterior', 'oracle'] as const) {
    const pearl = new Pearl(new Engine(createBackend('js')), 'Navigation2D-v0', tiny(context), 3);
    try {
      const probe = (): number => posteriorGoalR2(pearl, pearl.trainTasks as GoalTask[], pearl.testTasks as GoalTask[], 20);
      if (context === 'oracle') assert.throws(probe, /Navigation2D-v0 uses the oracle context/);
      else { const r2 = probe(); assert.ok(Number.isFinite(r2) && r2 < 0.1, `untrained R² ${r2}`); }
    } finally {
      pearl.close();
    }
  }
});
