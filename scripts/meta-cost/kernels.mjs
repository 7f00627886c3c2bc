// Where a PEARL gradient step's time goes, kernel by kernel: wraps every method of the backend with a timer and
// prints the time and calls per kernel and shape (GEMMs with their GFLOP/s) over `steps` gradient steps after
// `warmup` ones, on the pearl-velocity meta-batch (16 × 256, context 100). Absolute times are meaningful only on a
// quiet machine; the shares are what to read under load. Usage (after `npx tsc -p .`):
//   node scripts/meta-cost/kernels.mjs mlp|hyper [steps] [warmup] [metaBatch]
import { Engine, PEARL, PEARL_SCHEMA, Pearl, defaultBackend, defaults, prepare } from '../library.mjs';
const [critic = 'mlp', stepsArg = '5', warmupArg = '2', metaBatchArg] = process.argv.slice(2);
const env = 'HalfCheetahVel-v0';
await prepare(env);
const backend = defaultBackend();
const stats = new Map();
let timing = false;
const flops = (name, a) => name === 'gemm' ? 2 * a[2] * a[3] * a[4] : name === 'gemmBiasAct' ? 2 * a[2] * a[3] * a[4] : name === 'gemmBatched' ? 2 * a[0] * a[3] * a[4] * a[5] : 0;
const shape = (name, a) => name === 'gemm' || name === 'gemmBiasAct' ? `${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} ${a[2]}x${a[3]}x${a[4]}`
  : name === 'gemmBatched' ? `${a[0]}× ${a[1] ? 'T' : 'N'}${a[2] ? 'T' : 'N'} ${a[3]}x${a[4]}x${a[5]}` : name === 'dynamicForward' || name === 'dynamicBackward' ? `${a[0]}x${a[1]}x${a[2]}`
  : name === 'reduce' ? `op${a[0]} ${a[1]}x${a[2]}x${a[3]}` : name === 'binary' ? `op${a[0]} ${a[1]}x${a[2]} strides ${a[4]},${a[5]} ${a[7]},${a[8]}`
  : name === 'actBackward' || name === 'unary' ? `op${a[0]} ${a[1]}` : name === 'biasAct' || name === 'colSum' ? `${a[0]}x${a[1]}` : ['fill', 'adam', 'axpby', 'polyak', 'clamp'].includes(name) ? `${a[0]}` : '';
for (const name of Object.keys(Object.getPrototypeOf(backend)).concat(Object.keys(backend))) {
  const f = backend[name];
  if (typeof f !== 'function' || name === 'constructor') continue;
  backend[name] = function (...a) {
    if (!timing) return f.apply(this, a);
    const t0 = performance.now();
    const r = f.apply(this, a);
    const dt = performance.now() - t0;
    const k = `${name} ${shape(name, a)}`;
    const s = stats.get(k) ?? { ms: 0, calls: 0, flops: 0 };
    s.ms += dt; s.calls++; s.flops += flops(name, a);
    stats.set(k, s);
    return r;
  };
}
const c = { ...defaults(PEARL_SCHEMA), ...PEARL.presets['pearl-velocity'].agent, critic, hyperPreset: 'compact', ...(metaBatchArg ? { metaBatch: Number(metaBatchArg) } : {}), numTrainTasks: 16, numTestTasks: 1, numInitialSteps: 300, numTasksSample: 0, trainStepsPerIteration: Number(warmupArg) };
const p = new Pearl(new Engine(backend), env, c, 1);
p.iterate();
const steps = Number(stepsArg);
timing = true;
const t0 = performance.now();
for (let s = 0; s < steps; s++) p.trainStep(false);
const wall = performance.now() - t0;
timing = false;
const kernelMs = [...stats.values()].reduce((a, s) => a + s.ms, 0);
const gemm = [...stats].filter(([k]) => k.startsWith('gemm')).reduce((a, [, s]) => ({ ms: a.ms + s.ms, flops: a.flops + s.flops }), { ms: 0, flops: 0 });
console.log(`${critic}, meta-batch ${c.metaBatch}: ${(wall / steps).toFixed(1)} ms per gradient step (wall), of which kernels ${(kernelMs / steps).toFixed(1)} ms (${(100 * kernelMs / wall).toFixed(0)}%), GEMMs ${(gemm.ms / steps).toFixed(1)} ms (${(100 * gemm.ms / wall).toFixed(0)}%) doing ${(gemm.flops / steps / 1e9).toFixed(2)} GFLOP`);
for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.TOP ?? 40))) {
  console.log(`${(100 * s.ms / wall).toFixed(1).padStart(5)}%  ${(s.ms / steps).toFixed(2).padStart(8)} ms  ${String(s.calls / steps).padStart(5)} calls  ${s.flops ? `${(s.flops / s.ms / 1e6).toFixed(0).padStart(4)} GFLOP/s` : '              '}  ${k}`);
}
p.close();
