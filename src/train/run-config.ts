/**
 * The training run's own configuration (the algorithm's lives in its file), how a run's
 * full config is resolved (defaults ← the algorithm's preset ← overrides), read back from
 * a run folder, and turned into the run's agent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent, EnvSpaces } from '../algos/agent.js';
import type { AlgorithmBase, AlgorithmConfig, RunLabel } from '../algos/algorithm.js';
import { algorithm, ALGORITHM_NAMES, PRESET_NAMES } from '../algos/registry.js';
import { ConfigError, nonNegativeInt, positiveInt, resolveConfig, type Schema } from '../core/config.js';
import { closeMatches } from '../core/edit-distance.js';
import type { Engine } from '../tensor/engine.js';
import { translateCleanRlNames } from './cleanrl-names.js';

export interface RunConfig {
  env: string;
  /** A registered algorithm (src/algos/registry.ts). */
  algo: string;
  /** One of the algorithm's presets. */
  preset: string;
  seed: number;
  totalSteps: number;
  learningStarts: number;
  randomSteps: number;
  bufferSize: number;
  evalEvery: number;
  evalEpisodes: number;
  checkpointEvery: number;
  snapshotEvery: number;
  logEvery: number;
  normalizeObs: boolean;
  runsDir: string;
}

export const RUN_SCHEMA: Schema<RunConfig> = {
  env: { default: 'Pendulum-v1', doc: 'environment id (see `hyperrl envs`)' },
  algo: { default: 'td3', doc: 'algorithm', choices: ALGORITHM_NAMES },
  preset: { default: 'cleanrl', doc: 'hyperparameter preset', choices: PRESET_NAMES },
  seed: { default: 1, doc: 'seed of the agent, the training env (episode i: hash(seed, i)) and evaluation', check: nonNegativeInt },
  totalSteps: { default: 1_000_000, doc: 'environment steps', check: positiveInt },
  learningStarts: { default: 25_000, doc: 'env steps before the first gradient update', check: nonNegativeInt },
  randomSteps: { default: 25_000, doc: 'env steps with uniform random actions at the start', check: nonNegativeInt },
  bufferSize: { default: 1_000_000, doc: 'replay capacity (transitions)', check: positiveInt },
  evalEvery: { default: 10_000, doc: 'env steps between evaluations', check: positiveInt },
  evalEpisodes: { default: 10, doc: 'deterministic episodes per evaluation', check: positiveInt },
  checkpointEvery: { default: 50_000, doc: 'env steps between checkpoints (written at the next episode end; on-policy: rollout end)', check: positiveInt },
  snapshotEvery: { default: 0, doc: 'env steps between parameter snapshots in snapshots/step-<n>.safetensors, for `hyperrl diagnose grad` (0 = none)', check: nonNegativeInt },
  logEvery: { default: 1_000, doc: 'env steps between loss/throughput log rows', check: positiveInt },
  normalizeObs: { default: false, doc: 'off-policy: normalise observations by running mean and std (kept in checkpoints; the replay buffer stays raw)' },
  runsDir: { default: 'runs', doc: 'folder that receives runs/<run-id>/' },
};

export interface ResolvedConfig {
  run: RunConfig;
  /** The config of `run.algo`, of its schema's type. */
  agent: AlgorithmConfig;
  /** Absolute paths of modules that register the run's custom envs: `eval`, `diagnose` and `--resume` import them again. */
  modules?: string[];
}

/** Defaults ← preset ← user overrides; keys are checked against the run and algorithm schemas. */
export function resolveTrainConfig(overrides: Record<string, unknown>): ResolvedConfig {
  const algoName = overrides.algo ?? RUN_SCHEMA.algo.default;
  const presetName = overrides.preset ?? RUN_SCHEMA.preset.default;
  // Checked first: the algorithm decides which keys and presets there are.
  if (!ALGORITHM_NAMES.includes(algoName as string)) throw new ConfigError(`train: config 'algo' must be one of ${ALGORITHM_NAMES.join(', ')}, got '${String(algoName)}'`);
  const algo = algorithm(algoName as string);
  const preset = algo.presets[presetName as string];
  if (preset === undefined) throw new ConfigError(`train: config 'preset' must be one of ${Object.keys(algo.presets).join(', ')} for ${algo.name}, got '${String(presetName)}'`);
  const runKeys: Record<string, unknown> = {}, agentKeys: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(translateCleanRlNames(overrides, algo.name, (k) => k in RUN_SCHEMA || k in algo.schema))) {
    if (k in RUN_SCHEMA) runKeys[k] = v;
    else if (k in algo.schema) agentKeys[k] = v;
    else {
      const near = closeMatches(k, [...Object.keys(RUN_SCHEMA), ...Object.keys(algo.schema)], { normalize: (x) => x.toLowerCase() });
      throw new ConfigError(`train: unknown config key '${k}' for ${algo.name}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; run keys: ${Object.keys(RUN_SCHEMA).join(', ')}; ${algo.name} keys: ${Object.keys(algo.schema).join(', ')}`);
    }
  }
  const run = resolveConfig('train', RUN_SCHEMA, preset.run, runKeys);
  const agent = resolveConfig(algo.name, algo.schema as Schema<AlgorithmConfig>, preset.agent as Record<string, unknown>, agentKeys) as AlgorithmConfig;
  return { run, agent };
}

/** Read a run folder's stored configuration (for resume and eval). */
export function readRunConfig(runDir: string): ResolvedConfig {
  const file = join(runDir, 'config.json');
  if (!existsSync(file)) throw new Error(`${runDir}: not a run folder (no config.json)`);
  const { run, agent, modules } = JSON.parse(readFileSync(file, 'utf8')) as ResolvedConfig;
  return { run, agent, ...(modules !== undefined ? { modules } : {}) };
}

/** The run's algorithm, typed for any config: the run's was resolved against its schema. */
const algorithmOf = (config: ResolvedConfig): AlgorithmBase<AlgorithmConfig, Agent> => algorithm(config.run.algo);

/** The run's agent with fresh parameters (load a checkpoint or snapshot into it). */
export function makeAgent(engine: Engine, env: EnvSpaces, config: ResolvedConfig): Agent {
  return algorithmOf(config).create(engine, env, config.agent, config.run.seed);
}

/** `td3-hyper` in run folder names, `TD3 (hyper critic)` in logs. */
export const runLabel = (config: ResolvedConfig): RunLabel => algorithmOf(config).label(config.agent);
