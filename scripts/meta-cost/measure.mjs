// Cost of MAML and PEARL per meta-iteration on HalfCheetah-Vel, from scaled-down iterations:
// PEARL: seconds (wall and CPU) per gradient step after two warm-up steps (meta-batch 16 × 256, the
// pearl-velocity preset, or the one given) and per 1k collected env steps; MAML: seconds per task of a
// meta-update (20 episodes before and after adaptation) and of the TRPO step. Usage (after `npx tsc -p .`):
//   node scripts/meta-cost/measure.mjs pearl-mlp|pearl-hyper-compact [metaBatch] [steps]
//   node scripts/meta-cost/measure.mjs maml-context|maml-hyper-compact|maml-hyper-paper
// With HYPERRL_THREADS=1, the CPU seconds approximate one free core's wall time on a loaded machine.
// (one variant per process: prints one JSON line with the variant's figures and peak memory).
import { Engine, MAML_SCHEMA, MamlLearner, PEARL, PEARL_SCHEMA, Pearl, defaultBackend, defaults, prepare } from '../library.mjs';

const env = 'HalfCheetahVel-v0';
await prepare(env);
const variant = process.argv[2];
const out = { variant, env, measuredAt: new Date().toISOString(), note: 'scaled-down iterations on a shared 2-core machine under load (other jobs running): upper bounds, to be re-measured on a quiet machine' };
// PEARL only: the meta-batch (default: the pearl-velocity preset's 16; the reproduction specs use 4) and the timed steps.
const metaBatch = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const steps = Number(process.argv[4] ?? 5);
if (variant.startsWith('pearl-')) {
  // The first gradient steps grow the arena and touch its pages (the first one took ~3× a later one), so
  // they are not counted: one iteration with 2 warm-up steps, a second one for the collection figure
  // (numStepsPrior + numExtraRlStepsPosterior steps of one task), then `steps` timed gradient steps.
  const over = variant === 'pearl-mlp' ? { critic: 'mlp' } : { critic: 'hyper', hyperPreset: 'compact' };
  const c = { ...defaults(PEARL_SCHEMA), ...PEARL.presets['pearl-velocity'].agent, ...over, ...(metaBatch ? { metaBatch } : {}), numTrainTasks: 4, numTestTasks: 1, numInitialSteps: 200, trainStepsPerIteration: 2, numTasksSample: 1 };
  const p = new Pearl(new Engine(defaultBackend()), env, c, 1);
  const warm = p.iterate();
  const m = p.iterate();
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  for (let s = 0; s < steps; s++) p.trainStep(false);
  const cpu = process.cpuUsage(cpu0);
  Object.assign(out, {
    metaBatch: c.metaBatch, threads: p.engine.backend.detail,
    secondsPerGradientStep: (performance.now() - t0) / 1000 / steps, cpuSecondsPerGradientStep: (cpu.user + cpu.system) / 1e6 / steps,
    warmupSecondsPerGradientStep: warm['perf/update_seconds'] / 2,
    secondsPer1kEnvSteps: (m['perf/collect_seconds'] / (c.numStepsPrior + c.numExtraRlStepsPosterior)) * 1000,
    parameters: Object.values(p.modules()).reduce((n, mod) => n + mod.parameterCount(), 0),
  });
  p.close();
} else {
  const [, policy, preset] = variant.split('-');
  const c = { ...defaults(MAML_SCHEMA), policy, hyperPreset: preset ?? 'paper', metaBatchSize: 2, numTrainTasks: 4, numTestTasks: 1 };
  const l = new MamlLearner(new Engine(defaultBackend()), env, c, 1);
  const t0 = performance.now();
  const sampled = l.sampleTask(l.trainTasks[0]);
  const t1 = performance.now();
  l.metaUpdate(0);
  const t2 = performance.now();
  Object.assign(out, { secondsPerTaskSampling: (t1 - t0) / 1000, envStepsPerTask: sampled.train.rewards.length + sampled.valid.rewards.length, secondsPerMetaUpdateOf2Tasks: (t2 - t1) / 1000, parameters: l.policy.parameterCount() });
  l.close();
}
out.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(out));
