/**
 * The on-policy training loop (PPO): rollouts of numSteps steps of numEnvs envs stepped
 * together by a SyncVectorEnv or an AsyncVectorEnv, observations and rewards normalised on
 * the vector env, one update per rollout; evaluation, metrics, progress and checkpoints
 * around it. Whichever vector env and however many workers, a run is bit-identical: the
 * envs' code is shared and everything else happens in this thread.
 *
 * Resuming. Checkpoints are written between rollouts, without the envs' internal states
 * (physics, generators, time limits). Instead, right after each scheduled checkpoint every
 * env restarts, reset with the seed hash(seed, iteration) (env i: + i), in an uninterrupted
 * run exactly as in one resumed from that checkpoint, so both continue bit-identically. The
 * restart cuts the running episodes like a time limit; their last transitions bootstrap
 * from V(next observation) as at any rollout end. A checkpoint written on an interrupt
 * (SIGINT) restarts the envs too when resumed, which an uninterrupted run would not have done.
 */
import type { OnPolicyAgent, UpdateMetrics } from '../../algos/agent.js';
import type { Env } from '../../envs/core.js';
import { Discrete } from '../../envs/spaces.js';
import { AsyncVectorEnv } from '../../envs/vector/async.js';
import { SyncVectorEnv } from '../../envs/vector/sync.js';
import type { VectorEnv } from '../../envs/vector/vector-env.js';
import { VectorNormalizeObservation, VectorNormalizeReward } from '../../envs/vector/wrappers.js';
import { RewardNormalizer } from '../../core/reward-normalizer.js';
import { RunningMeanStd } from '../../core/running-mean-std.js';
import type { CallbackResult, TrainCallbacks, UpdateInfo } from '../callbacks.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from '../checkpoint.js';
import { evaluate, type EvalActor, type EvalResult } from '../evaluate.js';
import type { MetricsLog } from '../metrics.js';
import { normalizedActor } from '../obs-normalizer.js';
import type { Progress } from '../progress.js';

export interface OnPolicyRunOptions {
  env: string;
  seed: number;
  totalSteps: number;
  evalEvery: number;
  evalEpisodes: number;
  checkpointEvery: number;
  /** 'sync': envs stepped in this thread; 'async': on worker threads. */
  vectorEnv: 'sync' | 'async';
  /** Worker threads of an async vector env (0: one per core, at most one per env). */
  workers: number;
}

/** The vector env the agent asks for, with its normalisation wrappers (the statistics live in this thread). */
export interface WrappedVectorEnv {
  env: VectorEnv;
  /** The unwrapped vector env (to close). */
  base: VectorEnv;
  observations: VectorNormalizeObservation | null;
  rewards: VectorNormalizeReward | null;
}

export async function makeVectorEnv(run: OnPolicyRunOptions, agent: OnPolicyAgent): Promise<WrappedVectorEnv> {
  const c = agent.config;
  const base = run.vectorEnv === 'async'
    ? await AsyncVectorEnv.create(run.env, c.numEnvs, run.workers > 0 ? { workers: run.workers } : {})
    : await SyncVectorEnv.create(run.env, c.numEnvs);
  let env: VectorEnv = base;
  const observations = c.normalizeObservation ? new VectorNormalizeObservation(env, 1e-8, c.observationClip) : null;
  if (observations !== null) env = observations;
  const rewards = c.normalizeReward ? new VectorNormalizeReward(env, c.gamma, 1e-8, c.rewardClip) : null;
  if (rewards !== null) env = rewards;
  return { env, base, observations, rewards };
}

export interface OnPolicyContext {
  run: OnPolicyRunOptions;
  agent: OnPolicyAgent;
  evalEnv: Env;
  runDir: string;
  metrics: MetricsLog;
  progress: Progress;
  /** Recorded in every checkpoint. */
  versions: Record<string, string>;
  resume: boolean;
  /** Stop (with a checkpoint) at the first rollout end at or after this step (simulated interruptions). */
  stopAtStep?: number;
  /** onUpdate (after each rollout's update), onEvaluation, onCheckpoint; `false` stops the run at the rollout's end. */
  callbacks: Omit<TrainCallbacks, 'onStep'>;
  /** What asked the run to stop (the caller's SIGINT handler: 'interrupt'), or null. */
  stopRequestedBy: () => string | null;
  /** The env-seed mix of the run (per restart index). */
  envSeed: (seed: number, index: number) => number;
}

