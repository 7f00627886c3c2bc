/** `hyperrl diagnose grad runs/<id>`: the gradient-quality diagnostic over a run's snapshots. */
import '../envs/index.js';
import { isTwinCriticAgent } from '../algos/agent.js';
import { GRADIENT_QUALITY_DEFAULTS, gradientQuality, type GradientQualityOptions } from '../diagnostics/gradient-quality.js';
import { gradReportPath, mergeGradCheckpoint, readGradReport, sameSettings } from '../diagnostics/grad-report.js';
import { make } from '../envs/registry.js';
import { TimeLimit } from '../envs/wrappers.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { requireCheckpoint } from '../train/checkpoint.js';
import { ConfigError, kebab } from '../core/config.js';
import { importModules } from '../train/modules.js';
import { ObservationNormalizer } from '../train/obs-normalizer.js';
import { evaluationEnvOptions, makeAgent, readRunConfig, runLabel } from '../train/run-config.js';
import { RunLock } from '../train/run-lock.js';
import { loadSnapshot, snapshotSteps } from '../train/snapshots.js';
import { parseFlags, parseNumber } from './flags.js';

export const DIAGNOSE_HELP = `usage: hyperrl diagnose grad runs/<run-id> [options]

HypeRL's gradient-quality test: cosine between the critic's ∇ₐQ1(s, π(s)) and the
least-squares slope of Monte-Carlo returns of perturbed actions, for every parameter
snapshot of the run (train with --snapshot-every N), or the latest checkpoint if the run
has none. Results are merged into runs/<run-id>/diagnostics/grad.json; steps already
there are skipped, so an interrupted diagnosis resumes.

options:
  --states N           states from the policy's state distribution [${GRADIENT_QUALITY_DEFAULTS.states}]
  --actions N          actions per state: π(s) and N − 1 perturbations [${GRADIENT_QUALITY_DEFAULTS.actionsPerState}]
  --every N            only snapshots whose step is a multiple of N [all]
  --noise-std X        perturbation std, × the action half-range [${GRADIENT_QUALITY_DEFAULTS.noiseStd}]
  --hold-steps N       steps each perturbed action is held [${GRADIENT_QUALITY_DEFAULTS.holdSteps}]
  --max-episode-steps N  episode limit T (states from steps 0..T−1) [the env's]
  --gamma X            discount [${GRADIENT_QUALITY_DEFAULTS.gamma}]
  --seed N             seed of the states and perturbations [${GRADIENT_QUALITY_DEFAULTS.seed}]
  --envs N             env instances stepped side by side [${GRADIENT_QUALITY_DEFAULTS.envs}]
  --pseudoinverse      minimum-norm slope where the actions do not span the action space
                       (default: such a state's cosine is null and left out of the mean)
  --quiet              no progress lines`;

const NUMBER_FLAGS = { states: 'states', actions: 'actionsPerState', noiseStd: 'noiseStd', holdSteps: 'holdSteps', maxEpisodeSteps: 'maxEpisodeSteps', gamma: 'gamma', seed: 'seed', envs: 'envs' } as const;

export async function diagnoseCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what === undefined || what === '--help' || what === '-h' || rest.includes('--help')) { console.log(DIAGNOSE_HELP); return what === undefined ? 2 : 0; }
  if (what !== 'grad') throw new ConfigError(`hyperrl diagnose: unknown diagnostic '${what}'; available: grad`);
  const extra: Record<string, 'string' | 'boolean'> = { every: 'string', pseudoinverse: 'boolean', quiet: 'boolean' };
  for (const k of Object.keys(NUMBER_FLAGS)) extra[k] = 'string';
  const { values, positional } = parseFlags(rest, [], extra);
  if (positional.length !== 1) throw new ConfigError('usage: hyperrl diagnose grad runs/<run-id> [--states 15 --actions 15 --every N] (hyperrl diagnose --help)');
  const runDir = positional[0]!;
  const number = (flag: string): number | undefined => {
    const raw = values[flag] as string | undefined;
    return raw === undefined ? undefined : parseNumber(kebab(flag), raw);
  };
  const options: Partial<GradientQualityOptions> = { pseudoinverse: values.pseudoinverse === true };
  for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
    const v = number(flag);
    if (v !== undefined) (options as Record<string, number>)[key] = v;
  }
  const every = number('every');
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new ConfigError(`--every: expected a positive integer, got ${every}`);
  const say = values.quiet === true ? (): void => {} : (line: string): void => console.error(line);

  // The diagnostic writes into the run folder: not while a training (or another diagnostic) is at it.
  const lock = RunLock.acquire(runDir, 'hyperrl diagnose grad');
  try {
    await diagnoseRun(runDir, options, every, say);
  } finally {
    lock.release();
  }
  return 0;
}

