/**
 * The off-policy training run (TD3, SAC): act → step → store (the real next
 * observation, `terminated` for bootstrapping) → update, with evaluation,
 * metrics, progress and atomic checkpoints. Checkpoints are taken at episode
 * boundaries and every episode's env seed is hash(seed, episode), so a resumed run
 * continues bit-identically to an uninterrupted one.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { UpdateMetrics } from '../algos/agent.js';
import { Sac, SAC_SCHEMA, type SacConfig } from '../algos/sac.js';
import { Td3, TD3_SCHEMA, type Td3Config } from '../algos/td3.js';
import { checkEnvOutput, type Env } from '../envs/core.js';
import { make } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import { ReplayBuffer } from '../replay/replay-buffer.js';
import { packageVersion } from '../core/version.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { pruneCheckpoints } from './checkpoint-store.js';
import { closeMatches } from '../core/edit-distance.js';
import { translateCleanRlNames } from './cleanrl-names.js';
import { configYaml } from './config-file.js';
import { ConfigError, resolveConfig, type Schema } from './config.js';
import { QDivergenceWatch } from './divergence.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { checkAgentFinite } from './finite-check.js';
import { MetricsLog, readMetricsRows } from './metrics.js';
import { normalizedActor, ObservationNormalizer, restoreFromCheckpoint } from './obs-normalizer.js';
import { PRESETS } from './presets.js';
import { Progress } from './progress.js';
import { checkRunConsistency, RUN_SCHEMA, type RunConfig } from './run-config.js';
import { ensureDir, nodeRunFiles, writeFileAtomic, type RunFiles } from './run-files.js';
import { RunLock } from './run-lock.js';
import { saveSnapshot } from './snapshots.js';
import { StopSignals } from './stop-signals.js';
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
  checkRunConsistency(run, agent.batchSize);
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
  /** Run even if `totalSteps ≤ learningStarts` (no gradient update at all), with a warning instead of an error. */
  allowNoUpdates?: boolean;
  /** Observe the run; a callback returning `false` stops it at the episode's end, with a checkpoint. */
  callbacks?: TrainCallbacks;
  /** The run folder's file operations (tests inject a layer that stops at a chosen one). */
  files?: RunFiles;
}

/** An evaluation and the env step it was taken at. */
export type StepEval = EvalResult & { step: number };

export interface TrainResult {
  runDir: string;
  steps: number;
  seconds: number;
  /** The last evaluation (at the last step when the run finished). */
  finalEval: StepEval;
  /** Seconds spent after learning starts, split by activity (evaluation excluded). */
  learningPhase: { steps: number; seconds: number; envSeconds: number; actSeconds: number; updateSeconds: number };
  /** Why the run stopped before totalSteps (with a checkpoint): the callback that asked (`onStep`, …), the signal (`SIGINT`, `SIGTERM`, `SIGHUP`) or `stopAtStep`; null if it ran to the end. */
  stoppedBy: string | null;
}

