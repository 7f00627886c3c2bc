/** `hyperrl train` and `hyperrl eval`. */
import '../envs/index.js';
import { ALGORITHMS } from '../algos/registry.js';
import { make } from '../envs/registry.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { evaluate, evaluationSeed } from '../train/evaluate.js';
import { normalizedActor, ObservationNormalizer, restoreFromCheckpoint } from '../train/obs-normalizer.js';
import { makeAgent, readRunConfig, resolveTrainConfig, RUN_SCHEMA } from '../train/run-config.js';
import { train } from '../train/run.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { flagHelp, parseFlags } from './flags.js';

export const TRAIN_HELP = [
  'usage: hyperrl train [options]            train an agent (progress, evaluation, checkpoints in runs/<run-id>/)',
  '       hyperrl train --resume runs/<id>   continue a run from its checkpoint (bit-identical to not stopping)',
  '       hyperrl train --run-dir DIR [...]  start a fresh run in exactly DIR (instead of --runs-dir/<generated id>)',
  '',
  'run options:', ...flagHelp([RUN_SCHEMA as never]),
  ...ALGORITHMS.flatMap((a) => [
    '', `${a.name} options${a.name === RUN_SCHEMA.algo.default ? '' : ` (with --algo ${a.name})`}: ${a.summary}; presets ${Object.keys(a.presets).join(', ')}`,
    ...flagHelp([a.schema as never]),
  ]),
  '', '  --quiet                    no progress output',
].join('\n');

export async function trainCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) { console.log(TRAIN_HELP); return 0; }
  const { values, positional } = parseFlags(args, [RUN_SCHEMA as never, ...ALGORITHMS.map((a) => a.schema as never)], { resume: 'string', runDir: 'string', quiet: 'boolean', stopAtStep: 'string' });
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
  const result = await train({ config, resumeDir: resume, runDir, quiet: quiet ?? false, stopAtStep: stopAtStep === undefined ? undefined : Number(stopAtStep) });
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
  const engine = new Engine(defaultBackend());
  const env = await make(run.env);
  const agent = makeAgent(engine, env, config);
  const meta = await loadCheckpoint(runDir, agent, null);
  const episodes = Number(values.episodes ?? 10);
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`--episodes must be a positive integer, got ${String(values.episodes)}`);
  let actor: Pick<typeof agent, 'act'> = agent;
  if (run.normalizeObs === true) {
    const normalizer = new ObservationNormalizer(env.observationSpace.size);
    restoreFromCheckpoint(normalizer, meta.obsNormalizer, runDir);
    actor = normalizedActor(agent, normalizer);
  }
  const r = evaluate(actor, env, episodes, Number(values.seed ?? evaluationSeed(run.seed)));
  console.log(`${runDir} at step ${meta.step}: return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} over ${episodes} episodes`);
  env.close();
  return 0;
}
