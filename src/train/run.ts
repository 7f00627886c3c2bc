/**
 * The off-policy training run (TD3, SAC): act → step → store (the real next
 * observation, `terminated` for bootstrapping) → update, with evaluation,
 * metrics, progress and atomic checkpoints. Checkpoints are taken at episode
 * boundaries and every episode's env seed is hash(seed, episode), so a resumed run
 * continues bit-identically to an uninterrupted one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UpdateMetrics } from '../algos/agent.js';
import { Sac, SAC_SCHEMA, type SacConfig } from '../algos/sac.js';
import { Td3, TD3_SCHEMA, type Td3Config } from '../algos/td3.js';
import type { Env } from '../envs/core.js';
import { make } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import { ReplayBuffer } from '../replay/replay-buffer.js';
import { packageVersion } from '../core/version.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { closeMatches } from '../core/edit-distance.js';
import { translateCleanRlNames } from './cleanrl-names.js';
import { configYaml } from './config-file.js';
import { ConfigError, resolveConfig, type Schema } from './config.js';
import { QDivergenceWatch } from './divergence.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { MetricsLog } from './metrics.js';
import { normalizedActor, ObservationNormalizer, restoreFromCheckpoint } from './obs-normalizer.js';
import { PRESETS } from './presets.js';
import { Progress } from './progress.js';
import { RUN_SCHEMA, type RunConfig } from './run-config.js';
import { saveSnapshot } from './snapshots.js';
import { settingsTable } from './tensorboard.js';
import { type CallbackResult, type StepInfo, type TrainCallbacks, type UpdateInfo } from './callbacks.js';

export interface ResolvedConfig {
  run: RunConfig;
  agent: Td3Config | SacConfig;
  /** Absolute paths of modules that register the run's custom envs: `eval`, `diagnose` and `--resume` import them again. */
  modules?: string[];
}

const algoSchema = (algo: RunConfig['algo']): Schema<unknown> => (algo === 'td3' ? TD3_SCHEMA : SAC_SCHEMA) as never;

/** Defaults ← preset ← user overrides; keys are checked against the run and algorithm schemas. */
export function resolveTrainConfig(overrides: Record<string, unknown>): ResolvedConfig {
  const algo = (overrides.algo ?? RUN_SCHEMA.algo.default) as RunConfig['algo'];
  const presetName = (overrides.preset ?? RUN_SCHEMA.preset.default) as RunConfig['preset'];
  if (!(presetName in PRESETS)) throw new ConfigError(`train: config 'preset' must be one of ${Object.keys(PRESETS).join(', ')}, got '${presetName}'`);
  if (algo !== 'td3' && algo !== 'sac') throw new ConfigError(`train: config 'algo' must be one of td3, sac, got '${String(algo)}'`);
  const schema = algoSchema(algo);
  const runKeys: Record<string, unknown> = {}, agentKeys: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(translateCleanRlNames(overrides, algo, (k) => k in RUN_SCHEMA || k in schema))) {
    if (k in RUN_SCHEMA) runKeys[k] = v;
    else if (k in schema) agentKeys[k] = v;
    else {
      const near = closeMatches(k, [...Object.keys(RUN_SCHEMA), ...Object.keys(schema)], { normalize: (x) => x.toLowerCase() });
      throw new ConfigError(`train: unknown config key '${k}' for ${algo}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; run keys: ${Object.keys(RUN_SCHEMA).join(', ')}; ${algo} keys: ${Object.keys(schema).join(', ')}`);
    }
  }
  const preset = PRESETS[presetName][algo];
  const run = resolveConfig('train', RUN_SCHEMA, preset.run, runKeys);
  const agent = resolveConfig(algo, schema as never, preset.agent, agentKeys) as Td3Config | SacConfig;
  return { run, agent };
}

export interface TrainOptions {
  config: ResolvedConfig;
  /** Continue the run in this folder from its checkpoint. */
  resumeDir?: string;
  /** Start a fresh run in exactly this folder (instead of `runsDir/<generated id>`), so a caller such as the experiment runner can find it again. */
  runDir?: string;
  quiet?: boolean;
  /** Stop (with a checkpoint) once this many env steps are done: used to simulate interruptions. */
  stopAtStep?: number;
  /** Threads for the native kernels (default: HYPERRL_THREADS, else the cores available); results do not depend on it. */
  threads?: number;
  /** Run even if `totalSteps ≤ learningStarts` (no gradient update at all), with a warning instead of an error. */
  allowNoUpdates?: boolean;
  /** Observe the run; a callback returning `false` stops it at the episode's end, with a checkpoint. */
  callbacks?: TrainCallbacks;
}

