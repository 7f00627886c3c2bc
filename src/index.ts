export * from './tensor/index.js';
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
export { train } from './train/run.js';
export { resolveTrainConfig, type ResolvedConfig } from './train/run-config.js';
export type { TrainOptions, TrainResult } from './train/run-context.js';
export { VaribadBelief, VaeTrainer, RecurrentTaskEncoder, type RecurrentTaskEncoderOptions } from './algos/varibad/task-inference.js';
export { evaluate, type EvalResult } from './train/evaluate.js';
export type { TrainCallbacks, StepInfo, UpdateInfo, EvaluationInfo, CheckpointInfo, CallbackResult } from './train/callbacks.js';
export { defaults, resolveConfig, ConfigError } from './core/config.js';
export * from './core/types.js';
