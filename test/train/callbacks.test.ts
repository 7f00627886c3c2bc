/** train()'s callbacks see every step, update, evaluation and checkpoint, and one returning false stops the run resumably. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { checkpointFile, tempRuns } from '../helpers/train.js';

const SMALL = { env: 'Pendulum-v1', totalSteps: 1000, learningStarts: 100, randomSteps: 100, evalEvery: 300, evalEpisodes: 1, checkpointEvery: 1000, actorHidden: [16], criticHidden: [16], batchSize: 32 };

it('calls onStep, onUpdate, onEvaluation and onCheckpoint, and stops when one returns false', async () => {
  const seen = { steps: [] as number[], updates: [] as number[], losses: 0, evaluations: [] as number[], checkpoints: [] as number[] };
  const result = await train({
    config: resolveTrainConfig({ ...SMALL, runsDir: tempRuns('callbacks') }),
    quiet: true,
    callbacks: {
      onStep: ({ step, reward }) => { assert.ok(Number.isFinite(reward)); seen.steps.push(step); },
      onUpdate: ({ step, updates, metrics }) => {
        seen.updates.push(updates);
        if (Number.isFinite(metrics['losses/qf_loss'])) seen.losses++;
        return step < 350; // stop once past step 350: the run ends at the end of that episode (step 400)
      },
      onEvaluation: ({ step, result: r }) => { assert.ok(Number.isFinite(r.mean)); seen.evaluations.push(step); },
      onCheckpoint: ({ step, dir }) => { assert.ok(existsSync(join(dir, 'manifest.json'))); seen.checkpoints.push(step); },
    },
  });
  assert.equal(result.stoppedBy, 'onUpdate');
  assert.equal(result.steps, 400, 'Pendulum episodes are 200 steps: the stop waits for the episode to end');
  assert.deepEqual(seen.steps, Array.from({ length: 400 }, (_, i) => i + 1));
  assert.deepEqual(seen.updates, Array.from({ length: 300 }, (_, i) => i + 1), 'one update per step after learningStarts');
  assert.equal(seen.losses, 300);
  assert.deepEqual(seen.evaluations, [0, 300]);
  assert.deepEqual(seen.checkpoints, [400], 'the stop writes a checkpoint');
  const meta = JSON.parse(readFileSync(checkpointFile(result.runDir, 'meta.json'), 'utf8')) as { step: number };
  assert.equal(meta.step, 400);

  // The stopped run resumes to the end.
  const resumed = await train({ config: resolveTrainConfig({ ...SMALL, runsDir: 'unused' }), resumeDir: result.runDir, quiet: true });
  assert.equal(resumed.steps, 1000);
  assert.equal(resumed.stoppedBy, null);
});

it('stops from an evaluation callback too', async () => {
  const result = await train({
    config: resolveTrainConfig({ ...SMALL, runsDir: tempRuns('callbacks-eval') }),
    quiet: true,
    callbacks: { onEvaluation: ({ step }) => step < 600 },
  });
  assert.equal(result.stoppedBy, 'onEvaluation');
  assert.equal(result.steps, 600);
});
