/** `hyperrl train` and `hyperrl eval`. */
import '../envs/index.js';
import { SAC_SCHEMA } from '../algos/sac.js';
import { TD3_SCHEMA } from '../algos/td3.js';
import { make } from '../envs/registry.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { requireCheckpoint } from '../train/checkpoint.js';
import { ConfigError } from '../train/config.js';
import { evaluate } from '../train/evaluate.js';
import { normalizedActor, ObservationNormalizer, restoreFromCheckpoint } from '../train/obs-normalizer.js';
import { RUN_SCHEMA } from '../train/run-config.js';
import { makeAgent, readRunConfig, resolveTrainConfig, train } from '../train/run.js';
import { EXIT_STOPPED } from '../train/stop-signals.js';
import { flagHelp, parseFlags, parseNumber } from './flags.js';

export const TRAIN_HELP = [
  'usage: hyperrl train [options]            train an agent (progress, evaluation, checkpoints in runs/<run-id>/)',
  '       hyperrl train --resume runs/<id>   continue a run from its checkpoint (bit-identical to not stopping)',
  '       hyperrl train --run-dir DIR [...]  start a fresh run in exactly DIR (instead of --runs-dir/<generated id>)',
  '',
  'run options:', ...flagHelp([RUN_SCHEMA as never]),
  '', 'td3 options:', ...flagHelp([TD3_SCHEMA as never]),
  '', 'sac options (with --algo sac):', ...flagHelp([SAC_SCHEMA as never]),
  '', '  --quiet                    no progress output',
  '',
  'SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run at the next episode end with a checkpoint (exit status 75);',
  'a second signal quits at once. Exit status: 0 finished, 1 failed, 2 bad usage or configuration,',
  '3 non-finite numbers (env output, weights or losses), 4 run folder in use, 75 stopped with a checkpoint (see docs/reliability.md).',
].join('\n');

/** A flag's value as a positive integer, or a ConfigError naming the flag. */
function positiveIntFlag(flag: string, raw: string): number {
  const v = parseNumber(flag, raw);
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`--${flag}: expected a positive integer, got '${raw}'`);
  return v;
}

export async function trainCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) { console.log(TRAIN_HELP); return 0; }
  const { values, positional } = parseFlags(args, [RUN_SCHEMA as never, TD3_SCHEMA as never, SAC_SCHEMA as never], { resume: 'string', runDir: 'string', quiet: 'boolean', stopAtStep: 'string' });
  if (positional.length) throw new Error(`hyperrl train: unexpected argument '${positional[0]}'`);
  const { resume, runDir, quiet, stopAtStep, ...overrides } = values as { resume?: string; runDir?: string; quiet?: boolean; stopAtStep?: string } & Record<string, unknown>;
  const config = resume !== undefined ? readRunConfig(resume) : resolveTrainConfig(overrides);
  if (resume !== undefined && Object.keys(overrides).length > 0) throw new Error(`hyperrl train --resume: options ${Object.keys(overrides).join(', ')} cannot change a run being resumed`);
  // Started by the experiment runner (an IPC channel): if the runner dies, stop as on Ctrl-C, with a
  // checkpoint, instead of running on as an orphan. unref() so the channel does not keep the process alive.
  if (process.channel !== undefined) {
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGINT'));
  }
  const result = await train({ config, resumeDir: resume, runDir, quiet: quiet ?? false, stopAtStep: stopAtStep === undefined ? undefined : positiveIntFlag('stop-at-step', stopAtStep) });
  const e = result.finalEval;
  console.log(`evaluation return ${e.mean.toFixed(1)} ± ${e.std.toFixed(1)} at step ${e.step}${result.stopped === null ? '' : ` (stopped at step ${result.steps} by ${result.stopped})`} (${result.seconds.toFixed(1)} s)`);
  console.log(`run files: ${result.runDir}`);
  return result.stopped === null ? 0 : EXIT_STOPPED;
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
  const engine = new Engine(defaultBackend());
  const env = await make(run.env);
  const agent = makeAgent(engine, env, config);
  const meta = requireCheckpoint(runDir, agent, null);
  let actor: Pick<typeof agent, 'act'> = agent;
  if (run.normalizeObs === true) {
    const normalizer = new ObservationNormalizer(env.observationSpace.size);
    restoreFromCheckpoint(normalizer, meta.obsNormalizer, runDir);
    actor = normalizedActor(agent, normalizer);
  }
  const r = evaluate(actor, env, episodes, seed ?? run.seed + 100_000);
  console.log(`${runDir} at step ${meta.step}: return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} over ${episodes} episodes`);
  env.close();
  return 0;
}
