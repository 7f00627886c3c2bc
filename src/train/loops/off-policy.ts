/**
 * The off-policy loop (TD3, SAC): act → step → store (the real next observation,
 * `terminated` for bootstrapping) → update, one env and one update per step once learning
 * starts. Checkpoints are taken at episode boundaries and every episode's env seed is
 * hash(seed, episode), so a resumed run continues bit-identically to an uninterrupted one.
 */
import type { OffPolicyAlgorithm } from '../../algos/algorithm.js';
import type { UpdateMetrics } from '../../algos/agent.js';
import { make } from '../../envs/registry.js';
import type { Box } from '../../envs/spaces.js';
import { ReplayBuffer } from '../../replay/replay-buffer.js';
import { QDivergenceWatch } from '../divergence.js';
import { normalizedActor, ObservationNormalizer } from '../obs-normalizer.js';
import { episodeSeed, StepRate, type TrainingLoop, type TrainingState } from '../run-context.js';

export const offPolicyLoop: TrainingLoop<OffPolicyAlgorithm> = async (ctx, algorithm, config) => {
  const rc = ctx.run;
  const env = await make(rc.env);
  const evalEnv = await make(rc.env);
  try {
    const agent = algorithm.create(ctx.engine, env, config, rc.seed);
    const obsDim = env.observationSpace.size;
    // The factory rejected any other action space.
    const actionSpace = env.actionSpace as Box;
    const replay = new ReplayBuffer(Math.min(rc.bufferSize, rc.totalSteps), obsDim, actionSpace.size, config.batchSize);
    // Runs configured before the option existed have no normalizeObs: off.
    const normalizer = rc.normalizeObs === true ? new ObservationNormalizer(obsDim) : null;
    replay.normalizer = normalizer;
    const state: TrainingState = { agent, replay, normalizer };
    const actor = normalizer === null ? agent : normalizedActor(agent, normalizer);
    const evaluation = ctx.evaluation(actor, evalEnv);
    let { step, episode, updates } = await ctx.begin(state, evaluation);

    const obs = new Float64Array(obsDim), action = new Float64Array(actionSpace.size);
    let needsReset = true, episodeReturn = 0, episodeLength = 0, lastReturn: number | null = null;
    let checkpointDue = false;
    const lastUpdate: UpdateMetrics = {};
    const qWatch = new QDivergenceWatch(config.gamma);
    qWatch.observeAll(replay.state().rewards);
    const phase = { steps: 0, seconds: 0, envSeconds: 0, actSeconds: 0, updateSeconds: 0 };
    const rate = new StepRate(step);

    while (step < rc.totalSteps) {
      if (needsReset) {
        obs.set(env.reset({ seed: episodeSeed(rc.seed, episode) }).obs);
        normalizer?.update(obs);
        needsReset = false;
      }
      const learning = step >= rc.learningStarts;
      const tAct = performance.now();
      if (step < rc.randomSteps) {
        for (let i = 0; i < action.length; i++) action[i] = actionSpace.low[i]! + (actionSpace.high[i]! - actionSpace.low[i]!) * agent.rng.uniform();
      } else {
        actor.act(obs, true, action);
      }
      const tEnv = performance.now();
      const r = env.step(action);
      replay.add(obs, action, r.reward, r.obs, r.terminated);
      qWatch.observe(r.reward);
      normalizer?.update(r.obs);
      obs.set(r.obs);
      episodeReturn += r.reward;
      episodeLength++;
      step++;
      const tUpdate = performance.now();
      // Merged so the last value of every metric is logged, also those of delayed (actor) updates.
      if (step > rc.learningStarts) Object.assign(lastUpdate, agent.update(replay, updates++));
      if (learning) {
        const tEnd = performance.now();
        phase.steps++;
        phase.actSeconds += (tEnv - tAct) / 1000;
        phase.envSeconds += (tUpdate - tEnv) / 1000;
        phase.updateSeconds += (tEnd - tUpdate) / 1000;
        phase.seconds += (tEnd - tAct) / 1000;
      }
      if (step % rc.logEvery === 0) {
        ctx.metrics.write(step, { ...lastUpdate, 'perf/sps': rate.sample(step) });
        const divergence = qWatch.check(lastUpdate['losses/qf1_values'], step);
        if (divergence !== null) ctx.progress.log(divergence);
      }
      if (step % rc.evalEvery === 0) evaluation.run(step);
      if (step % rc.checkpointEvery === 0) checkpointDue = true;
      await ctx.snapshotIfDue(state, step);

      if (r.terminated || r.truncated) {
        ctx.metrics.write(step, { 'charts/episodic_return': episodeReturn, 'charts/episodic_length': episodeLength });
        lastReturn = episodeReturn;
        episodeReturn = 0;
        episodeLength = 0;
        episode++;
        needsReset = true;
        const stopping = await ctx.stopRequested(step);
        if (checkpointDue || stopping) {
          await ctx.checkpoint(state, { step, episode, updates });
          checkpointDue = false;
        }
        if (stopping) return ctx.end('stopped', step, evaluation.last ?? evaluation.run(step), phase);
      }
      ctx.progress.update({ step, total: rc.totalSteps, stepsPerSecond: rate.value, episodeReturn: lastReturn, evalReturn: evaluation.last?.mean ?? null });
    }
    const finalEval = step % rc.evalEvery === 0 && evaluation.last !== null ? evaluation.last : evaluation.run(step);
    await ctx.checkpoint(state, { step, episode, updates });
    return ctx.end('finished', step, finalEval, phase);
  } finally {
    env.close();
    evalEnv.close();
  }
};
