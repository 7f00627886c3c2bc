// The compiled library the developer scripts drive (scripts/pearl-inference.mjs, scripts/meta-cost/): this
// checkout's dist/, or the build of the checkout at HYPERRL_ROOT (to fingerprint another version).
// Run `npx tsc -p .` first.
const root = process.env.HYPERRL_ROOT ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const load = (path) => import(`${root}/dist/src/${path}`);
await load('envs/index.js');
export const { prepare } = await load('envs/registry.js');
export const { Engine } = await load('tensor/engine.js');
export const { defaultBackend } = await load('tensor/backends/index.js');
export const { defaults } = await load('core/config.js');
export const { MamlLearner, MAML_SCHEMA } = await load('algos/maml.js');
export const { Pearl, PEARL, PEARL_SCHEMA } = await load('algos/pearl.js');
export const { posteriorGoalR2 } = await load('diagnostics/pearl-inference.js');
