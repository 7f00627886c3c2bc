/**
 * `train()`: a run of any registered algorithm. The shared pieces (run folder, metrics,
 * progress, evaluation, checkpoints, snapshots, Ctrl-C) are a RunContext (run-context.ts);
 * the loop of the algorithm's kind (loops/) drives them.
 */
import type { ConfigOf } from '../algos/algorithm.js';
import { algorithm } from '../algos/registry.js';
import { offPolicyLoop } from './loops/off-policy.js';
import { onPolicyLoop } from './loops/on-policy.js';
import { RunContext, type TrainOptions, type TrainResult } from './run-context.js';

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const algo = algorithm(opts.config.run.algo);
  // The agent config was resolved against this algorithm's schema.
  const config = opts.config.agent;
  const ctx = new RunContext(opts, algo);
  try {
    switch (algo.loop) {
      case 'off-policy': return await offPolicyLoop(ctx, algo, config as ConfigOf<typeof algo>);
      case 'on-policy': return await onPolicyLoop(ctx, algo, config as ConfigOf<typeof algo>);
    }
  } finally {
    ctx.close();
  }
}
