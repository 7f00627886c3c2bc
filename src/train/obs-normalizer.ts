/**
 * Observation normalisation for off-policy training: running mean and variance of every
 * observation the training env returns (Gymnasium's NormalizeObservation update), applied as
 * clip((x − μ) / √(σ² + ε), ±clip).
 *
 * The replay buffer keeps raw observations and normalises them when a batch is sampled, so a
 * batch always uses the current statistics (as Stable-Baselines3's VecNormalize does for
 * off-policy algorithms); a wrapper on the env instead would fill the buffer with
 * observations normalised by stale statistics.
 */
import type { EvalActor } from './evaluate.js';
import { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';
import type { RowNormalizer } from '../replay/replay-buffer.js';

/** Running statistics with the training run's clip (±10, as Stable-Baselines3's VecNormalize). */
export class ObservationNormalizer extends RunningMeanStd implements RowNormalizer {
  constructor(dim: number, clip = 10, epsilon = 1e-8) {
    super(dim, epsilon, clip);
  }
}

/** A resumed or re-evaluated run's statistics from its checkpoint's metadata (missing: an error naming the run). */
export function restoreFromCheckpoint(normalizer: RunningMeanStd, saved: RunningMeanStdState | undefined, runDir: string): void {
  if (saved === undefined) throw new Error(`${runDir}: the run normalises observations but its checkpoint has no observation statistics`);
  normalizer.setState(saved);
}

/** The agent acting on observations normalised by the given statistics (evaluation and data collection), shown the raw ones too. */
export function normalizedActor(agent: EvalActor, normalizer: RunningMeanStd): EvalActor {
  const scratch = new Float64Array(normalizer.dim);
  return {
    act(obs, explore, out) {
      normalizer.normalize(obs, 0, scratch, 0);
      agent.act(scratch, explore, out, obs);
    },
    startEpisode: agent.startEpisode?.bind(agent),
    observe: agent.observe?.bind(agent),
  };
}
