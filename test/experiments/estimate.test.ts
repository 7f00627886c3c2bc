/** Run-time estimates from finished runs' metrics: the wall time their perf/sps lines add up to, per cell. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estimateSeconds, runWallTime } from '../../src/experiments/estimate.js';
import { cells, parseSpec } from '../../src/experiments/spec.js';

const spec = parseSpec({
  name: 'est',
  grid: { env: ['Hopper-v5'], algo: ['td3'], critic: ['mlp', 'hyper'], seed: [1, 2, 3] },
  train: { totalSteps: 4000, learningStarts: 1000, randomSteps: 1000 },
}, 'est.json');

/** A run folder whose perf/sps lines are given as [step, sps]; optionally finished and diagnosed. */
function fakeRun(dir: string, id: string, sps: [number, number][], opts: { done?: boolean; diagnosticSeconds?: number[] } = {}): string {
  const run = join(dir, 'runs', id);
  mkdirSync(join(run, 'diagnostics'), { recursive: true });
  const rows = sps.map(([step, v]) => JSON.stringify({ step, 'losses/qf_loss': 1, 'perf/sps': v }));
  rows.splice(1, 0, JSON.stringify({ step: 1500, 'charts/episodic_return': 3 }));
  writeFileSync(join(run, 'metrics.jsonl'), rows.join('\n') + '\n');
  if (opts.done ?? true) writeFileSync(join(run, 'done.json'), '{}\n');
  if (opts.diagnosticSeconds) writeFileSync(join(run, 'diagnostics', 'grad.json'), JSON.stringify({ checkpoints: opts.diagnosticSeconds.map((seconds, i) => ({ step: 1000 * (i + 1), seconds, cosine: { mean: 0, lo: 0, hi: 0 } })) }));
  return run;
}

it('a run\'s wall time is the sum over its perf/sps lines of steps covered / sps, plus its diagnostic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-estimate-'));
  // 1000 steps at 100/s, 1000 at 50/s, 2000 at 200/s: 10 + 20 + 10 s; diagnostic 3 + 4 s.
  const run = fakeRun(dir, 'Hopper-v5__td3-mlp__1', [[1000, 100], [2000, 50], [4000, 200]], { diagnosticSeconds: [3, 4] });
  assert.deepEqual(runWallTime(run), { steps: 4000, seconds: 47 });
  assert.equal(runWallTime(join(dir, 'runs', 'missing')), null);
});

it('estimates a cell from the finished seeds of the same env × algo × critic only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-estimate-'));
  const all = cells(spec);
  const cell = (critic: string, seed: number) => all.find((c) => c.critic === critic && c.seed === seed)!;
  assert.equal(estimateSeconds(dir, cell('mlp', 3), 0, all), null, 'nothing finished: no estimate');
  fakeRun(dir, 'Hopper-v5__td3-mlp__1', [[2000, 100], [4000, 100]]); // 40 s for 4000 steps
  fakeRun(dir, 'Hopper-v5__td3-mlp__2', [[2000, 50], [4000, 50]]); // 80 s
  fakeRun(dir, 'Hopper-v5__td3-hyper__1', [[4000, 1]]); // another critic: not counted
  fakeRun(dir, 'Hopper-v5__td3-mlp__3', [[2000, 1]], { done: false }); // unfinished: not counted
  // 120 s over 8000 steps = 15 ms per step.
  assert.ok(Math.abs(estimateSeconds(dir, cell('mlp', 3), 0, all)! - 60) < 1e-9);
  assert.ok(Math.abs(estimateSeconds(dir, cell('mlp', 3), 3000, all)! - 15) < 1e-9, 'a resumed run has only its remaining steps to go');
  assert.ok(Math.abs(estimateSeconds(dir, cell('hyper', 2), 0, all)! - 4000) < 1e-9);
});