/** Per-episode env seed: a 32-bit mix of the run seed and the episode index. */
export function episodeSeed(seed: number, episode: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(episode + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

let gitRevision: string | undefined;

function versions(engine: Engine): Record<string, string> {
  // Once per process: `git rev-parse` is a process spawn, and the checkout does not change under a running process.
  if (gitRevision === undefined) {
    gitRevision = 'unknown';
    try {
      gitRevision = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: new URL('../../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch { /* not a git checkout */ }
  }
  return { hyperrl: packageVersion(), git: gitRevision, node: process.version, backend: `${engine.backend.name} (${engine.backend.detail})` };
}

/** The last evaluation logged at or before `step`, for checkpoints that did not record it (format 1). */
function lastLoggedEval(runDir: string, step: number, files: RunFiles): StepEval | null {
  const row = readMetricsRows(runDir, files).filter((r) => r.step <= step && r['eval/return_mean'] !== undefined).pop();
  return row === undefined ? null : { step: row.step, mean: row['eval/return_mean']!, std: row['eval/return_std'] ?? 0, returns: [] };
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
  const files = opts.files ?? nodeRunFiles;
  if (opts.resumeDir !== undefined && opts.runDir !== undefined) throw new ConfigError('train: give either resumeDir or runDir, not both');
  // The envs first: an unknown env id (a typo) fails before any folder is made.
  const env = await make(rc.env);
  const evalEnv = await make(rc.env);
  try {
    if (opts.runDir !== undefined && files.exists(join(opts.runDir, 'config.json'))) throw new ConfigError(`train: ${opts.runDir} already holds a run; resume it instead`);
    if (opts.resumeDir === undefined && rc.totalSteps <= rc.learningStarts) {
      // Evaluations of such a run score an untrained policy: almost always a mistake (CleanRL's TD3 starts learning at 25,000 steps).
      const problem = `no gradient update would happen: totalSteps ${rc.totalSteps} ≤ learningStarts ${rc.learningStarts} (${rc.algo} ${rc.preset} preset)`;
      if (opts.allowNoUpdates !== true) throw new ConfigError(`train: ${problem}; raise --total-steps or lower --learning-starts (and --random-steps), or pass --allow-no-updates to run anyway`);
      console.warn(`hyperrl train: warning: ${problem}; the evaluations score the untrained policy`);
    }
    const runDir = opts.resumeDir ?? opts.runDir ?? join(rc.runsDir, `${rc.env}__${rc.algo}-${ac.critic}__${rc.seed}__${new Date().toISOString().replace(/[:.]/g, '-')}`);
    // The folder and its lock before anything else is built: a bad path or a run in use fails at once.
    if (opts.resumeDir !== undefined && !files.exists(join(runDir, 'config.json'))) throw new ConfigError(`train: ${runDir} is not a run folder (no config.json)`);
    ensureDir(files, runDir);
    const lock = RunLock.acquire(runDir, opts.resumeDir !== undefined ? 'hyperrl train --resume' : 'hyperrl train');
    const progress = new Progress(process.stderr, 10, opts.quiet);
    // From here on a stop signal is a request for a checkpoint, also while the run is being set up.
    const signals = new StopSignals((line) => progress.log(line));
    try {
      // Again under the lock: another process may have started a run in the folder meanwhile.
      if (opts.runDir !== undefined && files.exists(join(opts.runDir, 'config.json'))) throw new ConfigError(`train: ${opts.runDir} already holds a run; resume it instead`);
      return await trainLocked(opts, runDir, { files, lock, signals, progress, env, evalEnv });
    } finally {
      signals.dispose();
      lock.release();
    }
  } finally {
    env.close();
    evalEnv.close();
  }
}

/** What `train` sets up before the run itself: the file layer, the folder's lock, the stop signals, the progress output, the envs. */
interface RunServices {
  files: RunFiles;
  lock: RunLock;
  signals: StopSignals;
  progress: Progress;
  env: Env;
  evalEnv: Env;
}

async function trainLocked(opts: TrainOptions, runDir: string, { files, lock, signals, progress, env, evalEnv }: RunServices): Promise<TrainResult> {
  const { run: rc, agent: ac } = opts.config;
  const engine = new Engine(defaultBackend());
  const agent = makeAgent(engine, env, opts.config);
  const replay = new ReplayBuffer(Math.min(rc.bufferSize, rc.totalSteps), env.observationSpace.size, env.actionSpace.size, ac.batchSize);
  // Runs configured before the option existed have no normalizeObs: off.
  const normalizer = rc.normalizeObs === true ? new ObservationNormalizer(env.observationSpace.size) : null;
  replay.normalizer = normalizer;

  // Read once: every checkpoint records them, and `git rev-parse` is a process spawn.
  const runVersions = versions(engine);
  if (opts.resumeDir === undefined) {
    // config.json last: it marks the folder as a run (to resume), so whatever it implies must exist before it.
    writeFileAtomic(files, join(runDir, 'config.yaml'), configYaml({ ...rc, ...ac }, [RUN_SCHEMA as never, algoSchema(rc.algo)], opts.config.modules));
    writeFileAtomic(files, join(runDir, 'config.json'), JSON.stringify({ ...opts.config, versions: runVersions }, null, 2) + '\n');
  }
  const metrics = new MetricsLog(runDir, files);
  let step = 0, episode = 0, updates = 0, elapsedBefore = 0;
  let lastEval: StepEval | null = null;
  /** The step of the last checkpoint written or resumed from (null: none), so no step is checkpointed twice. */
  let checkpointedStep: number | null = null;
  const loaded = opts.resumeDir === undefined ? null : loadCheckpoint(runDir, agent, replay, files);
  if (loaded !== null) {
    const { meta } = loaded;
    for (const reason of loaded.skipped) progress.log(`warning: passed over a damaged checkpoint: ${reason}`);
    pruneCheckpoints(files, runDir, loaded.dir);
    ({ step, episode, updates } = meta);
    checkpointedStep = step;
    elapsedBefore = meta.elapsed;
    if (normalizer !== null) restoreFromCheckpoint(normalizer, meta.obsNormalizer, runDir);
    if (meta.metrics !== undefined) metrics.cutBack(meta.metrics, step);
    else metrics.cutBackToStep(step);
    lastEval = meta.lastEval ?? lastLoggedEval(runDir, step, files);
    progress.log(`resuming ${runDir} at step ${step} (episode ${episode}) from ${loaded.dir}`);
  } else {
    // A resumed run stopped before its first checkpoint has nothing to keep but its configuration: it starts again.
    if (opts.resumeDir !== undefined) metrics.reset();
    metrics.tensorboard.text('hyperparameters', settingsTable({ ...rc, ...ac, ...runVersions }));
    progress.log(opts.resumeDir !== undefined
      ? `${runDir} has no checkpoint yet: starting it again from step 0`
      : `run ${runDir}: ${rc.algo.toUpperCase()} (${ac.critic} critic) on ${rc.env}, seed ${rc.seed}, ${engine.backend.name} backend`);
  }

  const evalSeed = rc.seed + 100_000;
  const actor = normalizer === null ? agent : normalizedActor(agent, normalizer);
  const callbacks = opts.callbacks ?? {};
  // Set by Ctrl-C or a callback returning false: the run stops at the episode's end, with a checkpoint.
  let stopRequestedBy: string | null = null;
  const stopIf = (callback: keyof TrainCallbacks, result: CallbackResult): void => {
    if (result === false) stopRequestedBy ??= callback;
  };
  const runEval = (): StepEval => {
    checkAgentFinite(agent, `at step ${step}`);
    const r = evaluate(actor, evalEnv, rc.evalEpisodes, evalSeed);
    metrics.write(step, { 'eval/return_mean': r.mean, 'eval/return_std': r.std });
    progress.log(`step ${step}: eval return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} (${rc.evalEpisodes} episodes)`);
    stopIf('onEvaluation', callbacks.onEvaluation?.({ step, result: r }));
    return (lastEval = { ...r, step });
  };
  if (step === 0) runEval();

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
  const checkpoint = (): void => {
    metrics.flush();
    lock.assertHeld();
    const dir = saveCheckpoint(files, runDir, agent, replay, {
      format: 2, step, episode, updates, agentRng: agent.rng.getState(), elapsed: elapsedBefore + (performance.now() - t0) / 1000,
      savedAt: new Date().toISOString(), versions: runVersions, ...(normalizer !== null ? { obsNormalizer: normalizer.getState() } : {}),
      metrics: metrics.extent(), ...(lastEval !== null ? { lastEval } : {}),
    } satisfies CheckpointMeta);
    checkpointedStep = step;
    stopIf('onCheckpoint', callbacks.onCheckpoint?.({ step, runDir, dir }));
  };
  // Reused by every call: the loop allocates nothing per step.
  const stepInfo: StepInfo = { step, episode, reward: 0, terminated: false, truncated: false };
  const updateInfo: UpdateInfo = { step, updates, metrics: lastUpdate };

  while (step < rc.totalSteps) {
    if (needsReset) {
      obs.set(env.reset({ seed: episodeSeed(rc.seed, episode) }).obs);
      checkEnvOutput(env.id, 'training', episode, 0, obs, null);
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
    checkEnvOutput(env.id, 'training', episode, episodeLength + 1, r.obs, r.reward);
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
      await signals.poll();
      stopRequestedBy ??= signals.requested ?? (opts.stopAtStep !== undefined && step >= opts.stopAtStep ? 'stopAtStep' : null);
      const stopping = stopRequestedBy !== null;
      if (checkpointDue || stopping) {
        checkpoint();
        checkpointDue = false;
      }
      if (stopping) {
        progress.done();
        progress.log(`stopped at step ${step} (by ${stopRequestedBy}); resume with: hyperrl train --resume ${runDir}`);
        // A checkpoint restored from format 1 may lack the last evaluation: then one now (logged after the checkpoint, so a resume cuts it).
        return { runDir, steps: step, seconds: (performance.now() - t0) / 1000, finalEval: lastEval ?? runEval(), learningPhase: phase, stoppedBy: stopRequestedBy };
      }
    }
    progress.update({ step, total: rc.totalSteps, episodeReturn: lastReturn, evalReturn: (lastEval as StepEval | null)?.mean ?? null });
    // Mid-episode too, so a signal is noticed (and a second one can quit) without waiting for the episode's end.
    if (signals.pollDue()) await signals.poll();
  }
  // A resumed run that had finished has its final evaluation and checkpoint already: nothing is logged twice.
  const finalEval = (lastEval as StepEval | null)?.step === step ? lastEval! : runEval();
  if (checkpointedStep !== step) checkpoint();
  progress.done();
  return { runDir, steps: step, seconds: (performance.now() - t0) / 1000, finalEval, learningPhase: phase, stoppedBy: null };
}

/**
 * Read a run folder's stored configuration (for resume, eval and diagnose), validated by the same
 * schemas and checks as a new run's: an edited or damaged config.json fails here, naming the file.
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
