/**
 * `hyperrl/browser`: the library without Node. The WebAssembly backend (from bytes),
 * the engine and its ops, nn (modules, critics, actors, safetensors from bytes), the
 * environments with MuJoCo's WebAssembly build, vector envs on Web Workers, replay, the
 * algorithms (TD3, SAC, PPO, MAML) and evaluation. Bundlers pick the browser platform layer (src/platform/) by
 * the "browser" condition; test/browser/bundle.test.ts checks that nothing here imports
 * a Node built-in.
 */
export * from './tensor/index.js';
export { instantiateWasmBackend, relaxedSimdSupported, WASM_FILES, type BrowserWasmBackendOptions } from './tensor/backends/wasm/index.js';
export * from './nn/index.js';
export * from './core/random.js';
export * from './envs/index.js';
export * from './replay/replay-buffer.js';
export * from './replay/rollout-buffer.js';
export * from './replay/trial-buffer.js';
export { Td3, TD3, TD3_SCHEMA, type Td3Config } from './algos/td3.js';
export { Sac, SAC, SAC_SCHEMA, type SacConfig } from './algos/sac.js';
export { Ppo, PPO, PPO_SCHEMA, PPO_DISCRETE_OVERRIDES, type PpoConfig, type PpoSpec } from './algos/ppo.js';
export {
  trainMaml, MamlLearner, MAML_SCHEMA, NormalMlpPolicy, HyperMamlPolicy, makeMamlPolicy, trpoStep, outerObjective, adapt, conjugateGradient, fisherVectorProduct,
  type MamlConfig, type MamlPolicy, type MamlPolicyKind, type MamlOrder, type MamlBatchMetrics, type TrpoStepResult,
} from './algos/maml.js';
export type { Agent, AgentSpec, EnvSpaces, OffPolicyAgent, OffPolicyConfig, OnPolicyAgent, OnPolicyEnvConfig, UpdateMetrics } from './algos/agent.js';
export type { Algorithm, LoopKind, OffPolicyAlgorithm, OnPolicyAlgorithm, Preset, Presets } from './algos/algorithm.js';
export { ALGORITHMS, algorithm } from './algos/registry.js';
export { VaribadBelief, VaeTrainer, RecurrentTaskEncoder, type RecurrentTaskEncoderOptions } from './algos/varibad/task-inference.js';
export { evaluate, type EvalActor, type EvalResult } from './train/evaluate.js';
export { normalizedActor, ObservationNormalizer } from './train/obs-normalizer.js';
export { defaults, resolveConfig, ConfigError } from './core/config.js';
export * from './core/types.js';
