/** `hyperrl train` and `hyperrl eval`. */
import '../envs/index.js';
import type { OnPolicyAgent } from '../algos/agent.js';
import { algorithm, ALGORITHMS } from '../algos/registry.js';
import { make } from '../envs/registry.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { evaluate, evaluationSeed, type EvalActor } from '../train/evaluate.js';
import { savedEvaluationActor } from '../train/loops/on-policy.js';
import { normalizedActor, ObservationNormalizer, restoreFromCheckpoint } from '../train/obs-normalizer.js';
import { makeAgent, readRunConfig, resolveTrainConfig, RUN_SCHEMA, type ResolvedConfig } from '../train/run-config.js';
import { train } from '../train/run.js';
import { CLEANRL_NAMES, cleanRlFields } from '../train/cleanrl-names.js';
import { readConfigFile } from '../train/config-file.js';
import { ConfigError, kebab } from '../core/config.js';
import { importModules } from '../train/modules.js';
import { flagHelp, parseFlags } from './flags.js';

const OTHER_OPTIONS = [
  '  --config FILE              settings from a YAML or JSON file (keys as above, camelCase; flags override it; `hyperrl schema` for editors)',
  '  --import FILE              a module that registers custom envs (repeatable; see docs/custom-envs.md)',
  '  --allow-no-updates         run even if total-steps <= learning-starts (no gradient update at all)',
  '  --quiet                    no progress output',
];

/** `train --help` for the configuration a run with these options would use: its algorithm's options and their actual values. */
export function trainHelp(config: ResolvedConfig, source: string): string {
  const algo = algorithm(config.run.algo);
  return [
    'usage: hyperrl train [options]            train an agent (progress, evaluation, checkpoints in runs/<run-id>/)',
    '       hyperrl train --config run.yaml    settings from a file (the run folder\'s config.yaml is one)',
    '       hyperrl train --resume runs/<id>   continue a run from its checkpoint (bit-identical to not stopping)',
    '       hyperrl train --run-dir DIR [...]  start a fresh run in exactly DIR (instead of --runs-dir/<generated id>)',
    '',
    `Values in [brackets] are the ones this run would use (${source}).`,
    `Other algorithms: hyperrl train --algo ${RUN_SCHEMA.algo.choices!.filter((a) => a !== algo.name).join('|')} --help`,
    '',
    'run options:', ...flagHelp([RUN_SCHEMA as never], config.run as never),
    '', `${algo.name} options: ${algo.summary}; presets ${Object.keys(algo.presets).join(', ')}`, ...flagHelp([algo.schema as never], config.agent as never),
    '', 'other options:', ...OTHER_OPTIONS,
    '', 'CleanRL\'s names are accepted for ours:',
    ...Object.entries(CLEANRL_NAMES).map(([k, n]) => `  --${kebab(k).padEnd(26)} ${n.note}`),
  ].join('\n');
}

/** Settings of a --config file, checked on their own first so that an error names the file. */
async function configFileSettings(path: string): Promise<{ settings: Record<string, unknown>; modules: string[] }> {
  const file = readConfigFile(path);
  await importModules(file.modules);
  try {
    resolveTrainConfig(file.settings);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`config file ${path}: ${e.message}`);
    throw e;
  }
  return file;
}

/** `hyperrl train`; `imported`: the modules already imported by `--import` (recorded in the run's config). */
export async function trainCommand(args: string[], imported: readonly string[] = []): Promise<number> {
  const help = args.includes('--help') || args.includes('-h');
  const { values, positional } = parseFlags(args.filter((a) => a !== '--help' && a !== '-h'), [RUN_SCHEMA as never, ...ALGORITHMS.map((a) => a.schema as never), cleanRlFields() as never],
    { resume: 'string', runDir: 'string', quiet: 'boolean', stopAtStep: 'string', config: 'string', allowNoUpdates: 'boolean' });
  if (positional.length) throw new ConfigError(`hyperrl train: unexpected argument '${positional[0]}'`);
  const { resume, runDir, quiet, stopAtStep, config: configPath, allowNoUpdates, ...flags } = values as {
    resume?: string; runDir?: string; quiet?: boolean; stopAtStep?: string; config?: string; allowNoUpdates?: boolean;
  } & Record<string, unknown>;
  if (resume !== undefined && (Object.keys(flags).length > 0 || configPath !== undefined)) {
    throw new ConfigError(`hyperrl train --resume: ${configPath !== undefined ? '--config' : `options ${Object.keys(flags).join(', ')}`} cannot change a run being resumed`);
  }
  const file = configPath === undefined ? null : await configFileSettings(configPath);
  const modules = [...new Set([...(file?.modules ?? []), ...imported])];
  let config: ResolvedConfig;
  if (resume !== undefined) {
    config = readRunConfig(resume);
    await importModules(config.modules ?? []);
  } else {
    config = { ...resolveTrainConfig({ ...file?.settings, ...flags }), ...(modules.length > 0 ? { modules } : {}) };
  }
  if (help) {
    const source = [`--algo ${config.run.algo}`, `--preset ${config.run.preset}`, ...(configPath !== undefined ? [`--config ${configPath}`] : []), ...(Object.keys(flags).some((k) => k !== 'algo' && k !== 'preset') ? ['your flags'] : [])];
    console.log(trainHelp(config, source.join(', ')));
    return 0;
  }
  // Started by the experiment runner (an IPC channel): if the runner dies, stop as on Ctrl-C, with a
  // checkpoint, instead of running on as an orphan. unref() so the channel does not keep the process alive.
  if (process.channel !== undefined) {
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGINT'));
  }
  const result = await train({ config, resumeDir: resume, runDir, quiet: quiet ?? false, allowNoUpdates, stopAtStep: stopAtStep === undefined ? undefined : Number(stopAtStep) });
  console.log(`evaluation return ${result.finalEval.mean.toFixed(1)} ± ${result.finalEval.std.toFixed(1)} over ${result.finalEval.returns.length} episodes after ${result.steps} steps (${result.seconds.toFixed(1)} s)`);
  console.log(`run files: ${result.runDir}`);
  return 0;
}

export async function evalCommand(args: string[]): Promise<number> {
  const { values, positional } = parseFlags(args, [], { episodes: 'string', seed: 'string' });
  const runDir = positional[0];
  if (runDir === undefined) throw new Error('usage: hyperrl eval runs/<run-id> [--episodes 10] [--seed N]');
  const config = readRunConfig(runDir);
  const { run } = config;
  await importModules(config.modules ?? []);
  const engine = new Engine(defaultBackend());
  const env = await make(run.env);
  const agent = makeAgent(engine, env, config);
  const meta = await loadCheckpoint(runDir, agent, null);
  const episodes = Number(values.episodes ?? 10);
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`--episodes must be a positive integer, got ${String(values.episodes)}`);
  let actor: EvalActor = agent;
  // The networks only know observations (and RL² rewards) through the run's saved statistics.
  if (algorithm(run.algo).loop === 'on-policy') actor = savedEvaluationActor(agent as OnPolicyAgent, env.observationSpace.size, meta, runDir);
  else if (run.normalizeObs === true) {
    const normalizer = new ObservationNormalizer(env.observationSpace.size);
    restoreFromCheckpoint(normalizer, meta.obsNormalizer, runDir);
    actor = normalizedActor(agent, normalizer);
  }
  const r = evaluate(actor, env, episodes, Number(values.seed ?? evaluationSeed(run.seed)));
  console.log(`${runDir} at step ${meta.step}: return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} over ${episodes} episodes`);
  env.close();
  return 0;
}
