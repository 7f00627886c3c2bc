/**
 * A PPO run is bit-identical whichever vector env steps its envs and however many worker
 * threads: same parameters, same logged losses, returns and evaluations.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { quickPpo } from '../helpers/on-policy.js';

it('PPO runs on SyncVectorEnv and on AsyncVectorEnv with 1, 2 and 3 workers are bit-identical', async () => {
  const traces: { label: string; params: number[]; metrics: string }[] = [];
  for (const [vectorEnv, workers] of [['sync', 0], ['async', 1], ['async', 2], ['async', 3]] as const) {
    // Random-ish early policies drop the pendulum within a few dozen steps: episodes end and autoreset throughout.
    const { agent, metrics } = await quickPpo(
      { env: 'InvertedPendulum-v5', totalSteps: 3 * 4 * 64, evalEvery: 2 * 4 * 64, evalEpisodes: 2, vectorEnv, workers },
      { numEnvs: 4, numSteps: 64, numMinibatches: 4, updateEpochs: 2 },
    );
    const rows = metrics.rows().map(({ 'perf/sps': _, ...rest }) => JSON.stringify(rest));
    traces.push({ label: `${vectorEnv} ${workers}`, params: agent.net.parameters().flatMap((p) => p.toArray()), metrics: rows.join('\n') });
  }
  const [reference, ...others] = traces;
  assert.ok((reference!.metrics.match(/episodic_return/g) ?? []).length >= 8, 'episodes ended and envs autoreset');
  assert.ok(reference!.metrics.includes('eval/return_mean'));
  for (const t of others) {
    assert.ok(t.params.every((x, i) => Object.is(x, reference!.params[i])), `${t.label}: parameters differ from sync`);
    assert.equal(t.metrics, reference!.metrics, `${t.label}: metrics differ from sync`);
  }
});
