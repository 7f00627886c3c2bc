/**
 * A PPO run is bit-identical whichever vector env steps its envs and however many worker
 * threads: same parameters and optimiser state, same logged losses, returns and evaluations.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quickTrain } from '../helpers/train.js';

it('PPO runs on SyncVectorEnv and on AsyncVectorEnv with 1, 2 and 3 workers are bit-identical', async () => {
  const traces: { label: string; files: Buffer[]; metrics: string }[] = [];
  for (const [vectorEnv, workers] of [['sync', 0], ['async', 1], ['async', 2], ['async', 3]] as const) {
    // Early policies drop the pendulum within a few dozen steps: episodes end and envs autoreset throughout.
    const r = await quickTrain({
      algo: 'ppo', env: 'InvertedPendulum-v5', seed: 1, vectorEnv, workers, totalSteps: 3 * 4 * 64, evalEvery: 2 * 4 * 64, evalEpisodes: 2, checkpointEvery: 1_000_000,
      numEnvs: 4, numSteps: 64, numMinibatches: 4, updateEpochs: 2,
    });
    const rows = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => {
      const { 'perf/sps': _, ...rest } = JSON.parse(l) as Record<string, number>;
      return JSON.stringify(rest);
    });
    const files = ['params.safetensors', 'optim.safetensors'].map((f) => readFileSync(join(r.runDir, 'checkpoint', f)));
    traces.push({ label: `${vectorEnv} ${workers}`, files, metrics: rows.join('\n') });
  }
  const [reference, ...others] = traces;
  assert.ok((reference!.metrics.match(/episodic_return/g) ?? []).length >= 8, 'episodes ended and envs autoreset');
  assert.ok(reference!.metrics.includes('eval/return_mean'));
  for (const t of others) {
    t.files.forEach((f, i) => assert.ok(f.equals(reference!.files[i]!), `${t.label}: ${i === 0 ? 'parameters' : 'optimiser state'} differ from sync`));
    assert.equal(t.metrics, reference!.metrics, `${t.label}: metrics differ from sync`);
  }
});
