/** `hyperrl` on Node: everything of `hyperrl/browser` (src/browser.ts) plus training runs in run folders. */
export * from './browser.js';
export { train, resolveTrainConfig, type TrainOptions, type TrainResult, type ResolvedConfig } from './train/run.js';
export type { TrainCallbacks, StepInfo, UpdateInfo, EvaluationInfo, CheckpointInfo, CallbackResult } from './train/callbacks.js';
