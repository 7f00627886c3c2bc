/**
 * Trains TD3 or SAC in a dedicated worker, so the page stays responsive: act → step →
 * store → update, with deterministic evaluations on a separate env, reporting steps/s and
 * returns to the page as it goes.
 */
import './runtime.js';
import {
  Box, encodeSafetensors, evaluate, make, ReplayBuffer, resolveConfig, Sac, SAC_SCHEMA, Td3, TD3_SCHEMA, type OffPolicyAgent, type SafeTensor,
} from 'hyperrl/browser';
import { createEngine } from './runtime.js';
import type { TrainEvent, TrainRequest } from './protocol.js';

const post = (event: TrainEvent, transfer: Transferable[] = []): void => (self as unknown as { postMessage(message: unknown, transfer: Transferable[]): void }).postMessage(event, transfer);
/** How often the page hears about progress. */
const REPORT_MS = 200;

async function train(request: TrainRequest): Promise<void> {
  const engine = await createEngine();
  post({ type: 'ready', backend: `${engine.backend.name} (${engine.backend.detail})` });
  const env = await make(request.env);
  const evalEnv = await make(request.env);
  const space = env.actionSpace as Box;
  const spec = { obsDim: env.observationSpace.size, actionLow: [...space.low], actionHigh: [...space.high] };
  const overrides = { critic: request.critic, actorHidden: request.hidden, criticHidden: request.hidden, batchSize: request.batchSize };
  const agent: (OffPolicyAgent & { actor: Td3['actor'] | Sac['actor'] }) = request.algo === 'td3'
    ? new Td3(engine, spec, resolveConfig('td3', TD3_SCHEMA, overrides), request.seed)
    : new Sac(engine, spec, resolveConfig('sac', SAC_SCHEMA, overrides), request.seed);
  const replay = new ReplayBuffer(request.totalSteps, spec.obsDim, space.size, request.batchSize);

  const runEval = (step: number): void => {
    const r = evaluate(agent, evalEnv, request.evalEpisodes, request.seed + 100_000);
    post({ type: 'eval', step, mean: r.mean, std: r.std });
  };
  runEval(0);
  const obs = new Float64Array(spec.obsDim), action = new Float64Array(space.size);
  let episode = 0, episodeReturn = 0, updates = 0;
  obs.set(env.reset({ seed: request.seed }).obs);
  const start = performance.now();
  let reportedAt = start, reportedStep = 0;
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
    if (step % request.evalEvery === 0) runEval(step);
    const now = performance.now();
    if (now - reportedAt >= REPORT_MS || step === request.totalSteps) {
      post({ type: 'progress', step, stepsPerSecond: ((step - reportedStep) * 1000) / (now - reportedAt) });
      reportedAt = now;
      reportedStep = step;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, t] of Object.entries(agent.actor.stateDict())) tensors[`actor.${name}`] = { dtype: 'F32', shape: t.shape, data: t.data };
  const actor = encodeSafetensors(tensors);
  post({ type: 'done', step: request.totalSteps, seconds, actor, request, ...spec }, [actor.buffer]);
  env.close();
  evalEnv.close();
}

addEventListener('message', (event: MessageEvent<TrainRequest>) => {
  train(event.data).catch((error: unknown) => post({ type: 'error', message: (error as Error).message ?? String(error) }));
});
