// Fixed-seed fingerprints of MAML meta-updates and PEARL iterations (metrics, and a hash of every parameter's bytes) on
// Navigation2D and HalfCheetah-Vel: a speed change that keeps results identical leaves this output unchanged.
// Usage (after `npx tsc -p .`): node scripts/meta-cost/fingerprint.mjs [maml|pearl|all] [batch|per-task] > fingerprint.json
// (the second argument: MAML's outerPass; 'per-task' must give 'batch''s output in first order).
import { createHash } from 'node:crypto';
import { Engine, MAML_SCHEMA, MamlLearner, PEARL_SCHEMA, Pearl, defaultBackend, defaults, prepare } from '../library.mjs';
const hashParams = (mods) => { const h = createHash('sha256'); for (const m of Object.values(mods)) for (const p of m.parameters()) h.update(Buffer.from(new Float32Array(p.toArray()).buffer)); return h.digest('hex').slice(0, 16); };
const out = {};
const which = process.argv[2] ?? 'all', outerPass = process.argv[3] ?? 'batch';
if (which === 'all' || which === 'maml') {
  for (const env of ['Navigation2D-v0', 'HalfCheetahVel-v0']) {
    await prepare(env);
    for (const [policy, order] of [['mlp', 'first'], ['context', 'first'], ['hyper', 'first'], ['context', 'second'], ['hyper', 'second']]) {
      const c = { ...defaults(MAML_SCHEMA), policy, order, hyperPreset: 'compact', metaBatchSize: 3, fastBatchSize: env.startsWith('Half') ? 2 : 5, numTrainTasks: 5, numTestTasks: 2, outerPass };
      const l = new MamlLearner(new Engine(defaultBackend()), env, c, 7);
      const rows = [];
      for (let i = 0; i < 2; i++) rows.push(l.iterate(i));
      rows.push(l.evaluate());
      out[`maml ${env} ${policy} ${order}`] = { rows, params: hashParams(l.modules()), envSteps: l.envSteps };
      l.close();
    }
  }
}
if (which === 'all' || which === 'pearl') {
  for (const env of ['Navigation2D-v0', 'HalfCheetahVel-v0']) {
    await prepare(env);
    for (const [critic, context] of [['mlp', 'posterior'], ['hyper', 'posterior'], ['mlp', 'oracle']]) {
      const c = { ...defaults(PEARL_SCHEMA), critic, context, hyperPreset: 'compact', metaBatch: 3, batchSize: 32, embeddingBatchSize: 16, numTrainTasks: 4, numTestTasks: 2, numInitialSteps: 100, numTasksSample: 2, numStepsPrior: 60, numExtraRlStepsPosterior: 60, trainStepsPerIteration: 5, numStepsPerEval: 120, taskBufferSize: 500 };
      const p = new Pearl(new Engine(defaultBackend()), env, c, 7);
      const rows = [];
      for (let i = 0; i < 2; i++) { const m = p.iterate(i); delete m['perf/collect_seconds']; delete m['perf/update_seconds']; rows.push(m); }
      rows.push(p.evaluate());
      out[`pearl ${env} ${critic} ${context}`] = { rows, params: hashParams(p.modules()), envSteps: p.envSteps };
      p.close();
    }
  }
}
console.log(JSON.stringify(out, null, 1));
