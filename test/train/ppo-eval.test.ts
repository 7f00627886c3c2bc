/**
 * `hyperrl eval` re-evaluates a PPO run from its checkpoint with the statistics it saved:
 * the same deterministic returns as the run's own final evaluation (same seeds), for a
 * recurrent agent with RL² inputs and observation and reward normalisation.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

it('hyperrl eval of a PPO run (recurrent, RL² inputs, normalisation) reproduces its final evaluation', () => {
  const runs = tempRuns('ppo-eval');
  const train = spawnSync(process.execPath, [CLI, 'train', '--algo', 'ppo', '--env', 'Pendulum-v1', '--num-envs', '2', '--num-steps', '64', '--num-minibatches', '4',
    '--update-epochs', '2', '--recurrent-hidden', '8', '--sequence-length', '16', '--rl2-inputs', '--total-steps', '1024', '--eval-episodes', '3', '--runs-dir', runs, '--quiet'], { encoding: 'utf8' });
  assert.equal(train.status, 0, train.stderr);
  const trained = /evaluation return (-?\d+\.\d) ± (\d+\.\d) over 3 episodes/.exec(train.stdout);
  assert.ok(trained !== null, train.stdout);
  const dir = join(runs, readdirSync(runs)[0]!);
  const ev = spawnSync(process.execPath, [CLI, 'eval', dir, '--episodes', '3'], { encoding: 'utf8' });
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, new RegExp(`at step 1024: return ${trained[1]} ± ${trained[2]} over 3 episodes`));
});
