/**
 * Trains TD3, SAC or PPO in a dedicated worker, so the page stays responsive, with
 * deterministic evaluations on a separate env, reporting steps/s and returns to the page as
 * it goes. TD3/SAC: act → step → store → update, one env. PPO: rollouts of 4 envs stepped
 * together — on Web Workers when the page is cross-origin isolated (createVectorEnv) —
 * with observation and reward normalisation, one update per rollout.
 */
import './runtime.js';
import {
  AsyncVectorEnv, Box, createVectorEnv, encodeSafetensors, evaluate, make, normalizedActor, Ppo, PPO_SCHEMA, ReplayBuffer, resolveConfig, Sac, SAC_SCHEMA, Td3, TD3_SCHEMA,
  VectorNormalizeObservation, VectorNormalizeReward, type AgentSpec, type Engine, type Env, type EvalActor, type SafeTensor,
} from 'hyperrl/browser';
import envWorkerUrl from './env-worker.ts?worker&url';
import { policyNetwork } from './policies.js';
import { createEngine } from './runtime.js';
import type { ObservationStatistics, TrainEvent, TrainRequest } from './protocol.js';

const post = (event: TrainEvent, transfer: Transferable[] = []): void => (self as unknown as { postMessage(message: unknown, transfer: Transferable[]): void }).postMessage(event, transfer);
/** How often the page hears about progress. */
const REPORT_MS = 200;
/** PPO's rollouts: 4 envs × 250 steps = 1,000 (the page's step field counts thousands), in 20 minibatches of 50. */
const PPO_ENVS = 4, PPO_STEPS = 250, PPO_MINIBATCHES = 20;

/** Evaluations every evalEvery steps and progress every REPORT_MS, for either loop. */
class Reporter {
  private readonly start = performance.now();
  private reportedAt = this.start;
  private reportedStep = 0;

  constructor(private readonly request: TrainRequest, private readonly evalEnv: Env, private readonly actor: EvalActor) {
    this.evaluate(0);
  }

  private evaluate(step: number): void {
    const r = evaluate(this.actor, this.evalEnv, this.request.evalEpisodes, this.request.seed + 100_000);
    post({ type: 'eval', step, mean: r.mean, std: r.std });
  }

  /** The run moved from step `before` to `step`. */
  stepped(before: number, step: number): void {
    const every = this.request.evalEvery;
    if (Math.floor(step / every) > Math.floor(before / every)) this.evaluate(step);
    const now = performance.now();
    if (now - this.reportedAt >= REPORT_MS || step >= this.request.totalSteps) {
      post({ type: 'progress', step, stepsPerSecond: ((step - this.reportedStep) * 1000) / (now - this.reportedAt) });
      this.reportedAt = now;
      this.reportedStep = step;
    }
  }

  get seconds(): number {
    return (performance.now() - this.start) / 1000;
  }
}

const hiddenOverrides = (request: TrainRequest) => ({ actorHidden: request.hidden, criticHidden: request.hidden });

async function trainOffPolicy(engine: Engine, request: TrainRequest, spec: AgentSpec, evalEnv: Env): Promise<{ agent: Td3 | Sac; step: number; seconds: number }> {
  const env = await make(request.env);
  const space = env.actionSpace as Box;
  const overrides = { ...hiddenOverrides(request), critic: request.critic, batchSize: request.batchSize };
  const agent: Td3 | Sac = request.algo === 'td3'
    ? new Td3(engine, spec, resolveConfig('td3', TD3_SCHEMA, overrides), request.seed)
    : new Sac(engine, spec, resolveConfig('sac', SAC_SCHEMA, overrides), request.seed);
  const replay = new ReplayBuffer(request.totalSteps, spec.obsDim, space.size, request.batchSize);
  const reporter = new Reporter(request, evalEnv, agent);
  const obs = new Float64Array(spec.obsDim), action = new Float64Array(space.size);
  let episode = 0, episodeReturn = 0, updates = 0;
  obs.set(env.reset({ seed: request.seed }).obs);
  for (let step = 1; step <= request.totalSteps; step++) {
    if (step <= request.learningStarts) {
      for (let i = 0; i < action.length; i++) action[i] = space.low[i]! + (space.high[i]! - space.low[i]!) * agent.rng.uniform();
    } else {
      agent.act(obs, true, action);
    }
    const r = env.step(action);
    replay.add(obs, action, r.reward, r.obs, r.terminated);
    obs.set(r.obs);
    episodeReturn += r.reward;
    if (step > request.learningStarts) agent.update(replay, updates++);
    if (r.terminated || r.truncated) {
      post({ type: 'episode', step, episodeReturn });
      episodeReturn = 0;
      obs.set(env.reset({ seed: request.seed + ++episode }).obs);
    }
    reporter.stepped(step - 1, step);
  }
  env.close();
  return { agent, step: request.totalSteps, seconds: reporter.seconds };
}

