/**
 * nn benchmark (`npm run bench:nn [-- --quick]`): training steps
 * (forward, backward, Adam) through the autodiff, next to the same networks built
 * from raw kernels (bench/core/workloads) in the same run, plus the critic presets.
 * Writes bench/results/nn-<date>.json.
 */
import { cpus } from 'node:os';
import type { BackendName } from '../../src/tensor/backend.js';
import { createBackend, probeBackends } from '../../src/tensor/backends/index.js';
import { nativeInfo } from '../../src/tensor/backends/native/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { add, mean, neg, square, squaredDifference } from '../../src/tensor/ops/elementwise.js';
import { gaussianLogProb } from '../../src/nn/distributions.js';
import { MetaPolicy } from '../../src/nn/meta-policy.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { HyperCritic, MlpCritic, type Critic } from '../../src/nn/critics.js';
import { HyperNetwork } from '../../src/nn/hypernetwork.js';
import { hypeRlHeadInit } from '../../src/nn/hyper-init.js';
import { GRU } from '../../src/nn/gru.js';
import { MLP } from '../../src/nn/layers.js';
import { Adam } from '../../src/nn/optim.js';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { writeBenchResult } from '../lib/results.js';
import { secondsPerCall } from '../lib/timing.js';
import { hyperCriticStep, mlpCriticStep } from '../core/workloads.js';
import { benchFlags } from '../lib/flags.js';

export interface NnBenchOptions { quick?: boolean; backend?: BackendName; outDir?: string; log?: (line: string) => void }

/** A regression step through the autodiff: loss = Σ_q mean((q − y)²), backward, Adam. */
function autodiffStep(e: Engine, params: Tensor[], forward: () => Tensor[], y: Tensor): () => void {
  const opt = new Adam(e, params, { lr: 3e-4 });
  return () => e.scope(() => {
    const qs = forward();
    let loss = mean(squaredDifference(qs[0]!, y));
    for (let i = 1; i < qs.length; i++) loss = add(loss, mean(squaredDifference(qs[i]!, y)));
    e.backward(loss, params, false);
    opt.step();
  });
}

function inputs(e: Engine, batch: number, stateDim: number, actionDim: number): { s: Tensor; a: Tensor; y: Tensor } {
  const fill = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(k * i + 1));
  return { s: e.persistent([batch, stateDim], fill(batch * stateDim, 0.37)), a: e.persistent([batch, actionDim], fill(batch * actionDim, 0.91)), y: e.persistent([batch, 1], fill(batch, 0.13)) };
}

