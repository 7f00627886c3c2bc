/**
 * PPO learns (fixed seed, mean deterministic evaluation return over 10 episodes), each within
 * 200k steps: CartPole-v1 ≥ 475 with CleanRL's ppo.py settings but 10 epochs per rollout
 * (with ppo.py's 4, seeds 1–5 ended between 470 and 500 at 200k; with 10, all at 500), and
 * InvertedPendulum-v5 ≥ 900 with ppo_continuous_action.py's (seeds 1–5: 1000 at 100k).
 * Random policies score about 22 and 5.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { quickTrain } from '../helpers/train.js';

const FINAL_EVAL_ONLY = { evalEvery: 1_000_000, checkpointEvery: 1_000_000 };

it('PPO reaches ≥ 475 on CartPole-v1 within 200k steps', async () => {
  const r = await quickTrain({ algo: 'ppo', preset: 'cleanrl-discrete', env: 'CartPole-v1', seed: 1, totalSteps: 200_000, updateEpochs: 10, ...FINAL_EVAL_ONLY });
  assert.ok(r.finalEval.mean >= 475, `evaluation return ${r.finalEval.mean.toFixed(1)} (${r.finalEval.returns.join(', ')})`);
});

it('PPO reaches ≥ 900 on InvertedPendulum-v5 within 200k steps', async () => {
  const r = await quickTrain({ algo: 'ppo', env: 'InvertedPendulum-v5', seed: 1, totalSteps: 100_000, ...FINAL_EVAL_ONLY });
  assert.ok(r.finalEval.mean >= 900, `evaluation return ${r.finalEval.mean.toFixed(1)} (${r.finalEval.returns.join(', ')})`);
});
