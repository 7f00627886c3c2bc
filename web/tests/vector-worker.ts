/** Steps an AsyncVectorEnv (nested Web Workers) and a SyncVectorEnv with the same seeds and actions and compares them. */
import { AsyncVectorEnv, createVectorEnv, SyncVectorEnv, Xoshiro128Rng } from 'hyperrl/browser';
import '../src/runtime.js';
import envWorkerUrl from '../src/env-worker.ts?worker&url';

export interface VectorCheck { kind: string; identical: boolean; steps: number; error?: string }

const ENV = 'HalfCheetah-v5', ENVS = 4, STEPS = 200;

async function run(): Promise<VectorCheck> {
  const candidate = await createVectorEnv(ENV, ENVS, { workers: 2, workerUrl: envWorkerUrl, timeoutMs: 30_000 });
  const reference = await SyncVectorEnv.create(ENV, ENVS);
  const rng = new Xoshiro128Rng(4);
  const actions = new Float64Array(ENVS * 6);
  let identical = true;
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));
  identical &&= same(candidate.reset({ seed: 7 }).obs, reference.reset({ seed: 7 }).obs);
  for (let t = 0; t < STEPS; t++) {
    for (let i = 0; i < actions.length; i++) actions[i] = 2 * rng.uniform() - 1;
    const a = candidate.step(actions), b = reference.step(actions);
    identical &&= same(a.obs, b.obs) && same(a.rewards, b.rewards) && same(a.terminations, b.terminations) && same(a.truncations, b.truncations);
  }
  const kind = candidate instanceof AsyncVectorEnv ? 'AsyncVectorEnv' : candidate instanceof SyncVectorEnv ? 'SyncVectorEnv' : 'unknown';
  await Promise.all([candidate.close(), reference.close()]);
  return { kind, identical, steps: STEPS };
}

run().then((result) => postMessage(result), (error: unknown) => postMessage({ kind: 'none', identical: false, steps: 0, error: (error as Error).message } satisfies VectorCheck));