export interface OnPolicyResult {
  steps: number;
  seconds: number;
  finalEval: EvalResult;
  /** Whole-run split of the wall time (evaluation excluded). */
  learningPhase: { steps: number; seconds: number; envSeconds: number; actSeconds: number; updateSeconds: number };
  /** Why the run stopped before totalSteps (a callback's name, `interrupt`, `stopAtStep`), or null. */
  stoppedBy: string | null;
}

export async function trainOnPolicy(ctx: OnPolicyContext): Promise<OnPolicyResult> {
  const { run, agent, evalEnv, metrics, progress, callbacks } = ctx;
  const c = agent.config;
  const n = c.numEnvs, batch = n * c.numSteps;
  const numIterations = Math.floor(run.totalSteps / batch);
  if (numIterations < 1) throw new Error(`${run.env}: totalSteps ${run.totalSteps} is less than one rollout (numEnvs × numSteps = ${batch})`);
  const vec = await makeVectorEnv(run, agent);
  try {
    let iteration = 0, step = 0, episode = 0, elapsedBefore = 0;
    if (ctx.resume) {
      const meta = await loadCheckpoint(ctx.runDir, agent, null);
      ({ step, episode, updates: iteration } = meta);
      elapsedBefore = meta.elapsed;
      if (vec.observations !== null) vec.observations.setState(saved(meta.obsNormalizer, ctx.runDir, 'normalises observations', 'observation statistics'));
      if (vec.rewards !== null) vec.rewards.setState(saved(meta.rewardNormalizer, ctx.runDir, 'normalises rewards', 'reward statistics'));
      metrics.truncateAfter(step);
      progress.log(`resuming ${ctx.runDir} at step ${step} (iteration ${iteration} of ${numIterations})`);
    }

    const evalActor = evaluationActor(agent, vec.observations?.stats ?? null, vec.rewards?.normalizer ?? null);
    let lastEval: EvalResult | null = null, evalSeconds = 0;
    let stopRequestedBy: string | null = null;
    const stopIf = (callback: keyof TrainCallbacks, result: CallbackResult): void => {
      if (result === false) stopRequestedBy ??= callback;
    };
    const runEval = (): EvalResult => {
      const t = performance.now();
      const r = evaluate(evalActor, evalEnv, run.evalEpisodes, run.seed + 100_000);
      evalSeconds += (performance.now() - t) / 1000;
      metrics.write(step, { 'eval/return_mean': r.mean, 'eval/return_std': r.std });
      progress.log(`step ${step}: eval return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} (${run.evalEpisodes} episodes)`);
      stopIf('onEvaluation', callbacks.onEvaluation?.({ step, result: r }));
      return (lastEval = r);
    };
    if (step === 0) runEval();

    const t0 = performance.now();
    const checkpoint = async (): Promise<void> => {
      await saveCheckpoint(ctx.runDir, agent, null, {
        format: 1, step, episode, updates: iteration, agentRng: agent.rng.getState(), elapsed: elapsedBefore + (performance.now() - t0) / 1000,
        savedAt: new Date().toISOString(), versions: ctx.versions,
        ...(vec.observations !== null ? { obsNormalizer: vec.observations.getState() } : {}),
        ...(vec.rewards !== null ? { rewardNormalizer: vec.rewards.getState() } : {}),
      } satisfies CheckpointMeta);
      stopIf('onCheckpoint', callbacks.onCheckpoint?.({ step, runDir: ctx.runDir }));
    };
    const updateInfo: UpdateInfo = { step, updates: iteration, metrics: {} };

    // (Re)start every env: at the start, and after each scheduled checkpoint (see the module comment).
    let obs = vec.env.reset({ seed: ctx.envSeed(run.seed, iteration) }).obs;
    agent.episodesRestarted();
    const returns = new Float64Array(n), lengths = new Int32Array(n);
    const space = vec.env.singleActionSpace;
    const actionSize = space instanceof Discrete ? 1 : space.size;
    const agentActions = new Float64Array(n * actionSize);
    // Discrete agents choose class indices; the env's actions start at space.start.
    const envActions = space instanceof Discrete && space.start !== 0 ? new Float64Array(n) : agentActions;
    const phase = { steps: 0, seconds: 0, envSeconds: 0, actSeconds: 0, updateSeconds: 0 };
    let lastReturn: number | null = null, sps = 0;

    while (iteration < numIterations) {
      const tIteration = performance.now(), evalBefore = evalSeconds;
      for (let s = 0; s < c.numSteps; s++) {
        const tAct = performance.now();
        agent.collect(obs, agentActions);
        if (envActions !== agentActions) for (let i = 0; i < n; i++) envActions[i] = agentActions[i]! + (space as Discrete).start;
        const tEnv = performance.now();
        const r = vec.env.step(envActions);
        phase.actSeconds += (tEnv - tAct) / 1000;
        phase.envSeconds += (performance.now() - tEnv) / 1000;
        agent.recordOutcome(r.rewards, r.terminations, r.truncations);
        obs = r.obs;
        const raw = vec.rewards === null ? r.rewards : vec.rewards.rawRewards;
        const before = step;
        step += n;
        for (let i = 0; i < n; i++) {
          returns[i] = returns[i]! + raw[i]!;
          lengths[i] = lengths[i]! + 1;
          if (r.terminations[i] || r.truncations[i]) {
            metrics.write(step, { 'charts/episodic_return': returns[i]!, 'charts/episodic_length': lengths[i]! });
            lastReturn = returns[i]!;
            episode++;
            // The next step of this env is its autoreset step, which belongs to no episode.
            returns[i] = 0;
            lengths[i] = -1;
          }
        }
        if (Math.floor(step / run.evalEvery) > Math.floor(before / run.evalEvery)) runEval();
      }
      const tUpdate = performance.now();
      const update: UpdateMetrics = agent.update(obs, iteration, numIterations);
      const tEnd = performance.now();
      // Evaluations during the rollout do not count as training time.
      const seconds = (tEnd - tIteration) / 1000 - (evalSeconds - evalBefore);
      phase.updateSeconds += (tEnd - tUpdate) / 1000;
      phase.seconds += seconds;
      phase.steps += batch;
      iteration++;
      sps = batch / seconds;
      metrics.write(step, { ...update, 'perf/sps': sps });
      if (callbacks.onUpdate !== undefined) {
        updateInfo.step = step;
        updateInfo.updates = iteration;
        updateInfo.metrics = update;
        stopIf('onUpdate', callbacks.onUpdate(updateInfo));
      }
      progress.update({ step, total: numIterations * batch, episodeReturn: lastReturn, evalReturn: (lastEval as EvalResult | null)?.mean ?? null });

      // The loop is synchronous within a rollout: let pending signal handlers run once per rollout.
      await new Promise<void>((resolve) => setImmediate(resolve));
      stopRequestedBy ??= ctx.stopRequestedBy();
      if (stopRequestedBy === null && ctx.stopAtStep !== undefined && step >= ctx.stopAtStep) stopRequestedBy = 'stopAtStep';
      const scheduled = Math.floor(step / run.checkpointEvery) > Math.floor((step - batch) / run.checkpointEvery);
      if (iteration < numIterations && (scheduled || stopRequestedBy !== null)) {
        await checkpoint();
        if (stopRequestedBy !== null) {
          progress.done();
          progress.log(`stopped at step ${step}${stopRequestedBy === 'interrupt' ? '' : ` (by ${stopRequestedBy})`}; resume with: hyperrl train --resume ${ctx.runDir}`);
          return { steps: step, seconds: (performance.now() - t0) / 1000, finalEval: lastEval ?? runEval(), learningPhase: phase, stoppedBy: stopRequestedBy };
        }
        obs = vec.env.reset({ seed: ctx.envSeed(run.seed, iteration) }).obs;
        agent.episodesRestarted();
        returns.fill(0);
        lengths.fill(0);
      }
    }
    const finalEval = step % run.evalEvery === 0 && lastEval !== null ? lastEval : runEval();
    await checkpoint();
    progress.done();
    return { steps: step, seconds: (performance.now() - t0) / 1000, finalEval, learningPhase: phase, stoppedBy: null };
  } finally {
    await vec.base.close();
  }
}

/**
 * The agent as evaluation sees it: observations normalised, and rewards shown to it (RL²
 * inputs) scaled, with the training statistics, which evaluation does not change.
 */
export function evaluationActor(agent: EvalActor, observations: RunningMeanStd | null, rewards: RewardNormalizer | null): EvalActor {
  const actor: EvalActor = observations === null ? agent : normalizedActor(agent, observations);
  const observe = actor.observe?.bind(actor);
  if (rewards === null || observe === undefined) return actor;
  return { act: actor.act.bind(actor), startEpisode: actor.startEpisode?.bind(actor), observe: (reward, done) => observe(rewards.scale(reward), done) };
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
