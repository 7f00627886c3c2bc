/**
 * The on-policy loop (PPO): rollouts of numSteps steps of numEnvs envs stepped together by a
 * SyncVectorEnv or an AsyncVectorEnv, observations and rewards normalised on the vector env,
 * one update per rollout; evaluation, metrics, progress and checkpoints from the RunContext.
 * Whichever vector env and however many workers, a run is bit-identical: the envs' code is
 * shared and everything else happens in this thread.
 *
 * Resuming. Checkpoints are written between rollouts, without the envs' internal states
 * (physics, generators, time limits). Instead, right after each scheduled checkpoint every
 * env restarts, reset with the seed hash(seed, iteration) (env i: + i), in an uninterrupted
 * run exactly as in one resumed from that checkpoint, so both continue bit-identically. The
 * restart cuts the running episodes like a time limit; their last transitions bootstrap
 * from V(next observation) as at any rollout end. A checkpoint written on an interrupt
 * (Ctrl-C, a callback) restarts the envs too when resumed, which an uninterrupted run would
 * not have done there.
 */
import { pathToFileURL } from 'node:url';
import type { OnPolicyAgent, UpdateMetrics } from '../../algos/agent.js';
import type { OnPolicyAlgorithm } from '../../algos/algorithm.js';
import { ConfigError } from '../../core/config.js';
import { RewardNormalizer } from '../../core/reward-normalizer.js';
import { RunningMeanStd } from '../../core/running-mean-std.js';
import { make, type EnvOptions } from '../../envs/registry.js';
import { Discrete } from '../../envs/spaces.js';
import { AsyncVectorEnv } from '../../envs/vector/async.js';
import { SyncVectorEnv } from '../../envs/vector/sync.js';
import type { VectorEnv } from '../../envs/vector/vector-env.js';
import { VectorNormalizeObservation, VectorNormalizeReward } from '../../envs/vector/wrappers.js';
import type { UpdateInfo } from '../callbacks.js';
import type { CheckpointMeta } from '../checkpoint.js';
import type { EvalActor } from '../evaluate.js';
import { normalizedActor } from '../obs-normalizer.js';
import type { RunConfig } from '../run-config.js';
import { episodeSeed, type TrainingLoop, type TrainingState } from '../run-context.js';

/** The vector env the agent asks for, with its normalisation wrappers (the statistics live in this thread). */
export interface WrappedVectorEnv {
  env: VectorEnv;
  /** The unwrapped vector env (to close). */
  base: VectorEnv;
  observations: VectorNormalizeObservation | null;
  rewards: VectorNormalizeReward | null;
}

/** `modules`: the run's env modules (absolute paths, `--import`), imported by every async worker too. */
export async function makeVectorEnv(run: RunConfig, agent: OnPolicyAgent, envOptions: EnvOptions = {}, modules: readonly string[] = []): Promise<WrappedVectorEnv> {
  const c = agent.config;
  const setupModules = modules.map((path) => pathToFileURL(path));
  const base = c.vectorEnv === 'async'
    ? await AsyncVectorEnv.create(run.env, c.numEnvs, { envOptions, setupModules, ...(c.workers > 0 ? { workers: c.workers } : {}) })
    : await SyncVectorEnv.create(run.env, c.numEnvs, { envOptions });
  let env: VectorEnv = base;
  const observations = c.normalizeObservation ? new VectorNormalizeObservation(env, 1e-8, c.observationClip) : null;
  if (observations !== null) env = observations;
  const rewards = c.normalizeReward ? new VectorNormalizeReward(env, c.gamma, 1e-8, c.rewardClip) : null;
  if (rewards !== null) env = rewards;
  return { env, base, observations, rewards };
}

