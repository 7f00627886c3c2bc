/**
 * PPO learns (fixed seed, mean deterministic evaluation return over 10 episodes), each within
 * 200k steps: CartPole-v1 ≥ 475 with CleanRL's ppo.py settings but 10 epochs per rollout
 * (with ppo.py's 4, seeds 1–5 ended between 470 and 500 at 200k; with 10, all at 500), and
 * InvertedPendulum-v5 ≥ 900 with ppo_continuous_action.py's (seeds 1–5: 1000 at 100k).
 * Random policies score about 22 and 5.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { quickPpo } from '../helpers/on-policy.js';

it('PPO reaches ≥ 475 on CartPole-v1 within 200k steps', async () => {
  const { result } = await quickPpo({ env: 'CartPole-v1', totalSteps: 200_000 }, { updateEpochs: 10 });
  assert.ok(result.finalEval.mean >= 475, `evaluation return ${result.finalEval.mean.toFixed(1)} (${result.finalEval.returns.join(', ')})`);
});

it('PPO reaches ≥ 900 on InvertedPendulum-v5 within 200k steps', async () => {
  const { result } = await quickPpo({ env: 'InvertedPendulum-v5', totalSteps: 100_000 });
  assert.ok(result.finalEval.mean >= 900, `evaluation return ${result.finalEval.mean.toFixed(1)} (${result.finalEval.returns.join(', ')})`);
});
