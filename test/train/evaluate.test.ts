/**
 * Per-episode returns of meta-RL evaluation trials (src/train/evaluate.ts) on hand-made
 * rewards: a scripted env that reports its episode ends as the BAMDP wrapper does.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { BaseEnv, Box } from '../../src/envs/index.js';
import { episodeMeans, episodeReturnMetrics, evaluate, formatEpisodeReturns, type EvalActor } from '../../src/train/evaluate.js';

/**
 * Trial i (reset seed i) plays `trials[i]`: its episodes' step rewards in order. As a
 * BamdpWrapper does, the reset info names the episode in the trial and each step's info says
 * whether it ended an episode; the trial's last step ends it (truncated). `flagLastStep`
 * false: the last step does not say it ended an episode (a broken wrapper).
 */
class ScriptedTrialsEnv extends BaseEnv<number, Float64Array> {
  readonly observationSpace = new Box(-Infinity, Infinity, 1, 'float64');
  readonly actionSpace = new Box(-1, 1, 1);
  private script: number[][] = [];
  private episode = 0;
  private t = 0;

  constructor(private readonly trials: number[][][], private readonly bamdp = true, private readonly flagLastStep = true) {
    super('ScriptedTrials-v0', new Float64Array(1));
  }

  override reset(args: { seed?: number } = {}) {
    this.script = this.trials[args.seed ?? 0]!;
    return super.reset(args);
  }

  protected resetEnv(): void {
    this.episode = 0;
    this.t = 0;
    this.resetResult.info = this.bamdp ? { episode_in_trial: 0 } : {};
  }

  protected stepEnv(): void {
    const rewards = this.script[this.episode]!;
    this.stepResult.reward = rewards[this.t++]!;
    const episodeEnd = this.t === rewards.length;
    if (episodeEnd) {
      this.episode++;
      this.t = 0;
    }
    const trialEnd = this.episode === this.script.length;
    this.stepResult.truncated = trialEnd;
    this.stepResult.terminated = false;
    this.stepResult.info = this.bamdp ? { episode_end: episodeEnd && (this.flagLastStep || !trialEnd) } : {};
  }
}

const idle: EvalActor = { act: (_obs, _explore, out) => void out.fill(0) };

it('splits each trial\'s return into its episodes\' returns, which sum to it exactly', () => {
  // Two trials of 3 episodes of different lengths; rewards chosen so that 0.1 + 0.2 style rounding shows up.
  const trials = [
    [[0.1, 0.2], [1, 2, 3.5], [-0.3]],
    [[0.7, 0.1], [0.25, 0.25, 0.25], [10]],
  ];
  const r = evaluate(idle, new ScriptedTrialsEnv(trials), 2, 0);
  assert.deepEqual(r.episodeReturns, [[0.1 + 0.2, 1 + 2 + 3.5, -0.3], [0.7 + 0.1, 0.75, 10]]);
  r.episodeReturns!.forEach((episodes, i) => assert.equal(r.returns[i], episodes[0]! + episodes[1]! + episodes[2]!, `trial ${i}`));
  const metrics = episodeReturnMetrics(r.episodeReturns!);
  assert.deepEqual(Object.keys(metrics), ['eval/return_episode_1', 'eval/return_episode_2', 'eval/return_episode_3']);
  assert.equal(metrics['eval/return_episode_1'], (0.1 + 0.2 + (0.7 + 0.1)) / 2);
  assert.equal(metrics['eval/return_episode_2'], (6.5 + 0.75) / 2);
  assert.equal(metrics['eval/return_episode_3'], (-0.3 + 10) / 2);
  const sum = Object.values(metrics).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum - r.mean) <= 1e-12 * Math.abs(r.mean), `episode means sum to ${sum}, the trials' mean is ${r.mean}`);
  assert.equal(formatEpisodeReturns(episodeMeans(r.episodeReturns!)), 'episode 1 0.6 → 3 4.8');
});

it('a trial of one episode: its return exactly as before, and no first → last line', () => {
  const r = evaluate(idle, new ScriptedTrialsEnv([[[0.1, 0.2, 0.3]]]), 1, 0);
  assert.deepEqual(r.returns, [0.1 + 0.2 + 0.3]);
  assert.deepEqual(r.episodeReturns, [[0.1 + 0.2 + 0.3]]);
  assert.deepEqual(episodeReturnMetrics(r.episodeReturns!), { 'eval/return_episode_1': 0.1 + 0.2 + 0.3 });
  assert.equal(formatEpisodeReturns(episodeMeans(r.episodeReturns!)), '');
});

it('an env that is not a BAMDP has no episode returns; a trial whose last step is not flagged is an error', () => {
  const plain = evaluate(idle, new ScriptedTrialsEnv([[[1, 2], [3]]], false), 1, 0);
  assert.deepEqual(plain.returns, [6]);
  assert.equal(plain.episodeReturns, undefined);
  assert.throws(() => evaluate(idle, new ScriptedTrialsEnv([[[1, 2], [3]]], true, false), 1, 0), /ScriptedTrials-v0: evaluation trial 0 ended on a step without info\.episode_end/);
  assert.throws(() => episodeMeans([[1, 2], [3]]), /trial 1 has 1 episodes, trial 0 has 2/);
  assert.throws(() => episodeMeans([]), /no trials/);
});
