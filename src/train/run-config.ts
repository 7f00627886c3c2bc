/**
 * The training run's own configuration (the algorithm's lives in its file), how a run's
 * full config is resolved (defaults ← the algorithm's preset ← overrides), read back from
 * a run folder, and turned into the run's agent.
 */
import { join } from 'node:path';
import type { Agent, EnvSpaces } from '../algos/agent.js';
import type { AlgorithmBase, AlgorithmConfig, RunLabel } from '../algos/algorithm.js';
import { algorithm, ALGORITHM_NAMES, PRESET_NAMES } from '../algos/registry.js';
import { ConfigError, nonNegativeInt, positiveInt, resolveConfig, type Schema } from '../core/config.js';
import { closeMatches } from '../core/edit-distance.js';
import type { EnvOptions } from '../envs/registry.js';
import type { Engine } from '../tensor/engine.js';
import { translateCleanRlNames } from './cleanrl-names.js';
import { nodeRunFiles, type RunFiles } from './run-files.js';

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

/**
 * Checks across fields that no single field's check can make, for runs with a replay buffer: a
 * batch must fit in the buffer (a batch of 100,000 from 50 transitions only repeats them,
 * slowly), and updates start only once a batch's worth of transitions exists.
 */
export function checkRunConsistency(run: RunConfig, batchSize: number): void {
  if (batchSize > run.bufferSize) {
    throw new ConfigError(`train: config 'batchSize' (${batchSize}) is larger than the replay buffer ('bufferSize' ${run.bufferSize}): every batch would repeat transitions; lower batchSize or raise bufferSize`);
  }
  if (batchSize > run.learningStarts) {
    throw new ConfigError(`train: config 'batchSize' (${batchSize}) is larger than 'learningStarts' (${run.learningStarts}): the first updates would sample ${batchSize} transitions from fewer; raise learningStarts to at least the batch size`);
  }
}

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
  if (algo.loop === 'off-policy') checkRunConsistency(run, (agent as { batchSize: number }).batchSize);
  return { run, agent };
}

/**
 * Read a run folder's stored configuration (for resume, eval, export and diagnose), validated by the
 * same schemas and checks as a new run's: an edited or damaged config.json fails here, naming the file.
 */
export function readRunConfig(runDir: string, files: RunFiles = nodeRunFiles): ResolvedConfig {
  const file = join(runDir, 'config.json');
  if (!files.exists(file)) throw new ConfigError(`${runDir}: not a run folder (no config.json)`);
  let stored: { run?: unknown; agent?: unknown; modules?: unknown };
  try {
    stored = JSON.parse(new TextDecoder().decode(files.readFile(file))) as typeof stored;
  } catch (e) {
    throw new ConfigError(`${file}: damaged run configuration (${(e as Error).message})`);
  }
  const section = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!section(stored) || !section(stored.run) || !section(stored.agent)) throw new ConfigError(`${file}: damaged run configuration (expected the sections "run" and "agent")`);
  const { modules } = stored;
  if (modules !== undefined && !(Array.isArray(modules) && modules.every((m) => typeof m === 'string'))) throw new ConfigError(`${file}: damaged run configuration ("modules" must be a list of paths)`);
  try {
    return { ...resolveTrainConfig({ ...stored.run, ...stored.agent }), ...(modules !== undefined ? { modules: modules as string[] } : {}) };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${file}: ${e.message}`);
    throw e;
  }
}

/** The run's algorithm, typed for any config: the run's was resolved against its schema. */
const algorithmOf = (config: ResolvedConfig): AlgorithmBase<AlgorithmConfig, Agent> => algorithm(config.run.algo);

/** The run's agent with fresh parameters (load a checkpoint or snapshot into it). */
export function makeAgent(engine: Engine, env: EnvSpaces, config: ResolvedConfig): Agent {
  return algorithmOf(config).create(engine, env, config.agent, config.run.seed);
}

/** The options of the run's evaluation env (`Algorithm.envOptions`; none for most algorithms). */
export function evaluationEnvOptions(config: ResolvedConfig): EnvOptions {
  return algorithmOf(config).envOptions?.(config.agent).evaluation ?? {};
}

/** `td3-hyper` in run folder names, `TD3 (hyper critic)` in logs. */
export const runLabel = (config: ResolvedConfig): RunLabel => algorithmOf(config).label(config.agent);