async function diagnoseRun(runDir: string, options: Partial<GradientQualityOptions>, every: number | undefined, say: (line: string) => void): Promise<void> {
  const config = readRunConfig(runDir);
  await importModules(config.modules ?? []);
  const engine = new Engine(defaultBackend());
  // With the run's env options (meta-RL trials), so the agent matches its checkpoint and snapshots.
  const env = await make(config.run.env, evaluationEnvOptions(config));
  const agent = makeAgent(engine, env, config);
  if (!isTwinCriticAgent(agent)) throw new ConfigError(`diagnose grad: ${runDir} is a ${config.run.algo} run; the diagnostic needs an agent with a twin critic (TD3, SAC)`);
  const agentConfig = agent.config;
  const settings: GradientQualityOptions = { ...GRADIENT_QUALITY_DEFAULTS, ...options };
  settings.maxEpisodeSteps ??= env instanceof TimeLimit ? env.maxEpisodeSteps : undefined;
  env.close();

  const snapshots = snapshotSteps(runDir).filter((s) => every === undefined || s % every === 0);
  const useCheckpoint = snapshotSteps(runDir).length === 0;
  const latest = useCheckpoint ? requireCheckpoint(runDir, agent, null) : null;
  const steps = latest !== null ? [latest.step] : snapshots;
  const previous = readGradReport(runDir);
  if (previous !== null && !sameSettings(previous.settings, settings)) {
    throw new ConfigError(`${gradReportPath(runDir)} was computed with other settings (${JSON.stringify(previous.settings)}); use the same options, or move the file away to start over`);
  }
  const done = new Set(previous?.checkpoints.map((c) => c.step) ?? []);
  const todo = steps.filter((s) => !done.has(s));
  say(`${runDir}: ${runLabel(config).title} on ${config.run.env}; ${steps.length} ${useCheckpoint ? 'checkpoint' : 'snapshot(s)'}, ${steps.length - todo.length} already in ${gradReportPath(runDir)}`);

  for (const [i, step] of todo.entries()) {
    const stats = latest === null ? await loadSnapshot(runDir, agent, step) : latest.obsNormalizer;
    let normalizer: ObservationNormalizer | undefined;
    if (config.run.normalizeObs === true) {
      // The networks only know states through the run's statistics at that step.
      if (stats === undefined) throw new ConfigError(`diagnose grad: ${runDir} normalises observations, but its ${latest === null ? `snapshot at step ${step}` : 'checkpoint'} has no observation statistics`);
      normalizer = new ObservationNormalizer(agent.spec.obsDim);
      normalizer.setState(stats);
    }
    const prefix = `[${i + 1}/${todo.length}] step ${step}`;
    const result = await gradientQuality({ agent, envId: config.run.env, ...settings, normalizer, onProgress: (m) => say(`${prefix}: ${m}`) });
    mergeGradCheckpoint(runDir, {
      env: config.run.env, algo: config.run.algo, critic: agentConfig.critic === 'hyper' ? `hyper-${agentConfig.hyperPreset}` : 'mlp',
      settings: result.settings, interval: `95% Student-t over states (${result.settings.states - 1} degrees of freedom)`,
    }, {
      step, cosine: result.cosine, perState: result.perState, source: latest === null ? 'snapshot' : 'checkpoint',
      seconds: result.seconds, envSteps: result.envSteps, states: result.states,
    });
    const c = result.cosine;
    const used = result.perState.filter(Number.isFinite).length;
    const left = used < result.perState.length ? `; ${result.perState.length - used} left out: slope undetermined (clipped actions) or zero gradient` : '';
    say(`${prefix}: cosine ${c.mean.toFixed(3)} [${c.lo.toFixed(3)}, ${c.hi.toFixed(3)}] over ${used} states (${result.envSteps} env steps, ${result.seconds.toFixed(1)} s${left})`);
  }
  say(`results: ${gradReportPath(runDir)}`);
}
