/** A run too short to reach learningStarts is refused (it would evaluate an untrained policy), or run with a warning when asked. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

it('refuses a run that would do no gradient update, and runs it with a warning under --allow-no-updates', () => {
  const runs = tempRuns('no-updates');
  const args = [CLI, 'train', '--total-steps', '300', '--eval-episodes', '1', '--runs-dir', runs, '--quiet'];
  const refused = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /no gradient update would happen: totalSteps 300 ≤ learningStarts 25000 \(td3 cleanrl preset\).*--allow-no-updates/);
  assert.equal(existsSync(runs) && readdirSync(runs).length, 0, 'no run folder is left behind');

  const sac = spawnSync(process.execPath, [...args, '--algo', 'sac'], { encoding: 'utf8' });
  assert.match(sac.stderr, /totalSteps 300 ≤ learningStarts 5000 \(sac cleanrl preset\)/);

  const allowed = spawnSync(process.execPath, [...args, '--allow-no-updates'], { encoding: 'utf8' });
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.match(allowed.stderr, /warning: no gradient update would happen.*untrained policy/);
  assert.equal(readdirSync(runs).length, 1);

  const enough = spawnSync(process.execPath, [...args, '--learning-starts', '200', '--random-steps', '200', '--actor-hidden', '16', '--critic-hidden', '16', '--batch-size', '32'], { encoding: 'utf8' });
  assert.equal(enough.status, 0, enough.stderr);
  assert.doesNotMatch(enough.stderr, /warning/);
});