async function trainPpo(engine: Engine, request: TrainRequest, spec: AgentSpec, evalEnv: Env): Promise<{ agent: Ppo; step: number; seconds: number; obsStatistics: ObservationStatistics }> {
  const config = resolveConfig('ppo', PPO_SCHEMA, { ...hiddenOverrides(request), numEnvs: PPO_ENVS, numSteps: PPO_STEPS, numMinibatches: PPO_MINIBATCHES });
  const agent = new Ppo(engine, spec, config, request.seed);
  const base = await createVectorEnv(request.env, PPO_ENVS, { workerUrl: envWorkerUrl });
  const observations = new VectorNormalizeObservation(base, 1e-8, config.observationClip);
  const env = new VectorNormalizeReward(observations, config.gamma, 1e-8, config.rewardClip);
  post({ type: 'note', message: `${PPO_ENVS} envs per rollout on ${base instanceof AsyncVectorEnv ? 'Web Workers' : 'this worker\'s thread'}` });
  const reporter = new Reporter(request, evalEnv, normalizedActor(agent, observations.stats));
  const batch = PPO_ENVS * PPO_STEPS, iterations = Math.max(1, Math.floor(request.totalSteps / batch));
  const actions = new Float64Array(PPO_ENVS * spec.actionLow.length), returns = new Float64Array(PPO_ENVS);
  let obs = env.reset({ seed: request.seed }).obs;
  agent.episodesRestarted();
  let step = 0;
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let s = 0; s < PPO_STEPS; s++) {
      agent.collect(obs, actions);
      const r = env.step(actions);
      agent.recordOutcome(r.rewards, r.terminations, r.truncations);
      obs = r.obs;
      step += PPO_ENVS;
      // Episode returns in the env's own rewards; an env's step after its episode ends is its autoreset step (reward 0).
      for (let i = 0; i < PPO_ENVS; i++) {
        returns[i] = returns[i]! + env.rawRewards[i]!;
        if (r.terminations[i] || r.truncations[i]) {
          post({ type: 'episode', step, episodeReturn: returns[i]! });
          returns[i] = 0;
        }
      }
      // Evaluations and progress count from the rollout's last update (they do not change the agent).
      if (s < PPO_STEPS - 1) reporter.stepped(step - PPO_ENVS, step);
    }
    agent.update(obs, iteration, iterations);
    reporter.stepped(step - PPO_ENVS, step);
  }
  await base.close();
  return { agent, step, seconds: reporter.seconds, obsStatistics: observations.stats.getState() };
}

async function train(request: TrainRequest): Promise<void> {
  const engine = await createEngine();
  post({ type: 'ready', backend: `${engine.backend.name} (${engine.backend.detail})` });
  const evalEnv = await make(request.env);
  const space = evalEnv.actionSpace as Box;
  const spec = { obsDim: evalEnv.observationSpace.size, actionLow: [...space.low], actionHigh: [...space.high] };
  const run = request.algo === 'ppo' ? await trainPpo(engine, request, spec, evalEnv) : await trainOffPolicy(engine, request, spec, evalEnv);
  // Named as in a checkpoint, so the page loads it as it loads a run folder.
  const { module, prefix } = policyNetwork(run.agent);
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, t] of Object.entries(module.stateDict())) tensors[`${prefix}${name}`] = { dtype: 'F32', shape: t.shape, data: t.data };
  const actor = encodeSafetensors(tensors);
  const obsStatistics = 'obsStatistics' in run ? run.obsStatistics : undefined;
  post({ type: 'done', step: run.step, seconds: run.seconds, actor, obsStatistics, request, ...spec }, [actor.buffer]);
  evalEnv.close();
}

addEventListener('message', (event: MessageEvent<TrainRequest>) => {
  train(event.data).catch((error: unknown) => post({ type: 'error', message: (error as Error).message ?? String(error) }));
});
