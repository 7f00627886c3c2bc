/**
 * Environment throughput, all measured in one run so ratios compare like with like:
 * - each MuJoCo task through the full API (validation, ctrl, frame skip, observation,
 *   reward, info) next to a bare loop of `mj_step` on the same model (frame skip ×
 *   mj_step per env step) over the same trajectory: the API overhead ratio;
 * - HalfCheetah vectorised: SyncVectorEnv with 16 envs, AsyncVectorEnv with 1 worker × 16
 *   envs and 2 workers × 16 envs: the scaling ratio;
 * - the classic-control envs.
 * Rounds alternate between the variants being compared; the median round counts.
 * Writes bench/results/envs-<date>.json.
 */
import { writeBenchResult } from '../lib/results.js';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { AsyncVectorEnv, Box, loadMujoco, make, mujoco, MujocoEnv, SyncVectorEnv, type Env, type VectorEnv } from '../../src/envs/index.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { benchFlags } from '../lib/flags.js';

const MUJOCO_TASKS = ['HalfCheetah-v5', 'Hopper-v5', 'Walker2d-v5', 'Ant-v5', 'Humanoid-v5', 'Swimmer-v5', 'InvertedPendulum-v5', 'InvertedDoublePendulum-v5', 'Reacher-v5', 'Pusher-v5'];
const CLASSIC_TASKS = ['Pendulum-v1', 'MountainCarContinuous-v0', 'CartPole-v1'];
const quick = benchFlags('envs', ['--quick']).has('--quick');
const ROUND_SECONDS = quick ? 0.15 : 0.4;
const ROUNDS = quick ? 3 : 5;
const ACTION_POOL = 1024;

/** Steps per second of `stepMany(n)`, timed over about ROUND_SECONDS. */
function rate(stepMany: (n: number) => void, stepsPerCall = 1): number {
  let n = 16;
  for (;;) {
    const start = performance.now();
    stepMany(n);
    const seconds = (performance.now() - start) / 1000;
    if (seconds >= ROUND_SECONDS) return (n * stepsPerCall) / seconds;
    n = Math.ceil(n * Math.min(8, Math.max(1.5, (1.1 * ROUND_SECONDS) / Math.max(seconds, 1e-4))));
  }
}

/** Steps that take about ROUND_SECONDS. */
function calibrate(stepMany: (n: number) => void): number {
  return Math.max(16, Math.round(rate(stepMany) * ROUND_SECONDS));
}

/** Steps per second of one call of stepMany(n). */
function timed(stepMany: (n: number) => void, n: number): number {
  const start = performance.now();
  stepMany(n);
  return n / ((performance.now() - start) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Medians of alternating rounds of each variant. */
function compare(variants: Record<string, () => number>): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [name, run] of Object.entries(variants)) samples[name]!.push(run());
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))]));
}

function actionPool(space: Box, seed: number): Float32Array[] {
  const rng = new Xoshiro128Rng(seed);
  return Array.from({ length: ACTION_POOL }, () => space.sample(rng, new Float32Array(space.size)) as Float32Array);
}

/** Steps an env (resetting when episodes end) — the loop a training run performs. */
function apiStepper(env: Env, actions: Float32Array[] | number[]): (n: number) => void {
  let i = 0;
  return (n) => {
    for (let k = 0; k < n; k++) {
      const result = env.step(actions[i++ & (ACTION_POOL - 1)]!);
      if (result.terminated || result.truncated) env.reset();
    }
  };
}

function vectorStepper(env: VectorEnv, actionSize: number, seed: number): (n: number) => void {
  const rng = new Xoshiro128Rng(seed);
  const batches = Array.from({ length: 64 }, () => Float64Array.from({ length: env.numEnvs * actionSize }, () => rng.uniform(-1, 1)));
  let i = 0;
  return (n) => {
    for (let k = 0; k < n; k++) env.step(batches[i++ & 63]!);
  };
}

