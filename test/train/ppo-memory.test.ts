/**
 * MemoryCue-v0 needs memory: a cue in the first observation decides which action earns +1
 * (the other −1) at the 8th step, when the observation no longer shows it. Recurrent PPO
 * (a GRU carried across steps, trained on sequences of 16 steps) solves it; the same PPO
 * without the GRU cannot beat chance, since its last-step observation is the same for both
 * cues (expected return 0), and is shown failing in the same test. Fixed seed, 50k steps,
 * 100 evaluation episodes (seeds 1–5 of the recurrent agent: all at 1.0).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { quickTrain } from '../helpers/train.js';

const RUN = { algo: 'ppo', preset: 'cleanrl-discrete', env: 'MemoryCue-v0', seed: 1, totalSteps: 50_000, numEnvs: 8, numSteps: 64, evalEpisodes: 100, evalEvery: 1_000_000, checkpointEvery: 1_000_000 };

it('recurrent PPO solves MemoryCue-v0; feed-forward PPO stays at chance', async () => {
  const recurrent = await quickTrain({ ...RUN, recurrentHidden: 32, sequenceLength: 16 });
  const feedForward = await quickTrain(RUN);
  assert.ok(recurrent.finalEval.mean >= 0.9, `recurrent PPO: evaluation return ${recurrent.finalEval.mean} (1: always the cued action)`);
  assert.ok(feedForward.finalEval.mean <= 0.3, `feed-forward PPO: evaluation return ${feedForward.finalEval.mean} (0: chance)`);
});
