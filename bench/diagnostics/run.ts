/**
 * Cost of the gradient-quality diagnostic (`npm run bench:diagnostics [-- --quick]`):
 * wall time of one checkpoint's diagnostic at the authors' settings (15 states × 15 actions,
 * episode limit 1000) on HalfCheetah-v5, which never terminates, so every rollout runs to
 * the limit: the worst case per checkpoint. Untrained TD3 agents: the cost depends on the
 * network sizes and the horizon, not on what the networks learned.
 * Writes bench/results/diagnostics-<date>.json.
 */
import '../../src/envs/index.js';
import { Td3, TD3_SCHEMA } from '../../src/algos/td3.js';
import { gradientQuality } from '../../src/diagnostics/gradient-quality.js';
import { prepare } from '../../src/envs/registry.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { defaults } from '../../src/core/config.js';
import { writeBenchResult } from '../lib/results.js';
import { benchFlags } from '../lib/flags.js';

const ENV = 'HalfCheetah-v5';
const CRITICS = [['mlp', 'compact'], ['hyper', 'compact'], ['hyper', 'paper']] as const;

async function runDiagnosticsBench(opts: { quick: boolean }): Promise<void> {
  const backend = defaultBackend();
  const rows: Record<string, unknown>[] = [];
  console.log(`gradient-quality diagnostic on ${ENV}, ${backend.name} backend, ${opts.quick ? 'quick: 3 states × 15 actions' : '15 states × 15 actions'}, episode limit 1000`);
  await prepare(ENV); // load MuJoCo's WebAssembly module outside the timings
  for (const [critic, hyperPreset] of CRITICS) {
    const engine = new Engine(backend);
    const agent = new Td3(engine, { obsDim: 17, actionLow: Array(6).fill(-1), actionHigh: Array(6).fill(1) }, { ...defaults(TD3_SCHEMA), critic, hyperPreset }, 1);
    const r = await gradientQuality({ agent, envId: ENV, states: opts.quick ? 3 : 15 });
    const label = critic === 'mlp' ? 'mlp 256-256' : `hyper ${hyperPreset}`;
    console.log(`  ${label.padEnd(14)} ${r.seconds.toFixed(1)} s (${r.envSteps} env steps, ${((1e6 * r.seconds) / r.envSteps).toFixed(1)} µs per env step incl. policy)`);
    rows.push({ critic: label, seconds: r.seconds, envSteps: r.envSteps, states: r.settings.states, actionsPerState: r.settings.actionsPerState });
  }
  const result = { date: new Date().toISOString(), quick: opts.quick, env: ENV, backend: `${backend.name} (${backend.detail})`, rows };
  const file = writeBenchResult('diagnostics', result);
  console.log(`results: ${file}`);
}

await runDiagnosticsBench({ quick: benchFlags('diagnostics', ['--quick']).has('--quick') });