async function main(): Promise<void> {
  await loadMujoco();
  const mj = mujoco();
  const results: Record<string, unknown>[] = [];
  console.log(`env steps/s (median of ${ROUNDS} alternating rounds of ${ROUND_SECONDS}s)\n`);
  console.log('task                         full API   bare mj_step   API/bare');

  for (const id of MUJOCO_TASKS) {
    // No time limit and no termination: both loops then run the very same trajectory
    // (same model, start state and actions), so they do identical physics work.
    const options = 'Hopper-v5 Walker2d-v5 Ant-v5 Humanoid-v5'.includes(id) ? { terminate_when_unhealthy: false } : {};
    const env = (await make(id, { ...options, maxEpisodeSteps: null })) as MujocoEnv;
    const actions = actionPool(env.actionSpace, 1);
    env.reset({ seed: 0 });
    const start = env.getState();
    const bareData = new mj.MjData(env.model);
    const ctrl = bareData.ctrl as Float64Array;
    const api = (n: number): void => {
      env.setState(start);
      for (let k = 0; k < n; k++) env.step(actions[k & (ACTION_POOL - 1)]!);
    };
    const bare = (n: number): void => {
      mj.mj_setState(env.model, bareData, start as unknown as number[], mj.mjtState.mjSTATE_INTEGRATION.value);
      for (let k = 0; k < n; k++) {
        const a = actions[k & (ACTION_POOL - 1)]!;
        for (let c = 0; c < a.length; c++) ctrl[c] = a[c]!;
        for (let f = 0; f < env.frameSkip; f++) mj.mj_step(env.model, bareData);
      }
    };
    const steps = calibrate(api);
    const measured = compare({ api: () => timed(api, steps), bare: () => timed(bare, steps) });
    const ratio = measured.api! / measured.bare!;
    console.log(`${id.padEnd(28)} ${String(measured.api).padStart(8)}   ${String(measured.bare).padStart(12)}   ${ratio.toFixed(3)}`);
    results.push({ task: id, apiStepsPerSecond: measured.api, bareMjStepStepsPerSecond: measured.bare, apiOverBare: Number(ratio.toFixed(4)), frameSkip: env.frameSkip });
    bareData.delete();
    env.close();
  }

  console.log('\nclassic control (full API)');
  for (const id of CLASSIC_TASKS) {
    const env = await make(id);
    env.reset({ seed: 0 });
    const space = env.actionSpace;
    const actions = space instanceof Box ? actionPool(space, 2) : Array.from({ length: ACTION_POOL }, (_, i) => i & 1);
    const measured = compare({ api: () => rate(apiStepper(env, actions)) });
    console.log(`${id.padEnd(28)} ${String(measured.api).padStart(8)}`);
    results.push({ task: id, apiStepsPerSecond: measured.api });
    env.close();
  }

  const perWorker = 16;
  console.log(`\nHalfCheetah-v5 vectorised (${perWorker} envs per worker; env steps/s summed over envs)`);
  const sync = await SyncVectorEnv.create('HalfCheetah-v5', perWorker);
  const async1 = await AsyncVectorEnv.create('HalfCheetah-v5', perWorker, { workers: 1 });
  const async2 = await AsyncVectorEnv.create('HalfCheetah-v5', 2 * perWorker, { workers: 2 });
  for (const v of [sync, async1, async2]) v.reset({ seed: 0 });
  const vector = compare({
    sync16: () => rate(vectorStepper(sync, 6, 3), perWorker),
    async1x16: () => rate(vectorStepper(async1, 6, 3), perWorker),
    async2x16: () => rate(vectorStepper(async2, 6, 3), 2 * perWorker),
  });
  for (const v of [sync, async1, async2]) await v.close();
  const scaling = vector.async2x16! / vector.async1x16!;
  console.log(`SyncVectorEnv 16 envs            ${vector.sync16}`);
  console.log(`AsyncVectorEnv 1 worker × 16     ${vector.async1x16}   (${(vector.async1x16! / vector.sync16!).toFixed(3)} × Sync)`);
  console.log(`AsyncVectorEnv 2 workers × 16    ${vector.async2x16}   (${scaling.toFixed(3)} × 1 worker)`);

  const report = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, loadAverageAtEnd: loadavg() },
    mujoco: '@mujoco/mujoco 3.14.0 (single-threaded WebAssembly build)',
    roundSeconds: ROUND_SECONDS,
    rounds: ROUNDS,
    tasks: results,
    vector: { task: 'HalfCheetah-v5', envsPerWorker: perWorker, syncStepsPerSecond: vector.sync16, async1WorkerStepsPerSecond: vector.async1x16, async2WorkersStepsPerSecond: vector.async2x16, twoWorkersOverOne: Number(scaling.toFixed(4)) },
  };
  console.log(`\nwritten ${writeBenchResult('envs', { ...report, quick }, new URL('../../../bench/results/', import.meta.url).pathname)}`);
}

await main();