export const onPolicyLoop: TrainingLoop<OnPolicyAlgorithm> = async (ctx, algorithm, config) => {
  const rc = ctx.run;
  if (ctx.callbacks.onStep !== undefined) throw new ConfigError(`train: onStep reports one env's steps; ${rc.algo} steps its envs together: use onUpdate (after each rollout's update)`);
  const n = config.numEnvs, batch = n * config.numSteps;
  const numIterations = Math.floor(rc.totalSteps / batch);
  if (numIterations < 1) throw new ConfigError(`train: totalSteps ${rc.totalSteps} is less than one rollout (numEnvs × numSteps = ${batch}); raise --total-steps`);
  const envOptions = algorithm.envOptions?.(config);
  const evalEnv = await make(rc.env, envOptions?.evaluation).catch((error: Error) => {
    // Meta-RL algorithms need task families: say which options the env refused.
    throw envOptions === undefined ? error : new ConfigError(`train: ${rc.algo} makes ${rc.env} with ${JSON.stringify(envOptions.evaluation)} (meta-RL trials: a task family such as HalfCheetahDir-v0, docs/envs.md): ${error.message}`, { cause: error });
  });
  const agent = algorithm.create(ctx.engine, evalEnv, config, rc.seed);
  const vec = await makeVectorEnv(rc, agent, envOptions?.train, ctx.options.config.modules);
  try {
    const state: TrainingState = { agent, replay: null, normalizer: vec.observations?.stats ?? null, rewardNormalizer: vec.rewards?.normalizer ?? null };
    const evaluation = ctx.evaluation(evaluationActor(agent, state.normalizer, state.rewardNormalizer), evalEnv);
    let evalSeconds = 0;
    const evaluate = (step: number): void => {
      const t = performance.now();
      evaluation.run(step);
      evalSeconds += (performance.now() - t) / 1000;
    };
    let { step, episode, updates: iteration } = await ctx.begin(state, evaluation);
    const updateInfo: UpdateInfo = { step, updates: iteration, metrics: {} };

    // (Re)start every env: at the start, and after each scheduled checkpoint (see the module comment).
    let obs = vec.env.reset({ seed: episodeSeed(rc.seed, iteration) }).obs;
    agent.episodesRestarted();
    const returns = new Float64Array(n), lengths = new Int32Array(n);
    const space = vec.env.singleActionSpace;
    const agentActions = new Float64Array(n * (space instanceof Discrete ? 1 : space.size));
    // Discrete agents choose class indices; the env's actions start at space.start.
    const envActions = space instanceof Discrete && space.start !== 0 ? new Float64Array(n) : agentActions;
    const phase = { steps: 0, seconds: 0, envSeconds: 0, actSeconds: 0, updateSeconds: 0 };
    let lastReturn: number | null = null;

    while (iteration < numIterations) {
      const tIteration = performance.now(), evalBefore = evalSeconds;
      for (let s = 0; s < config.numSteps; s++) {
        const tAct = performance.now();
        agent.collect(obs, agentActions, vec.observations?.rawObs ?? obs);
        if (envActions !== agentActions) for (let i = 0; i < n; i++) envActions[i] = agentActions[i]! + (space as Discrete).start;
        const tEnv = performance.now();
        const r = vec.env.step(envActions);
        phase.actSeconds += (tEnv - tAct) / 1000;
        phase.envSeconds += (performance.now() - tEnv) / 1000;
        // Episode returns in the env's own rewards.
        const raw = vec.rewards === null ? r.rewards : vec.rewards.rawRewards;
        agent.recordOutcome(r.rewards, r.terminations, r.truncations, raw);
        obs = r.obs;
        const before = step;
        step += n;
        for (let i = 0; i < n; i++) {
          returns[i] = returns[i]! + raw[i]!;
          lengths[i] = lengths[i]! + 1;
          if (r.terminations[i] || r.truncations[i]) {
            ctx.metrics.write(step, { 'charts/episodic_return': returns[i]!, 'charts/episodic_length': lengths[i]! });
            lastReturn = returns[i]!;
            episode++;
            // The next step of this env is its autoreset step, which belongs to no episode.
            returns[i] = 0;
            lengths[i] = -1;
          }
        }
        if (Math.floor(step / rc.evalEvery) > Math.floor(before / rc.evalEvery)) evaluate(step);
        // Mid-rollout too, so a signal is noticed (and a second one can quit) without waiting for the rollout's end.
        if (ctx.signalsDue()) await ctx.pollSignals();
      }
      const tUpdate = performance.now();
      const update: UpdateMetrics = agent.update(obs, iteration, numIterations, vec.observations?.rawObs ?? obs);
      const tEnd = performance.now();
      // Evaluations during the rollout do not count as training time.
      const seconds = (tEnd - tIteration) / 1000 - (evalSeconds - evalBefore);
      phase.updateSeconds += (tEnd - tUpdate) / 1000;
      phase.seconds += seconds;
      phase.steps += batch;
      iteration++;
      ctx.metrics.write(step, { ...update, 'perf/sps': batch / seconds });
      if (ctx.callbacks.onUpdate !== undefined) {
        updateInfo.step = step;
        updateInfo.updates = iteration;
        updateInfo.metrics = update;
        ctx.stopIf('onUpdate', ctx.callbacks.onUpdate(updateInfo));
      }
      ctx.progress.update({ step, total: numIterations * batch, episodeReturn: lastReturn, evalReturn: evaluation.last?.mean ?? null, evalEpisodeReturns: evaluation.last?.episodeReturns ?? null });

      const stopping = await ctx.stopRequested(step);
      const scheduled = Math.floor(step / rc.checkpointEvery) > Math.floor((step - batch) / rc.checkpointEvery);
      if (iteration < numIterations && (scheduled || stopping)) {
        ctx.checkpoint(state, { step, episode, updates: iteration });
        if (stopping) return ctx.end('stopped', step, evaluation.last ?? evaluation.run(step), phase);
        obs = vec.env.reset({ seed: episodeSeed(rc.seed, iteration) }).obs;
        agent.episodesRestarted();
        returns.fill(0);
        lengths.fill(0);
      }
    }
    // A resumed run that had finished has its final evaluation and checkpoint already: nothing is logged twice.
    const finalEval = evaluation.last?.step === step ? evaluation.last : evaluation.run(step);
    if (ctx.checkpointedStep !== step) ctx.checkpoint(state, { step, episode, updates: iteration });
    return ctx.end('finished', step, finalEval, phase);
  } finally {
    await vec.base.close();
    evalEnv.close();
  }
};

