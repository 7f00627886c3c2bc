// CPU profile of the second MAML meta-update (4 tasks × 10 episodes) or PEARL iteration (20 gradient steps on
// 4 × 256, 400 collected steps) on HalfCheetah-Vel, the first one growing the arena. Usage (after `npx tsc -p .`):
//   node scripts/meta-cost/profile.mjs maml context|hyper compact first|second <out-dir>
//   node scripts/meta-cost/profile.mjs pearl mlp|hyper compact - <out-dir>
// then: node scripts/meta-cost/shares.mjs <out-dir>   (self and inclusive shares of the time)
import { Session } from 'node:inspector/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
import { Engine, MAML_SCHEMA, MamlLearner, PEARL, PEARL_SCHEMA, Pearl, defaultBackend, defaults, prepare } from '../library.mjs';
const [algo, policy, preset, order, outDir, envArg] = process.argv.slice(2);
const env = envArg ?? 'HalfCheetahVel-v0';
await prepare(env);
let run, l;
if (algo === 'maml') {
  const c = { ...defaults(MAML_SCHEMA), policy, hyperPreset: preset, order, metaBatchSize: 4, fastBatchSize: 10, numTrainTasks: 4, numTestTasks: 1 };
  l = new MamlLearner(new Engine(defaultBackend()), env, c, 1);
  run = (i) => { const m = l.metaUpdate(i); return { pre: m.trainPreReturn, post: m.trainPostReturn, ...m.trpo }; };
} else {
  const c = { ...defaults(PEARL_SCHEMA), ...PEARL.presets['pearl-velocity'].agent, critic: policy, hyperPreset: preset, metaBatch: 4, numTrainTasks: 4, numTestTasks: 1, numInitialSteps: 200, trainStepsPerIteration: 20, numTasksSample: 1, numStepsPrior: 200, numExtraRlStepsPosterior: 200 };
  l = new Pearl(new Engine(defaultBackend()), env, c, 1);
  run = () => l.iterate();
}
const first = run(0);
const s = new Session(); s.connect();
await s.post('Profiler.enable'); await s.post('Profiler.start');
const t0 = performance.now();
const second = run(1);
const secs = (performance.now() - t0) / 1000;
const { profile } = await s.post('Profiler.stop');
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}/p.cpuprofile`, JSON.stringify(profile));
console.log(JSON.stringify({ secs, first, second }));
l.close();
