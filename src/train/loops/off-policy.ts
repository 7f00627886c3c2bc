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
import { ConfigError } from '../../core/config.js';
import type { StepInfo, UpdateInfo } from '../callbacks.js';
import { QDivergenceWatch } from '../divergence.js';
import { normalizedActor, ObservationNormalizer } from '../obs-normalizer.js';
import { episodeSeed, StepRate, type TrainingLoop, type TrainingState } from '../run-context.js';

export const offPolicyLoop: TrainingLoop<OffPolicyAlgorithm> = async (ctx, algorithm, config) => {
  const rc = ctx.run;
  if (!ctx.resuming && rc.totalSteps <= rc.learningStarts) {
    // Evaluations of such a run score an untrained policy: almost always a mistake (CleanRL's TD3 starts learning at 25,000 steps).
    const problem = `no gradient update would happen: totalSteps ${rc.totalSteps} ≤ learningStarts ${rc.learningStarts} (${rc.algo} ${rc.preset} preset)`;
    if (ctx.options.allowNoUpdates !== true) throw new ConfigError(`train: ${problem}; raise --total-steps or lower --learning-starts (and --random-steps), or pass --allow-no-updates to run anyway`);
    console.warn(`hyperrl train: warning: ${problem}; the evaluations score the untrained policy`);
  }
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
    const state: TrainingState = { agent, replay, normalizer, rewardNormalizer: null };
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
    const { callbacks } = ctx;
    // Reused by every call: the loop allocates nothing per step.
    const stepInfo: StepInfo = { step, episode, reward: 0, terminated: false, truncated: false };
    const updateInfo: UpdateInfo = { step, updates, metrics: lastUpdate };

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
      if (step > rc.learningStarts) {
        updateInfo.metrics = agent.update(replay, updates++);
        Object.assign(lastUpdate, updateInfo.metrics);
        if (callbacks.onUpdate !== undefined) {
          updateInfo.step = step;
          updateInfo.updates = updates;
          ctx.stopIf('onUpdate', callbacks.onUpdate(updateInfo));
        }
      }
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
      if (callbacks.onStep !== undefined) {
        stepInfo.step = step;
        stepInfo.episode = episode;
        stepInfo.reward = r.reward;
        stepInfo.terminated = r.terminated;
        stepInfo.truncated = r.truncated;
        ctx.stopIf('onStep', callbacks.onStep(stepInfo));
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
      ctx.progress.update({ step, total: rc.totalSteps, episodeReturn: lastReturn, evalReturn: evaluation.last?.mean ?? null });
    }
    const finalEval = step % rc.evalEvery === 0 && evaluation.last !== null ? evaluation.last : evaluation.run(step);
    await ctx.checkpoint(state, { step, episode, updates });
    return ctx.end('finished', step, finalEval, phase);
  } finally {
    env.close();
    evalEnv.close();
  }
};
