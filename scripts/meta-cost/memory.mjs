// Memory of a Hyper-MAML meta-update at the paper size on HalfCheetah-Vel (1 episode per task): the arena's
// reserve and the process's RSS after each phase. Usage (after `npx tsc -p .`):
//   node scripts/meta-cost/memory.mjs <tasks> [first|second]
import { Engine, MAML_SCHEMA, MamlLearner, defaultBackend, defaults, prepare } from '../library.mjs';
const env = 'HalfCheetahVel-v0';
await prepare(env);
const tasks = Number(process.argv[2] ?? 1), order = process.argv[3] ?? 'first';
const c = { ...defaults(MAML_SCHEMA), policy: 'hyper', hyperPreset: 'paper', order, metaBatchSize: tasks, fastBatchSize: 1, numTrainTasks: 4, numTestTasks: 1 };
const e = new Engine(defaultBackend());
const l = new MamlLearner(e, env, c, 1);
const mb = (x) => Math.round(x / 2 ** 20);
const report = (what) => { const s = e.backend.arena.getStats(); const m = process.memoryUsage(); console.log(what, 'arena reserved MB', mb(s.reserved * 4), 'live MB', mb(s.live * 4), 'rss MB', mb(m.rss), 'heap MB', mb(m.heapUsed), 'external MB', mb(m.external + m.arrayBuffers)); };
report(`params ${l.policy.parameterCount()}`);
l.sampleTask(l.trainTasks[0]);
report('after one task sample');
l.metaUpdate(0);
report(`after a ${tasks}-task meta-update`);
console.log('peak rss MB', Math.round(process.resourceUsage().maxRSS / 1024));
l.close();
