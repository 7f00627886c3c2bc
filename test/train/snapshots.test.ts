/**
 * Parameter snapshots: written at the configured steps (not only at episode ends),
 * the last one equal to the final checkpoint's parameters, and without any effect on
 * training (same metrics and checkpoint as a run without snapshots).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/nn/safetensors.js';
import { snapshotPath, snapshotSteps } from '../../src/train/snapshots.js';
import { checkpointFile, quickTrain } from '../helpers/train.js';

const SMALL = { env: 'Pendulum-v1', actorHidden: [16, 16], criticHidden: [16, 16], batchSize: 16, totalSteps: 450, learningStarts: 100, randomSteps: 100, evalEvery: 450, evalEpisodes: 1, checkpointEvery: 450, seed: 3 };

it('snapshots the networks every snapshotEvery steps without changing training', async () => {
  const plain = await quickTrain(SMALL);
  const snapped = await quickTrain({ ...SMALL, snapshotEvery: 150 });
  assert.deepEqual(snapshotSteps(snapped.runDir), [150, 300, 450]);
  assert.deepEqual(snapshotSteps(plain.runDir), []);

  const last = await readSafetensors(snapshotPath(snapped.runDir, 450));
  const final = await readSafetensors(checkpointFile(snapped.runDir, 'params.safetensors'));
  assert.deepEqual(Object.keys(last.tensors).sort(), Object.keys(final.tensors).sort());
  for (const [name, t] of Object.entries(final.tensors)) assert.deepEqual(last.tensors[name]!.data, t.data, name);
  assert.equal(last.metadata.step, '450');

  const metricsWithoutTime = (dir: string): string => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').replace(/"perf\/sps":[^,}]*/g, '');
  assert.equal(metricsWithoutTime(snapped.runDir), metricsWithoutTime(plain.runDir));
  assert.ok(readFileSync(checkpointFile(plain.runDir, 'params.safetensors')).equals(readFileSync(checkpointFile(snapped.runDir, 'params.safetensors'))));
});
