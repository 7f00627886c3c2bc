/**
 * Deterministic evaluation on a separate env with its own seeds (never the training
 * env or the agent's generator, so evaluating does not change training).
 */
import type { Env } from '../envs/core.js';
import { Discrete } from '../envs/spaces.js';
import type { Agent } from '../algos/agent.js';

export interface EvalResult {
  returns: number[];
  mean: number;
  std: number;
}

/** The first evaluation episode's seed of a run (episode i uses this + i): apart from the training episodes' seeds. */
export const evaluationSeed = (runSeed: number): number => runSeed + 100_000;

/** What evaluation uses of an agent: acting, and the episode hooks of agents with memory. */
export type EvalActor = Pick<Agent, 'act' | 'startEpisode' | 'observe'>;

/** Mean and spread of the agent's deterministic returns over `episodes` episodes seeded seed, seed + 1, … */
export function evaluate(agent: EvalActor, env: Env, episodes: number, seed: number): EvalResult {
  const space = env.actionSpace;
  const action = new Float64Array(space.size);
  const returns: number[] = [];
  for (let ep = 0; ep < episodes; ep++) {
    let { obs } = env.reset({ seed: seed + ep });
    agent.startEpisode?.(ep);
    let total = 0;
    for (;;) {
      agent.act(obs, false, action);
      // A discrete agent's class index, shifted to the space's first action.
      const r = env.step(space instanceof Discrete ? space.start + action[0]! : action);
      agent.observe?.(r.reward, r.terminated || r.truncated);
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
