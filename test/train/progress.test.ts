/** The progress line shows the speed and ETA from its first redraw, measured between redraws. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../src/train/progress.js';

function fakeRun(isTTY: boolean, redrawEvery: number): string[] {
  const lines: string[] = [];
  let now = 100;
  const progress = new Progress({ isTTY, write: (s: string) => { lines.push(s); return true; } }, redrawEvery, false, () => now);
  // 500 steps/s for 1.5 s, then 1,000 steps/s: 50 steps every 0.1 s, then 100.
  for (let step = 0, t = 0; t <= 30; t++) {
    now = 100 + t / 10 + 1e-9; // tenths of a second (the epsilon absorbs the rounding of t / 10)
    progress.update({ step, total: 10_000, episodeReturn: null, evalReturn: null });
    step += t < 15 ? 50 : 100;
  }
  return lines;
}

it('reports steps/s and an ETA within the first second, in plain and in redrawn mode', () => {
  const plain = fakeRun(false, 1);
  assert.ok(plain.length >= 2, plain.join(''));
  assert.match(plain[0]!, / 500 steps\/s .*ETA 0:19/, 'the first line, after one second: 9,500 steps left at 500/s');
  assert.match(plain.at(-1)!, / 1000 steps\/s /, 'the speed follows the run');
  if (process.env.CI !== 'true') {
    const tty = fakeRun(true, 10);
    assert.match(tty[0]!, /^\r\[\.+\] +100\/10000 +500 steps\/s/);
  }
});

it('prints nothing when quiet', () => {
  const lines: string[] = [];
  const progress = new Progress({ isTTY: false, write: (s: string) => { lines.push(s); return true; } }, 0, true);
  progress.update({ step: 1, total: 2, episodeReturn: null, evalReturn: null }, true);
  progress.log('x');
  assert.deepEqual(lines, []);
});

it('a meta run\'s line shows its last evaluation\'s first and last episode returns when trials have k ≥ 2 episodes', () => {
  const lines: string[] = [];
  const progress = new Progress({ isTTY: false, write: (s: string) => { lines.push(s); return true; } }, 0);
  progress.update({ step: 1, total: 2, episodeReturn: null, evalReturn: 30, evalEpisodeReturns: [[5, 10, 15], [7, 12, 11]] }, true);
  progress.update({ step: 2, total: 2, episodeReturn: null, evalReturn: 30, evalEpisodeReturns: [[30]] }, true);
  assert.match(lines[0]!, / eval 30\.0 \(episode 1 6\.0 → 3 13\.0\) /);
  assert.match(lines[1]!, / eval 30\.0 {2}ETA/);
});
