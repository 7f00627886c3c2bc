/** `hyperrl train` and `hyperrl eval`. */
import '../envs/index.js';
import type { OnPolicyAgent } from '../algos/agent.js';
import { algorithm, ALGORITHMS } from '../algos/registry.js';
import { make } from '../envs/registry.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { requireCheckpoint } from '../train/checkpoint.js';
import { episodeMeans, evaluate, evaluationSeed, formatEpisodeReturns, type EvalActor, type EvalResult } from '../train/evaluate.js';
import { savedEvaluationActor } from '../train/loops/on-policy.js';
import { normalizedActor, ObservationNormalizer, restoreFromCheckpoint } from '../train/obs-normalizer.js';
import { evaluationEnvOptions, makeAgent, readRunConfig, resolveTrainConfig, RUN_SCHEMA, type ResolvedConfig } from '../train/run-config.js';
import { train } from '../train/run.js';
import { CLEANRL_NAMES, cleanRlFields } from '../train/cleanrl-names.js';
import { readConfigFile } from '../train/config-file.js';
import { ConfigError, kebab } from '../core/config.js';
import { importModules } from '../train/modules.js';
import { EXIT_STOPPED } from '../train/stop-signals.js';
import { flagHelp, parseFlags, parseNumber } from './flags.js';

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
    '',
    'SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run at the next episode end with a checkpoint (exit status 75);',
    'a second signal quits at once. Exit status: 0 finished, 1 failed, 2 bad usage or configuration,',
    '3 non-finite numbers (env output, weights or losses), 4 run folder in use, 75 stopped with a checkpoint (docs/reliability.md).',
  ].join('\n');
}

/** A flag's value as a positive integer, or a ConfigError naming the flag. */
function positiveIntFlag(flag: string, raw: string): number {
  const v = parseNumber(flag, raw);
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`--${flag}: expected a positive integer, got '${raw}'`);
  return v;
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
  const result = await train({ config, resumeDir: resume, runDir, quiet: quiet ?? false, allowNoUpdates, stopAtStep: stopAtStep === undefined ? undefined : positiveIntFlag('stop-at-step', stopAtStep) });
  const e = result.finalEval;
  const meta = algorithm(config.run.algo).loop === 'meta';
  // The evaluation's own step: a run stopped between evaluations reports the last one, taken earlier.
  const over = e.returns.length > 0 ? ` over ${e.returns.length} ${meta ? 'test tasks' : evaluatedUnit(e)}` : '';
  console.log(`evaluation return ${e.mean.toFixed(1)} ± ${e.std.toFixed(1)}${over} at ${meta ? 'meta-iteration' : 'step'} ${e.step}${result.stoppedBy === null ? '' : ` (stopped at ${meta ? 'meta-iteration' : 'step'} ${result.steps} by ${result.stoppedBy})`} (${result.seconds.toFixed(1)} s)`);
  console.log(`run files: ${result.runDir}`);
  return result.stoppedBy === null ? 0 : EXIT_STOPPED;
}

/** What an evaluation's returns are: episodes, or a meta-RL env's trials with their first and last episodes' mean returns when k ≥ 2. */
function evaluatedUnit(r: EvalResult): string {
  if (r.episodeReturns === undefined) return 'episodes';
  const episodes = formatEpisodeReturns(episodeMeans(r.episodeReturns));
  return episodes === '' ? 'trials' : `trials (${episodes})`;
}

export async function evalCommand(args: string[]): Promise<number> {
  const { values, positional } = parseFlags(args, [], { episodes: 'string', seed: 'string' });
  const runDir = positional[0];
  if (runDir === undefined) throw new Error('usage: hyperrl eval runs/<run-id> [--episodes 10] [--seed N]');
  const episodes = values.episodes === undefined ? 10 : positiveIntFlag('episodes', values.episodes as string);
  const seed = values.seed === undefined ? undefined : parseNumber('seed', values.seed as string);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new ConfigError(`--seed: expected a non-negative integer, got '${String(values.seed)}'`);
  const config = readRunConfig(runDir);
  const { run } = config;
  // A meta-learner's return is its adaptation on held-out tasks, which training evaluates (eval/return_mean).
  if (algorithm(run.algo).loop === 'meta') throw new ConfigError(`hyperrl eval: ${runDir} is a ${run.algo} run, evaluated on its held-out tasks during training (eval/return_mean in metrics.jsonl); hyperrl eval runs single-task policies`);
  await importModules(config.modules ?? []);
  const engine = new Engine(defaultBackend());
  // Meta-RL runs evaluate on trials of test tasks: the algorithm's evaluation options.
  const env = await make(run.env, evaluationEnvOptions(config));
  const agent = makeAgent(engine, env, config);
  const meta = requireCheckpoint(runDir, agent, null);
  let actor: EvalActor = agent;
  // The networks only know observations (and RL² rewards) through the run's saved statistics.
  if (algorithm(run.algo).loop === 'on-policy') actor = savedEvaluationActor(agent as OnPolicyAgent, env.observationSpace.size, meta, runDir);
  else if (run.normalizeObs === true) {
    const normalizer = new ObservationNormalizer(env.observationSpace.size);
    restoreFromCheckpoint(normalizer, meta.obsNormalizer, runDir);
    actor = normalizedActor(agent, normalizer);
  }
  const r = evaluate(actor, env, episodes, seed ?? evaluationSeed(run.seed));
  console.log(`${runDir} at step ${meta.step}: return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} over ${episodes} ${evaluatedUnit(r)}`);
  env.close();
  return 0;
}
