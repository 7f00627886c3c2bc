export { AsyncVectorEnv, type AsyncVectorEnvOptions } from './async.js';
export { SyncVectorEnv } from './sync.js';
export { createVectorEnv } from './create.js';
export type { VectorEnv, VectorEnvOptions, VectorResetArgs, VectorResetResult, VectorStepResult } from './vector-env.js';
export { VectorNormalizeObservation, VectorNormalizeReward, VectorWrapper } from './wrappers.js';