export async function runNnBench(opts: NnBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const trialMs = quick ? 40 : 200, trials = quick ? 5 : 9;
  const probe = probeBackends();
  const name: BackendName = opts.backend ?? (probe.native === true ? 'native' : probe.wasm === true ? 'wasm' : 'js');
  // Native kernels run on the default thread count (HYPERRL_THREADS, else the cores available): recorded with the rows.
  const threads = name === 'native' ? nativeInfo().threads : 1;
  log(`backend: ${name}, ${threads} thread${threads === 1 ? '' : 's'}; cpu: ${cpus()[0]?.model ?? 'unknown'}`);
  const rows: { name: string; batch: number; ms: number; ratio?: number; baseline?: string; parameters?: number }[] = [];
  /** Time one step function; with a baseline, also record and print the ratio to it. */
  const time = (label: string, batch: number, step: () => void, base?: { ms: number; name: string }, parameters?: number): number => {
    const ms = 1000 * secondsPerCall(step, trialMs, trials);
    const ratio = base === undefined ? undefined : ms / base.ms;
    rows.push({ name: label, batch, ms, ratio, baseline: base?.name, parameters });
    log(`${label.padEnd(42)} batch ${String(batch).padStart(3)}  ${ms.toFixed(3).padStart(9)} ms${ratio === undefined ? '' : `  ${ratio.toFixed(3)}× ${base!.name}`}`);
    return ms;
  };

  // 1. Autodiff overhead: identical networks, raw kernels vs tape.
  const rawMlp = time('raw kernels: MLP 17-256-256-1', 256, mlpCriticStep(createBackend(name, { unchecked: true })).step);
  {
    const e = new Engine(createBackend(name));
    const mlp = new MLP(e, [17, 256, 256, 1], new Xoshiro128Rng(1));
    const { s, y } = inputs(e, 256, 17, 6);
    time('autodiff: MLP 17-256-256-1', 256, autodiffStep(e, mlp.parameters(), () => [mlp.forward(s)], y), { ms: rawMlp, name: 'raw kernels' });
  }
  const rawHyper = time('raw kernels: hyper 17-256-256 → 6-64-1', 256, hyperCriticStep(createBackend(name, { unchecked: true })).step);
  {
    const e = new Engine(createBackend(name));
    const rng = new Xoshiro128Rng(1);
    const net = new HyperNetwork(e, new MLP(e, [17, 256, 256], rng), [
      { inputSize: 6, outputSize: 64, act: 'relu', headInit: hypeRlHeadInit(0.1) },
      { inputSize: 64, outputSize: 1, act: 'identity', headInit: hypeRlHeadInit(0.016) },
    ], rng);
    const { s, a, y } = inputs(e, 256, 17, 6);
    time('autodiff: hyper 17-256-256 → 6-64-1', 256, autodiffStep(e, net.parameters(), () => [net.forward(s, a)], y), { ms: rawHyper, name: 'raw kernels' });
  }

  // 2. The critics TD3/SAC use (twin), relative to the twin MLP critic.
  const critic = (label: string, batch: number, make: (e: Engine) => Critic, baseline: number | null): number => {
    const e = new Engine(createBackend(name));
    const c = make(e);
    const { s, a, y } = inputs(e, batch, 17, 6);
    return time(label, batch, autodiffStep(e, c.parameters(), () => c.forward(s, a), y), baseline === null ? undefined : { ms: baseline, name: 'twin MLP critic' }, c.parameterCount());
  };
  const mlpMs = critic('twin MLP critic 256-256 (17+6)', 256, (e) => new MlpCritic(e, new Xoshiro128Rng(2), { stateDim: 17, actionDim: 6 }), null);
  critic('twin HyperCritic compact', 256, (e) => new HyperCritic(e, new Xoshiro128Rng(2), { stateDim: 17, actionDim: 6, preset: 'compact' }), mlpMs);
  const mlp100 = critic('twin MLP critic 256-256 (17+6)', 100, (e) => new MlpCritic(e, new Xoshiro128Rng(2), { stateDim: 17, actionDim: 6 }), null);
  if (!quick) critic('twin HyperCritic paper (HypeRL)', 100, (e) => new HyperCritic(e, new Xoshiro128Rng(2), { stateDim: 17, actionDim: 6, preset: 'paper' }), mlp100);

  // 3. Meta-RL policies (Beck et al.'s XL actor-critic, HalfCheetah-Dir sizes: obs 20, action 6, VariBAD
  //    (mean, logvar) of a 5-d latent, d_l = 25): a PPO-like step, −log π(a|s) + (V − y)², backward, Adam.
  //    The hypernetwork generates its 198,279 base parameters for every sample.
  const metaPolicy = (architecture: 'standard' | 'hypernetwork', batch: number, baseline: number | null): number => {
    const e = new Engine(createBackend(name));
    const policy = new MetaPolicy(e, new Xoshiro128Rng(3), { architecture, stateDim: 20, conditioningDim: 10, actionDim: 6 });
    const fill = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(k * i + 1));
    const obs = e.persistent([batch, 20], fill(batch * 20, 0.7)), cond = e.persistent([batch, 10], fill(batch * 10, 0.3));
    const actions = e.persistent([batch, 6], fill(batch * 6, 0.2)), returns = e.persistent([batch, 1], fill(batch, 0.5));
    const opt = new Adam(e, policy.parameters(), { lr: 3e-4 });
    return time(`MetaPolicy XL ${architecture} (20 | 10 → 25)`, batch, () => e.scope(() => {
      const { mean: mu, logStd, value } = policy.forward(obs, cond);
      e.backward(add(neg(mean(gaussianLogProb(mu, logStd, actions))), mean(squaredDifference(value, returns))), policy.parameters(), false);
      opt.step();
    }), baseline === null ? undefined : { ms: baseline, name: 'standard policy' }, policy.parameterCount());
  };
  const metaBatch = quick ? 16 : 64;
  metaPolicy('hypernetwork', metaBatch, metaPolicy('standard', metaBatch, null));

  // 4. GRU over a sequence (recurrent PPO's update): forward and backward through time, on every backend that
  // loads (the js reference loops take seconds per step, so only in full runs).
  for (const be of ['native', 'wasm', 'js'] as const) {
    if (probe[be] !== true || (quick && be === 'js')) continue;
    const e = new Engine(createBackend(be));
    const [steps, batch, inp, hidden] = [64, 16, 64, 256];
    const gruLayer = new GRU(e, inp, hidden, new Xoshiro128Rng(4));
    const x = e.persistent([steps, batch, inp], Array.from({ length: steps * batch * inp }, (_, i) => Math.sin(0.37 * i + 1)));
    const h0 = e.persistent([batch, hidden]);
    time(`GRU ${inp}→${hidden}, T ${steps}, fwd+bwd (${be})`, batch, () => e.scope(() => {
      e.backward(mean(square(gruLayer.forward(x, h0).outputs)), gruLayer.parameters(), false);
    }), undefined, gruLayer.parameterCount());
  }

  const result = { benchmark: 'nn', date: new Date().toISOString(), quick, backend: name, threads, machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, rows };
  const file = writeBenchResult('nn', result, opts.outDir);
  log(`\nwrote ${file}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runNnBench({ quick: benchFlags('nn', ['--quick']).has('--quick') });
}
