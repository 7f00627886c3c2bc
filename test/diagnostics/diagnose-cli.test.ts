/**
 * `hyperrl diagnose grad` on a tiny run with snapshots: one entry per snapshot in
 * diagnostics/grad.json in the shape the experiment plots read, a second call skips
 * what is done, and other settings are refused rather than mixed in.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradReportPath, type GradReport } from '../../src/diagnostics/grad-report.js';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const cli = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

it('diagnoses every snapshot once, resumably, into grad.json', () => {
  const runs = tempRuns('diagnose');
  const trained = cli('train', '--env', 'Hopper-v5', '--actor-hidden', '32,32', '--critic-hidden', '32,32', '--batch-size', '32', '--total-steps', '600',
    '--learning-starts', '200', '--random-steps', '200', '--snapshot-every', '300', '--eval-every', '600', '--eval-episodes', '1', '--runs-dir', runs, '--quiet');
  assert.equal(trained.status, 0, String(trained.stderr));
  const runDir = join(runs, readdirSync(runs)[0]!);
  const diagnose = (...extra: string[]): ReturnType<typeof spawnSync> => cli('diagnose', 'grad', runDir, '--states', '3', '--actions', '5', '--max-episode-steps', '30', ...extra);

  const first = diagnose();
  assert.equal(first.status, 0, String(first.stderr));
  assert.match(String(first.stderr), /\[2\/2\] step 600: cosine/);
  const report = JSON.parse(readFileSync(gradReportPath(runDir), 'utf8')) as GradReport;
  assert.deepEqual(report.checkpoints.map((c) => c.step), [300, 600]);
  for (const c of report.checkpoints) {
    assert.deepEqual(Object.keys(c.cosine).sort(), ['hi', 'lo', 'mean']);
    assert.equal(c.perState.length, 3);
    // null: a state whose clipped actions left the slope undetermined.
    for (const x of c.perState) assert.ok(x === null || (x >= -1 && x <= 1), `cosine ${x}`);
  }
  assert.equal(report.env, 'Hopper-v5');

  const before = readFileSync(gradReportPath(runDir), 'utf8');
  const again = diagnose();
  assert.equal(again.status, 0);
  assert.match(String(again.stderr), /2 already in/);
  assert.doesNotMatch(String(again.stderr), /cosine/);
  assert.equal(readFileSync(gradReportPath(runDir), 'utf8'), before);

  const other = diagnose('--seed', '1');
  assert.equal(other.status, 2);
  assert.match(String(other.stderr), /computed with other settings/);
});
