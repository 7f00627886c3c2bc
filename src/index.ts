/** `hyperrl` on Node: everything of `hyperrl/browser` (src/browser.ts) plus training runs in run folders. */
export * from './browser.js';
export { train } from './train/run.js';
export { resolveTrainConfig, type ResolvedConfig } from './train/run-config.js';
export type { TrainOptions, TrainResult } from './train/run-context.js';
export type { TrainCallbacks, StepInfo, UpdateInfo, EvaluationInfo, CheckpointInfo, CallbackResult } from './train/callbacks.js';