export interface TrainResult {
  runDir: string;
  steps: number;
  seconds: number;
  finalEval: EvalResult;
  /** Seconds spent after learning starts, split by activity (evaluation excluded). */
  learningPhase: { steps: number; seconds: number; envSeconds: number; actSeconds: number; updateSeconds: number };
  /** Why the run stopped before totalSteps: the callback that asked (`onStep`, …), `interrupt` or `stopAtStep`; null if it ran to the end. */
  stoppedBy: string | null;
}

/** Per-episode env seed: a 32-bit mix of the run seed and the episode index. */
export function episodeSeed(seed: number, episode: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(episode + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

function versions(engine: Engine): Record<string, string> {
  let git = 'unknown';
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: new URL('../../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch { /* not a git checkout */ }
  return { hyperrl: packageVersion(), git, node: process.version, backend: `${engine.backend.name} (${engine.backend.detail})` };
}

/** The run's agent with fresh parameters (load a checkpoint or snapshot into it). */
export function makeAgent(engine: Engine, env: Env, config: ResolvedConfig): Td3 | Sac {
  if (!(env.actionSpace instanceof Box)) throw new Error(`${config.run.env}: ${config.run.algo.toUpperCase()} needs a continuous (Box) action space`);
  const spec = { obsDim: env.observationSpace.size, actionLow: [...env.actionSpace.low], actionHigh: [...env.actionSpace.high] };
  return config.run.algo === 'td3'
    ? new Td3(engine, spec, config.agent as Td3Config, config.run.seed)
    : new Sac(engine, spec, config.agent as SacConfig, config.run.seed);
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { run: rc, agent: ac } = opts.config;
  const engine = new Engine(defaultBackend({ threads: opts.threads }));
  const env = await make(rc.env);
  const evalEnv = await make(rc.env);
  const agent = makeAgent(engine, env, opts.config);
  const replay = new ReplayBuffer(Math.min(rc.bufferSize, rc.totalSteps), env.observationSpace.size, env.actionSpace.size, ac.batchSize);
  // Runs configured before the option existed have no normalizeObs: off.
  const normalizer = rc.normalizeObs === true ? new ObservationNormalizer(env.observationSpace.size) : null;
  replay.normalizer = normalizer;
  const progress = new Progress(process.stderr, 10, opts.quiet);

  if (opts.resumeDir !== undefined && opts.runDir !== undefined) throw new ConfigError('train: give either resumeDir or runDir, not both');
  if (opts.runDir !== undefined && existsSync(join(opts.runDir, 'config.json'))) throw new ConfigError(`train: ${opts.runDir} already holds a run; resume it instead`);
  if (opts.resumeDir === undefined && rc.totalSteps <= rc.learningStarts) {
    // Evaluations of such a run score an untrained policy: almost always a mistake (CleanRL's TD3 starts learning at 25,000 steps).
    const problem = `no gradient update would happen: totalSteps ${rc.totalSteps} ≤ learningStarts ${rc.learningStarts} (${rc.algo} ${rc.preset} preset)`;
    if (opts.allowNoUpdates !== true) throw new ConfigError(`train: ${problem}; raise --total-steps or lower --learning-starts (and --random-steps), or pass --allow-no-updates to run anyway`);
    console.warn(`hyperrl train: warning: ${problem}; the evaluations score the untrained policy`);
  }
  const runDir = opts.resumeDir ?? opts.runDir ?? join(rc.runsDir, `${rc.env}__${rc.algo}-${ac.critic}__${rc.seed}__${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  const metrics = new MetricsLog(runDir);
  // Read once: every checkpoint records them, and `git rev-parse` is a process spawn.
  const runVersions = versions(engine);
  let step = 0, episode = 0, updates = 0, elapsedBefore = 0;
  if (opts.resumeDir !== undefined) {
    const meta = await loadCheckpoint(runDir, agent, replay);
    ({ step, episode, updates } = meta);
    elapsedBefore = meta.elapsed;
    if (normalizer !== null) restoreFromCheckpoint(normalizer, meta.obsNormalizer, runDir);
    metrics.truncateAfter(step);
    progress.log(`resuming ${runDir} at step ${step} (episode ${episode})`);
  } else {
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...opts.config, versions: runVersions }, null, 2) + '\n');
    writeFileSync(join(runDir, 'config.yaml'), configYaml({ ...rc, ...ac }, [RUN_SCHEMA as never, algoSchema(rc.algo)], opts.config.modules));
    metrics.tensorboard.text('hyperparameters', settingsTable({ ...rc, ...ac, ...runVersions }));
    progress.log(`run ${runDir}: ${rc.algo.toUpperCase()} (${ac.critic} critic) on ${rc.env}, seed ${rc.seed}, ${engine.backend.name} backend`);
  }

  const evalSeed = rc.seed + 100_000;
  const actor = normalizer === null ? agent : normalizedActor(agent, normalizer);
  let lastEval: EvalResult | null = null;
  const callbacks = opts.callbacks ?? {};
  // Set by Ctrl-C or a callback returning false: the run stops at the episode's end, with a checkpoint.
  let stopRequestedBy: string | null = null;
  const stopIf = (callback: keyof TrainCallbacks, result: CallbackResult): void => {
    if (result === false) stopRequestedBy ??= callback;
  };
  const runEval = (): EvalResult => {
    const r = evaluate(actor, evalEnv, rc.evalEpisodes, evalSeed);
    metrics.write(step, { 'eval/return_mean': r.mean, 'eval/return_std': r.std });
    progress.log(`step ${step}: eval return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} (${rc.evalEpisodes} episodes)`);
    stopIf('onEvaluation', callbacks.onEvaluation?.({ step, result: r }));
    return (lastEval = r);
  };
  if (step === 0) runEval();

  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    stopRequestedBy ??= 'interrupt';
    progress.log('interrupt: finishing the episode to write a checkpoint (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);

  const obsDim = env.observationSpace.size, actionSpace = env.actionSpace as Box;
  const obs = new Float64Array(obsDim), action = new Float64Array(actionSpace.size);
  let needsReset = true, episodeReturn = 0, episodeLength = 0, lastReturn: number | null = null;
  let checkpointDue = false;
  const lastUpdate: UpdateMetrics = {};
  const qWatch = new QDivergenceWatch(ac.gamma);
  qWatch.observeAll(replay.state().rewards);
  const phase = { steps: 0, seconds: 0, envSeconds: 0, actSeconds: 0, updateSeconds: 0 };
  const t0 = performance.now();
  let spsStep = step, spsTime = t0, sps = 0;
  const checkpoint = async (): Promise<void> => {
    await saveCheckpoint(runDir, agent, replay, {
      format: 1, step, episode, updates, agentRng: agent.rng.getState(), elapsed: elapsedBefore + (performance.now() - t0) / 1000,
      savedAt: new Date().toISOString(), versions: runVersions, ...(normalizer !== null ? { obsNormalizer: normalizer.getState() } : {}),
    } satisfies CheckpointMeta);
    stopIf('onCheckpoint', callbacks.onCheckpoint?.({ step, runDir }));
  };
  // Reused by every call: the loop allocates nothing per step.
  const stepInfo: StepInfo = { step, episode, reward: 0, terminated: false, truncated: false };
  const updateInfo: UpdateInfo = { step, updates, metrics: lastUpdate };

  try {
    while (step < rc.totalSteps) {
      if (needsReset) {
        obs.set(env.reset({ seed: episodeSeed(rc.seed, episode) }).obs);
        normalizer?.update(obs);
        needsReset = false;
      }
      const learning = step >= rc.learningStarts;
      const tAct = performance.now();
      if (step < rc.randomSteps) {
        for (let i = 0; i < action.length; i++) action[i] = actionSpace.low[i]! + (actionSpace.high[i]! - actionSpace.low[i]!) * agent.rng.uniform();
      } else {
        actor.act(obs, true, action);
      }
      const tEnv = performance.now();
      const r = env.step(action);
      replay.add(obs, action, r.reward, r.obs, r.terminated);
      qWatch.observe(r.reward);
      normalizer?.update(r.obs);
      obs.set(r.obs);
      episodeReturn += r.reward;
      episodeLength++;
      step++;
      const tUpdate = performance.now();
      // Merged so the last value of every metric is logged, also those of delayed (actor) updates.
      if (step > rc.learningStarts) {
        updateInfo.metrics = agent.update(replay, updates++);
        Object.assign(lastUpdate, updateInfo.metrics);
        if (callbacks.onUpdate !== undefined) {
          updateInfo.step = step;
          updateInfo.updates = updates;
          stopIf('onUpdate', callbacks.onUpdate(updateInfo));
        }
      }
      if (learning) {
        const tEnd = performance.now();
        phase.steps++;
        phase.actSeconds += (tEnv - tAct) / 1000;
        phase.envSeconds += (tUpdate - tEnv) / 1000;
        phase.updateSeconds += (tEnd - tUpdate) / 1000;
        phase.seconds += (tEnd - tAct) / 1000;
      }
      if (step % rc.logEvery === 0) {
        const now = performance.now();
        sps = ((step - spsStep) * 1000) / (now - spsTime);
        metrics.write(step, { ...lastUpdate, 'perf/sps': sps });
        const divergence = qWatch.check(lastUpdate['losses/qf1_values'], step);
        if (divergence !== null) progress.log(divergence);
        spsStep = step;
        spsTime = now;
      }
      if (callbacks.onStep !== undefined) {
        stepInfo.step = step;
        stepInfo.episode = episode;
        stepInfo.reward = r.reward;
        stepInfo.terminated = r.terminated;
        stepInfo.truncated = r.truncated;
        stopIf('onStep', callbacks.onStep(stepInfo));
      }
      if (step % rc.evalEvery === 0) runEval();
      if (step % rc.checkpointEvery === 0) checkpointDue = true;
      // Runs configured before snapshots existed have no snapshotEvery: none.
      if (rc.snapshotEvery > 0 && step % rc.snapshotEvery === 0) await saveSnapshot(runDir, agent, step, normalizer?.getState());

      if (r.terminated || r.truncated) {
        metrics.write(step, { 'charts/episodic_return': episodeReturn, 'charts/episodic_length': episodeLength });
        lastReturn = episodeReturn;
        episodeReturn = 0;
        episodeLength = 0;
        episode++;
        needsReset = true;
        // The loop is synchronous between checkpoints: give pending signal handlers (SIGINT, a parent
        // that went away) a turn once per episode, or an interrupt would only be seen at the next checkpoint.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (stopRequestedBy === null && opts.stopAtStep !== undefined && step >= opts.stopAtStep) stopRequestedBy = 'stopAtStep';
        const stopping = stopRequestedBy !== null;
        if (checkpointDue || stopping) {
          await checkpoint();
          checkpointDue = false;
        }
        if (stopping) {
          progress.done();
          progress.log(`stopped at step ${step}${stopRequestedBy === 'interrupt' ? '' : ` (by ${stopRequestedBy})`}; resume with: hyperrl train --resume ${runDir}`);
          return { runDir, steps: step, seconds: (performance.now() - t0) / 1000, finalEval: lastEval ?? runEval(), learningPhase: phase, stoppedBy: stopRequestedBy };
        }
      }
      progress.update({ step, total: rc.totalSteps, episodeReturn: lastReturn, evalReturn: (lastEval as EvalResult | null)?.mean ?? null });
    }
    const finalEval = step % rc.evalEvery === 0 && lastEval !== null ? lastEval : runEval();
    await checkpoint();
    progress.done();
    return { runDir, steps: step, seconds: (performance.now() - t0) / 1000, finalEval, learningPhase: phase, stoppedBy: null };
  } finally {
    process.off('SIGINT', onSigint);
    env.close();
    evalEnv.close();
  }
}

/** Read a run folder's stored configuration (for resume and eval). */
export function readRunConfig(runDir: string): ResolvedConfig {
  const file = join(runDir, 'config.json');
  if (!existsSync(file)) throw new Error(`${runDir}: not a run folder (no config.json)`);
  const { run, agent, modules } = JSON.parse(readFileSync(file, 'utf8')) as ResolvedConfig;
  return { run, agent, ...(modules !== undefined ? { modules } : {}) };
}