/**
 * The agent as evaluation sees it: observations normalised, and rewards shown to it (RL²
 * inputs) scaled, with the training statistics, which evaluation does not change.
 */
export function evaluationActor(agent: EvalActor, observations: RunningMeanStd | null, rewards: RewardNormalizer | null): EvalActor {
  const actor: EvalActor = observations === null ? agent : normalizedActor(agent, observations);
  const observe = actor.observe?.bind(actor);
  if (rewards === null || observe === undefined) return actor;
  return { act: actor.act.bind(actor), startEpisode: actor.startEpisode?.bind(actor), observe: (reward, done, raw) => observe(rewards.scale(reward), done, raw) };
}

/** A checkpoint's evaluation actor for an on-policy agent: the agent with the statistics the checkpoint saved (`hyperrl eval`). */
export function savedEvaluationActor(agent: OnPolicyAgent, obsDim: number, meta: CheckpointMeta, runDir: string): EvalActor {
  const c = agent.config;
  const observations = c.normalizeObservation ? new RunningMeanStd(obsDim, 1e-8, c.observationClip) : null;
  observations?.setState(saved(meta.obsNormalizer, runDir, 'normalises observations', 'observation statistics'));
  const rewards = c.normalizeReward ? new RewardNormalizer(c.numEnvs, c.gamma, 1e-8, c.rewardClip) : null;
  rewards?.setState(saved(meta.rewardNormalizer, runDir, 'normalises rewards', 'reward statistics'));
  return evaluationActor(agent, observations, rewards);
}

function saved<T>(value: T | undefined, runDir: string, does: string, what: string): T {
  if (value === undefined) throw new Error(`${runDir}: the run ${does} but its checkpoint has no ${what}`);
  return value;
}
