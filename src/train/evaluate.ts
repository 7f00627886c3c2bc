/**
 * Deterministic evaluation on a separate env with its own seeds (never the training
 * env or the agent's generator, so evaluating does not change training).
 */
import { checkEnvOutput, type Env } from '../envs/core.js';
import type { Agent } from '../algos/agent.js';

export interface EvalResult {
  returns: number[];
  mean: number;
  std: number;
}

/** The first evaluation episode's seed of a run (episode i uses this + i): apart from the training episodes' seeds. */
export const evaluationSeed = (runSeed: number): number => runSeed + 100_000;

export function evaluate(agent: Pick<Agent, 'act'>, env: Env, episodes: number, seed: number): EvalResult {
  const dim = env.actionSpace.size;
  const action = new Float64Array(dim);
  const returns: number[] = [];
  for (let ep = 0; ep < episodes; ep++) {
    let { obs } = env.reset({ seed: seed + ep });
    checkEnvOutput(env.id, 'evaluation', ep, 0, obs, null);
    let total = 0;
    for (let t = 1; ; t++) {
      agent.act(obs, false, action);
      const r = env.step(action);
      checkEnvOutput(env.id, 'evaluation', ep, t, r.obs, r.reward);
      total += r.reward;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  const mean = returns.reduce((s, v) => s + v, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((s, v) => s + (v - mean) ** 2, 0) / returns.length);
  return { returns, mean, std };
}
