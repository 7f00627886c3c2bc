// Memory of Hyper-MAML meta-updates at the paper size on HalfCheetah-Vel (1 episode per task): per meta-update, the
// arena's high-water mark (its reserve: tensors' peak, as float32), the live tensors, the process's RSS and its peak
// (maxRSS since the start: run one process per setting), and the update's seconds (meaningful on a quiet machine only).
// Usage (after `npx tsc -p .`):
//   node scripts/meta-cost/memory.mjs <tasks> [first|second] [batch|per-task] [meta-updates, default 2]
import { Engine, MAML_SCHEMA, MamlLearner, defaultBackend, defaults, prepare } from '../library.mjs';
const env = 'HalfCheetahVel-v0';
await prepare(env);
const tasks = Number(process.argv[2] ?? 1), order = process.argv[3] ?? 'first', outerPass = process.argv[4] ?? 'batch', updates = Number(process.argv[5] ?? 2);
const c = { ...defaults(MAML_SCHEMA), policy: 'hyper', hyperPreset: 'paper', order, outerPass, metaBatchSize: tasks, fastBatchSize: 1, numTrainTasks: 4, numTestTasks: 1 };
const e = new Engine(defaultBackend());
const l = new MamlLearner(e, env, c, 1);
const mb = (x) => Math.round(x / 2 ** 20);
const report = (what) => {
  const s = e.backend.arena.getStats(), m = process.memoryUsage();
  console.log(`${what}: arena peak ${mb(s.reserved * 4)} MB, live ${mb(s.live * 4)} MB; rss ${mb(m.rss)} MB, peak rss ${Math.round(process.resourceUsage().maxRSS / 1024)} MB, heap ${mb(m.heapUsed)} MB, external ${mb(m.external + m.arrayBuffers)} MB`);
};
console.log(`Hyper-MAML paper policy (${l.policy.parameterCount()} parameters), ${order} order, outerPass ${outerPass}, ${tasks} tasks × 1 episode`);
report('before');
for (let i = 0; i < updates; i++) {
  const t0 = performance.now();
  const m = l.metaUpdate(i);
  report(`meta-update ${i + 1} (${((performance.now() - t0) / 1000).toFixed(1)} s, surrogate ${m.trpo.lossBefore} → ${m.trpo.lossAfter})`);
}
l.close();
