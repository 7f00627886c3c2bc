/**
 * Deterministic evaluation on a separate env with its own seeds (never the training
 * env or the agent's generator, so evaluating does not change training).
 *
 * On a meta-RL env (a BAMDP, src/envs/meta/bamdp.ts) each evaluated episode is a trial of k
 * episodes on one test task. Meta-RL papers (VariBAD, Beck et al.) report each of those
 * episodes' returns, since episode 1 (exploring) against the later ones (exploiting what was
 * inferred) is what adaptation looks like: `episodeReturns` keeps them, split where the wrapper
 * reports `info.episode_end`, and the trial's return is their sum.
 */
import { checkEnvOutput, type Env } from '../envs/core.js';
import { Discrete } from '../envs/spaces.js';
import type { Agent } from '../algos/agent.js';

export interface EvalResult {
  returns: number[];
  mean: number;
  std: number;
  /** Meta-RL trials: per trial, the return of each of its k episodes in order (returns[i] is their sum); absent for other envs. */
  episodeReturns?: number[][];
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
  const trials: number[][] = [];
  for (let ep = 0; ep < episodes; ep++) {
    const reset = env.reset({ seed: seed + ep });
    let obs = reset.obs;
    checkEnvOutput(env.id, 'evaluation', ep, 0, obs, null);
    // A BAMDP says which episode of the trial its reset starts.
    const trial: number[] | null = reset.info.episode_in_trial === undefined ? null : [];
    agent.startEpisode?.(ep);
    let total = 0, episodeEnded = false;
    for (let t = 1; ; t++) {
      agent.act(obs, false, action);
      // A discrete agent's class index, shifted to the space's first action.
      const r = env.step(space instanceof Discrete ? space.start + action[0]! : action);
      checkEnvOutput(env.id, 'evaluation', ep, t, r.obs, r.reward);
      agent.observe?.(r.reward, r.terminated || r.truncated, r.reward);
      total += r.reward;
      obs = r.obs;
      episodeEnded = r.info.episode_end === true;
      if (trial !== null && episodeEnded) {
        trial.push(total);
        total = 0;
      }
      if (r.terminated || r.truncated) break;
    }
    if (trial === null) returns.push(total);
    else {
      // The trial's last step ends its k-th episode; without the flag that episode would be lost.
      if (!episodeEnded) throw new Error(`${env.id}: evaluation trial ${ep} ended on a step without info.episode_end`);
      returns.push(trialReturn(trial));
      trials.push(trial);
    }
  }
  return { ...summarizeReturns(returns), ...(trials.length > 0 ? { episodeReturns: trials } : {}) };
}

/** A trial's return: the sum of its episodes' returns (with one episode, that return exactly). */
export function trialReturn(episodeReturns: readonly number[]): number {
  return episodeReturns.reduce((s, v) => s + v, 0);
}

/** The metric of episode `episode` (1 … k) of the evaluation trials: its return averaged over the trials. */
export const episodeReturnMetric = (episode: number): string => `eval/return_episode_${episode}`;

/** Each episode's return (episode 1 first) averaged over trials of k episodes; an error if the trials' lengths differ. */
export function episodeMeans(trials: readonly (readonly number[])[]): number[] {
  const k = trials[0]?.length ?? 0;
  if (k === 0) throw new Error('episodeMeans: no trials, or a trial of no episodes');
  trials.forEach((trial, i) => {
    if (trial.length !== k) throw new Error(`episodeMeans: trial ${i} has ${trial.length} episodes, trial 0 has ${k}`);
  });
  return Array.from({ length: k }, (_, e) => trials.reduce((s, trial) => s + trial[e]!, 0) / trials.length);
}

/**
 * Per-episode meta-test returns of trials of k episodes: eval/return_episode_1 … _k, each
 * episode's return averaged over the trials. They sum to the trials' mean return
 * (eval/return_mean) up to floating-point rounding; every trial's own episodes sum to its return exactly.
 */
export function episodeReturnMetrics(trials: readonly (readonly number[])[]): Record<string, number> {
  return Object.fromEntries(episodeMeans(trials).map((m, e) => [episodeReturnMetric(e + 1), m]));
}

/** First and last episode means of trials of k ≥ 2 episodes, for progress lines (`episode 1 12.0 → 3 41.3`); '' for k = 1, whose episode is the trial. */
export function formatEpisodeReturns(means: readonly number[]): string {
  return means.length < 2 ? '' : `episode 1 ${means[0]!.toFixed(1)} → ${means.length} ${means[means.length - 1]!.toFixed(1)}`;
}

/** Returns with their mean and (population) standard deviation. */
export function summarizeReturns(returns: number[]): EvalResult {
  const mean = returns.reduce((s, v) => s + v, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((s, v) => s + (v - mean) ** 2, 0) / returns.length);
  return { returns, mean, std };
}
