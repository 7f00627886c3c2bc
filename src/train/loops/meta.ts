/**
 * The meta-RL loop (MAML, PEARL): one step of the run is one meta-iteration of the learner,
 * which samples its own tasks from its fixed training pool and runs its own envs. So the run
 * keys count meta-iterations here: totalSteps iterations, evaluation on the held-out tasks
 * every evalEvery iterations (eval/return_mean: MAML's post-adaptation return, PEARL's return
 * with the posterior), metrics every logEvery, checkpoints every checkpointEvery. The learner's
 * metrics carry `charts/env_steps`, the env steps sampled so far.
 *
 * A checkpoint holds the parameters, optimiser moments, the learner's generator, the
 * counters and the learner's other state (`extraState`: PEARL's per-task buffers, the
 * env-step count), so a resumed run is bit-identical to an uninterrupted one (docs/meta-rl.md).
 */
import type { MetaAlgorithm } from '../../algos/algorithm.js';
import type { MetaAgent, UpdateMetrics } from '../../algos/agent.js';
import { ConfigError } from '../../core/config.js';
import { make } from '../../envs/registry.js';
import type { UpdateInfo } from '../callbacks.js';
import type { LearningPhase, TrainingLoop, TrainingState } from '../run-context.js';

export const metaLoop: TrainingLoop<MetaAlgorithm> = async (ctx, algorithm, config) => {
  const rc = ctx.run;
  // Keys of the off-policy loop that mean nothing here: refuse them rather than ignore them.
  for (const key of ['learningStarts', 'randomSteps'] as const) {
    if (rc[key] !== 0) throw new ConfigError(`train: ${rc.algo} runs meta-iterations, with no warm-up of its own; ${key} must be 0, got ${rc[key]} (see docs/meta-rl.md)`);
  }
  if (rc.normalizeObs === true) throw new ConfigError(`train: ${rc.algo} does not normalise observations; drop normalizeObs`);
  // Loads MuJoCo if the env needs it; the learner makes its own envs of the same id.
  const env = await make(rc.env);
  let agent: MetaAgent | null = null;
  try {
    agent = algorithm.create(ctx.engine, env, config, rc.seed);
    const state: TrainingState = { agent, replay: null, normalizer: null, rewardNormalizer: null };
    const evaluation = ctx.metaEvaluation(agent);
    let { step, episode, updates } = await ctx.begin(state, evaluation);
    const phase: LearningPhase = { steps: 0, seconds: 0, envSeconds: 0, actSeconds: 0, updateSeconds: 0 };
    const last: UpdateMetrics = {};
    const updateInfo: UpdateInfo = { step, updates, metrics: last };
    while (step < rc.totalSteps) {
      const t0 = performance.now();
      const metrics = agent.iterate(step);
      const seconds = (performance.now() - t0) / 1000;
      step++;
      updates++;
      Object.assign(last, metrics, { 'charts/env_steps': agent.envSteps, 'perf/seconds_per_iteration': seconds });
      phase.steps++;
      phase.seconds += seconds;
      phase.envSeconds += metrics['perf/collect_seconds'] ?? 0;
      phase.updateSeconds += metrics['perf/update_seconds'] ?? 0;
      if (ctx.callbacks.onUpdate !== undefined) {
        updateInfo.step = step;
        updateInfo.updates = updates;
        updateInfo.metrics = last;
        ctx.stopIf('onUpdate', ctx.callbacks.onUpdate(updateInfo));
      }
      if (step % rc.logEvery === 0) ctx.metrics.write(step, last);
      if (step % rc.evalEvery === 0) evaluation.run(step);
      await ctx.snapshotIfDue(state, step);
      const stopping = await ctx.stopRequested(step);
      if (step % rc.checkpointEvery === 0 || stopping) ctx.checkpoint(state, { step, episode, updates });
      if (stopping) return ctx.end('stopped', step, evaluation.last ?? evaluation.run(step), phase);
      ctx.progress.update({ step, total: rc.totalSteps, episodeReturn: null, evalReturn: evaluation.last?.mean ?? null });
    }
    // A resumed run that had finished has its final evaluation and checkpoint already: nothing is logged twice.
    const finalEval = evaluation.last?.step === step ? evaluation.last : evaluation.run(step);
    if (ctx.checkpointedStep !== step) ctx.checkpoint(state, { step, episode, updates });
    return ctx.end('finished', step, finalEval, phase);
  } finally {
    agent?.close();
    env.close();
  }
};
