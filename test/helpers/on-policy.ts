import '../../src/envs/index.js';
import { Ppo, PPO_DISCRETE_OVERRIDES, PPO_SCHEMA, type PpoConfig } from '../../src/algos/ppo.js';
import { make } from '../../src/envs/registry.js';
import { Box } from '../../src/envs/spaces.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { resolveConfig } from '../../src/train/config.js';
import { trainOnPolicy, type OnPolicyResult, type OnPolicyRunOptions } from '../../src/train/loops/on-policy.js';
import { MetricsLog } from '../../src/train/metrics.js';
import { Progress } from '../../src/train/progress.js';
import { episodeSeed } from '../../src/train/run.js';
import { tempRuns } from './train.js';

/** A quiet PPO run in a temp folder (CleanRL's discrete defaults for Discrete action spaces). */
export async function quickPpo(run: Partial<OnPolicyRunOptions> & { env: string }, overrides: Partial<PpoConfig> = {}): Promise<{ result: OnPolicyResult; agent: Ppo; metrics: MetricsLog }> {
  const options: OnPolicyRunOptions = { seed: 1, totalSteps: 100_000, evalEvery: 1_000_000, evalEpisodes: 10, checkpointEvery: 1_000_000, vectorEnv: 'sync', workers: 0, ...run };
  const evalEnv = await make(options.env);
  const space = evalEnv.actionSpace;
  const discrete = !(space instanceof Box);
  const config = resolveConfig('ppo', PPO_SCHEMA, discrete ? PPO_DISCRETE_OVERRIDES : {}, overrides);
  const obsDim = evalEnv.observationSpace.size;
  const spec = space instanceof Box ? { obsDim, actionLow: [...space.low], actionHigh: [...space.high] } : { obsDim, actionCount: space.n };
  const agent = new Ppo(new Engine(defaultBackend()), spec, config, options.seed);
  const runDir = tempRuns('ppo');
  const metrics = new MetricsLog(runDir);
  const result = await trainOnPolicy({
    run: options, agent, evalEnv, runDir, metrics, progress: new Progress(process.stderr, 10, true), versions: {}, resume: false,
    stopRequested: () => false, envSeed: episodeSeed,
  });
  evalEnv.close();
  return { result, agent, metrics };
}
