/**
 * A TD3 agent on a replay buffer of random transitions, for timing its update alone (no
 * environment), and the GEMM work of one update counted from the shapes its GEMMs are
 * called with.
 */
import type { Backend } from '../../src/tensor/backend.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { Td3, type Td3Config } from '../../src/algos/td3.js';
import { ReplayBuffer } from '../../src/replay/replay-buffer.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';

export interface Td3UpdateBench {
  /** One gradient update (critic every time, actor and targets every policyDelay). */
  update(): void;
  /** GEMM floating-point operations (2·m·n·k per call) per update, averaged over policyDelay updates. */
  gemmFlopsPerUpdate: number;
  config: Td3Config;
}

/** Counts 2·m·n·k over the GEMM calls made on `be`, each member of a batched GEMM included (wraps its methods in place). */
function countGemmFlops(be: Backend): { flops: number } {
  const counter = { flops: 0 };
  const { gemm, gemmBiasAct, gemmBatched } = be;
  be.gemm = (tA, tB, m, n, k, ...rest) => { counter.flops += 2 * m * n * k; gemm.call(be, tA, tB, m, n, k, ...rest); };
  be.gemmBiasAct = (tA, tB, m, n, k, ...rest) => { counter.flops += 2 * m * n * k; gemmBiasAct.call(be, tA, tB, m, n, k, ...rest); };
  be.gemmBatched = (count, tA, tB, m, n, k, ...rest) => { counter.flops += 2 * count * m * n * k; gemmBatched.call(be, count, tA, tB, m, n, k, ...rest); };
  return counter;
}

/**
 * TD3 with `overrides` on top of the defaults (as `hyperrl train` flags, e.g. criticHidden),
 * on observations and actions of the given sizes, with the native backend.
 */
export function td3UpdateBench(obsDim: number, actionDim: number, overrides: Record<string, unknown>, opts: { seed?: number; instrument?: (be: Backend) => void } = {}): Td3UpdateBench {
  const seed = opts.seed ?? 1;
  const config = resolveTrainConfig({ algo: 'td3', ...overrides }).agent as Td3Config;
  const spec = { obsDim, actionLow: new Array<number>(actionDim).fill(-1), actionHigh: new Array<number>(actionDim).fill(1) };
  const be = createBackend('native', { unchecked: true });
  const counter = countGemmFlops(be);
  opts.instrument?.(be);
  const agent = new Td3(new Engine(be), spec, config, seed);
  const replay = new ReplayBuffer(4096, obsDim, actionDim, config.batchSize);
  const rng = new Xoshiro128Rng(seed + 1);
  const obs = new Float64Array(obsDim), next = new Float64Array(obsDim), act = new Float64Array(actionDim);
  for (let i = 0; i < replay.capacity; i++) {
    for (let j = 0; j < obsDim; j++) { obs[j] = rng.normal(); next[j] = rng.normal(); }
    for (let j = 0; j < actionDim; j++) act[j] = 2 * rng.uniform() - 1;
    replay.add(obs, act, rng.normal(), next, rng.uniform() < 0.01);
  }
  let index = 0;
  const update = (): void => { agent.update(replay, index++); };
  counter.flops = 0;
  for (let i = 0; i < config.policyDelay; i++) update();
  return { update, gemmFlopsPerUpdate: counter.flops / config.policyDelay, config };
}
