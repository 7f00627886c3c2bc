/**
 * The pieces every training loop (src/train/loops/) shares, whatever the algorithm:
 *   - the run folder: its name, the checks on TrainOptions' folders, its lock, config.json with
 *     the versions, metrics.jsonl/.csv (`RunContext`, `begin`), all file operations through
 *     `TrainOptions.files` (docs/reliability.md);
 *   - progress output (`progress`) and the steps/s of the log rows (`StepRate`);
 *   - evaluation on its own env and seeds, logged, after checking the agent's numbers are finite (`evaluation`);
 *   - checkpoints: restored on resume with the logs cut back to them, saved with the loop's
 *     counters, the logs' extent and the last evaluation (`begin`, `checkpoint`);
 *   - parameter snapshots every snapshotEvery steps (`snapshotIfDue`);
 *   - the user's callbacks (`callbacks`, `stopIf`: one returning false stops the run like Ctrl-C);
 *   - stop requests: SIGINT, SIGTERM, SIGHUP (a second one quits at once), callbacks and
 *     TrainOptions.stopAtStep (`stopRequested`, `signalsDue`/`pollSignals` mid-episode).
 * A loop owns its envs, agent and buffers and the order of act → step → learn, and checkpoints
 * where its state is complete (the off-policy loop: at episode ends). `train()` (run.ts) makes
 * the context and hands it to the loop of the algorithm's kind (`TrainingLoop`).
 */
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Agent, MetaAgent, MetaEvaluation } from '../algos/agent.js';
import type { Algorithm, ConfigOf, RunLabel } from '../algos/algorithm.js';
import { ConfigError } from '../core/config.js';
import { packageVersion } from '../core/version.js';
import type { RewardNormalizer } from '../core/reward-normalizer.js';
import type { RunningMeanStd } from '../core/running-mean-std.js';
import type { Env } from '../envs/core.js';
import type { ReplayBuffer } from '../replay/replay-buffer.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import type { CallbackResult, TrainCallbacks } from './callbacks.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { CheckpointError, pruneCheckpoints } from './checkpoint-store.js';
import { configYaml } from './config-file.js';
import { episodeMeans, episodeReturnMetrics, evaluate, evaluationSeed, formatEpisodeReturns, summarizeReturns, type EvalActor, type EvalResult } from './evaluate.js';
import { checkAgentFinite } from './finite-check.js';
import { MetricsLog, readMetricsRows } from './metrics.js';
import { restoreFromCheckpoint } from './obs-normalizer.js';
import { Progress } from './progress.js';
import { RUN_SCHEMA, runLabel, type ResolvedConfig, type RunConfig } from './run-config.js';
import { ensureDir, nodeRunFiles, writeFileAtomic, type RunFiles } from './run-files.js';
import { RunLock } from './run-lock.js';
import { saveSnapshot } from './snapshots.js';
import { StopSignals } from './stop-signals.js';
import { settingsTable } from './tensorboard.js';

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
  /** The run folder's file operations (tests inject a layer that stops at a chosen one). */
  files?: RunFiles;
}

/** An evaluation and the env step it was taken at. */
export type StepEval = EvalResult & { step: number };

/** What an evaluation's scorer gives: the returns, further named results and, for trials of a meta-RL env, each trial's episode returns. */
type Scored = MetaEvaluation & Pick<EvalResult, 'episodeReturns'>;

/** Seconds spent after learning starts, split by activity (evaluation excluded). */
export interface LearningPhase {
  steps: number;
  seconds: number;
  envSeconds: number;
  actSeconds: number;
  updateSeconds: number;
}

export interface TrainResult {
  runDir: string;
  steps: number;
  seconds: number;
  /** The last evaluation (at the last step when the run finished). */
  finalEval: StepEval;
  learningPhase: LearningPhase;
  /** Why the run stopped before totalSteps (with a checkpoint): the callback that asked (`onStep`, …), the signal (`SIGINT`, `SIGTERM`, `SIGHUP`) or `stopAtStep`; null if it ran to the end. */
  stoppedBy: string | null;
}

/**
 * A training loop: runs `algorithm`'s agent from the run's start (or its checkpoint) to
 * `totalSteps` with the shared pieces of `ctx`. There is one per `LoopKind`; run.ts picks it.
 */
export type TrainingLoop<A extends Algorithm> = (ctx: RunContext, algorithm: A, config: ConfigOf<A>) => Promise<TrainResult>;

/** What a checkpoint holds besides the loop's counters. */
export interface TrainingState {
  agent: Agent;
  /** The off-policy loop's replay buffer; null for a loop without one. */
  replay: ReplayBuffer | null;
  /** The observation statistics of a run that normalises observations, else null. */
  normalizer: RunningMeanStd | null;
  /** The reward statistics (with every env's running return) of a run that normalises rewards (on-policy), else null. */
  rewardNormalizer: RewardNormalizer | null;
}

/** Where a loop stands: env steps, finished episodes and gradient updates. */
export interface LoopCounters {
  step: number;
  episode: number;
  updates: number;
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

/** Steps per second between successive log rows (`perf/sps`). */
export class StepRate {
  private time = performance.now();

  constructor(private step: number) {}

  /** The rate since the previous sample (or the start). */
  sample(step: number): number {
    const now = performance.now();
    const rate = ((step - this.step) * 1000) / (now - this.time);
    this.step = step;
    this.time = now;
    return rate;
  }
}

/**
 * The run's evaluations, logged as eval/return_mean and eval/return_std (with any further
 * results the scorer names): the deterministic policy on a separate env with its own seeds
 * (`RunContext.evaluation`), or a meta-learner's held-out tasks (`RunContext.metaEvaluation`).
 * On a meta-RL env's trials of k episodes, also each episode's mean return,
 * eval/return_episode_1 … _k (`episodeReturnMetrics`).
 */
export class Evaluation {
  /** The latest evaluation, if any (restored from the checkpoint on resume). */
  last: StepEval | null = null;

  /** `score` gives the returns (and further named results); `unit` names what they are in the log (`10 episodes`). */
  constructor(private readonly ctx: RunContext, private readonly score: () => Scored, private readonly unit: string) {}

  run(step: number): StepEval {
    // The periodic check of every weight and optimiser moment: evaluations are the run's slow moments anyway.
    this.ctx.checkFinite(`at step ${step}`);
    const { returns, metrics, episodeReturns } = this.score();
    const r: EvalResult = { ...summarizeReturns(returns), ...(episodeReturns === undefined ? {} : { episodeReturns }) };
    const episodes = episodeReturns === undefined ? {} : episodeReturnMetrics(episodeReturns);
    this.ctx.metrics.write(step, { 'eval/return_mean': r.mean, 'eval/return_std': r.std, ...episodes, ...metrics });
    const perEpisode = episodeReturns === undefined ? '' : formatEpisodeReturns(episodeMeans(episodeReturns));
    const unit = episodeReturns === undefined ? this.unit : 'trials';
    this.ctx.progress.log(`step ${step}: eval return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} (${r.returns.length} ${unit}${perEpisode === '' ? '' : `; ${perEpisode}`})`);
    this.ctx.stopIf('onEvaluation', this.ctx.callbacks.onEvaluation?.({ step, result: r }));
    return (this.last = { ...r, step });
  }
}

/** One run's shared pieces (see above): made by train(), used by the loop of the run's algorithm. */
export class RunContext {
  readonly run: RunConfig;
  readonly engine: Engine;
  readonly progress: Progress;
  readonly dir: string;
  readonly resuming: boolean;
  readonly callbacks: TrainCallbacks;
  /** The step of the last checkpoint written or resumed from (null: none), so no step is checkpointed twice. */
  checkpointedStep: number | null = null;
  private readonly files: RunFiles;
  private readonly label: RunLabel;
  private metricsLog: MetricsLog | null = null;
  // Read once: every checkpoint records them, and `git rev-parse` is a process spawn.
  private readonly versions: Record<string, string>;
  private started = 0;
  private elapsedBefore = 0;
  /** Set by `begin`. */
  private lock: RunLock | null = null;
  private signals: StopSignals | null = null;
  private state: TrainingState | null = null;
  private evaluationOfRun: Evaluation | null = null;
  /** Set by a stop signal, a callback returning false or stopAtStep: the run stops at the next checkpoint boundary. */
  private stopRequestedBy: string | null = null;

  /** Checks the options' folders; the algorithm's label names the run in logs and its folder. */
  constructor(readonly options: TrainOptions, private readonly algorithm: Algorithm) {
    const rc = options.config.run;
    this.run = rc;
    this.engine = new Engine(defaultBackend({ threads: options.threads }));
    this.label = runLabel(options.config);
    this.callbacks = options.callbacks ?? {};
    this.files = options.files ?? nodeRunFiles;
    this.progress = new Progress(process.stderr, 10, options.quiet);
    if (options.resumeDir !== undefined && options.runDir !== undefined) throw new ConfigError('train: give either resumeDir or runDir, not both');
    if (options.runDir !== undefined && this.files.exists(join(options.runDir, 'config.json'))) throw new ConfigError(`train: ${options.runDir} already holds a run; resume it instead`);
    if (options.resumeDir !== undefined && !this.files.exists(join(options.resumeDir, 'config.json'))) throw new ConfigError(`train: ${options.resumeDir} is not a run folder (no config.json)`);
    this.resuming = options.resumeDir !== undefined;
    this.dir = options.resumeDir ?? options.runDir ?? join(rc.runsDir, `${rc.env}__${this.label.tag}__${rc.seed}__${new Date().toISOString().replace(/[:.]/g, '-')}`);
    this.versions = versions(this.engine);
  }

  /** metrics.jsonl and metrics.csv of the run (from `begin` on). */
  get metrics(): MetricsLog {
    if (this.metricsLog === null) throw new Error('RunContext: begin() makes the run folder and its metrics');
    return this.metricsLog;
  }

  evaluation(actor: EvalActor, env: Env): Evaluation {
    const episodes = this.run.evalEpisodes;
    return new Evaluation(this, () => {
      const { returns, episodeReturns } = evaluate(actor, env, episodes, evaluationSeed(this.run.seed));
      return { returns, metrics: {}, ...(episodeReturns === undefined ? {} : { episodeReturns }) };
    }, 'episodes');
  }

  /** Evaluations of a meta-learner on its held-out tasks (src/train/loops/meta.ts). */
  metaEvaluation(agent: MetaAgent): Evaluation {
    return new Evaluation(this, () => agent.evaluate(), 'test tasks');
  }

  /**
   * Make the run folder and take its lock (a bad path or a run in use fails here), and from then
   * on treat stop signals as requests for a checkpoint. On resume restore `state` from the newest
   * checkpoint and cut the logs back to it (no checkpoint yet: start again from step 0); else
   * write config.yaml and config.json. Evaluate the untrained policy at step 0. Returns the
   * counters to continue from.
   */
  async begin(state: TrainingState, evaluation: Evaluation): Promise<LoopCounters> {
    const files = this.files;
    ensureDir(files, this.dir);
    this.lock = RunLock.acquire(this.dir, this.resuming ? 'hyperrl train --resume' : 'hyperrl train');
    const previous = this.lock.tookOverFrom;
    if (previous !== null && previous.host !== hostname()) {
      this.progress.log(`took over the lock of ${this.dir} from ${previous.command} (pid ${previous.pid} on host ${previous.host}, last heartbeat ${previous.heartbeat}): its heartbeat was older than the stale timeout`);
    }
    this.signals = new StopSignals((line) => this.progress.log(line), `finishing the ${this.algorithm.loop === 'on-policy' ? 'rollout' : this.algorithm.loop === 'meta' ? 'meta-iteration' : 'episode'} to write a checkpoint`);
    this.state = state;
    this.evaluationOfRun = evaluation;
    // Again under the lock: another process may have started a run in the folder meanwhile.
    if (this.options.runDir !== undefined && files.exists(join(this.dir, 'config.json'))) throw new ConfigError(`train: ${this.dir} already holds a run; resume it instead`);
    const { run, agent, modules } = this.options.config;
    if (!this.resuming) {
      // config.json last: it marks the folder as a run (to resume), so whatever it implies must exist before it.
      writeFileAtomic(files, join(this.dir, 'config.yaml'), configYaml({ ...run, ...agent }, [RUN_SCHEMA as never, this.algorithm.schema as never], modules));
      writeFileAtomic(files, join(this.dir, 'config.json'), JSON.stringify({ ...this.options.config, versions: this.versions }, null, 2) + '\n');
    }
    const metrics = (this.metricsLog = new MetricsLog(this.dir, files));
    let counters: LoopCounters = { step: 0, episode: 0, updates: 0 };
    const loaded = this.resuming ? loadCheckpoint(this.dir, state.agent, state.replay, files) : null;
    if (loaded !== null) {
      const { meta } = loaded;
      for (const reason of loaded.skipped) this.progress.log(`warning: passed over a damaged checkpoint: ${reason}`);
      pruneCheckpoints(files, this.dir, loaded.dir);
      counters = { step: meta.step, episode: meta.episode, updates: meta.updates };
      this.checkpointedStep = meta.step;
      this.elapsedBefore = meta.elapsed;
      if (state.normalizer !== null) restoreFromCheckpoint(state.normalizer, meta.obsNormalizer, this.dir);
      if (state.rewardNormalizer !== null) {
        if (meta.rewardNormalizer === undefined) throw new CheckpointError(`${loaded.dir}: the run normalises rewards but its checkpoint has no reward statistics`);
        state.rewardNormalizer.setState(meta.rewardNormalizer);
      }
      if (meta.metrics !== undefined) metrics.cutBack(meta.metrics, meta.step);
      else metrics.cutBackToStep(meta.step);
      evaluation.last = meta.lastEval ?? lastLoggedEval(this.dir, meta.step, files);
      this.progress.log(`resuming ${this.dir} at step ${counters.step} (episode ${counters.episode}) from ${loaded.dir}`);
    } else {
      // A resumed run stopped before its first checkpoint has nothing to keep but its configuration: it starts again.
      if (this.resuming) metrics.reset();
      metrics.tensorboard.text('hyperparameters', settingsTable({ ...run, ...agent, ...this.versions }));
      this.progress.log(this.resuming
        ? `${this.dir} has no checkpoint yet: starting it again from step 0`
        : `run ${this.dir}: ${this.label.title} on ${this.run.env}, seed ${this.run.seed}, ${this.engine.backend.name} backend`);
    }
    if (counters.step === 0) evaluation.run(0);
    this.started = performance.now();
    return counters;
  }

  /** Stop the run with a NonFiniteError naming the network if any weight or optimiser moment is not finite. */
  checkFinite(when: string): void {
    if (this.state !== null) checkAgentFinite(this.state.agent, when);
  }

  /** Seconds since `begin` (this session of the run). */
  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /**
   * Write a checkpoint (a new generation, docs/reliability.md) with the loop's counters, how far
   * the logs had got (flushed first) and the last evaluation; only while this run holds its lock.
   */
  checkpoint(state: TrainingState, counters: LoopCounters): void {
    this.metrics.flush();
    this.lock!.assertHeld();
    const lastEval = this.evaluationOfRun?.last ?? null;
    const dir = saveCheckpoint(this.files, this.dir, state.agent, state.replay, {
      format: 2, step: counters.step, episode: counters.episode, updates: counters.updates, agentRng: state.agent.rng.getState(),
      elapsed: this.elapsedBefore + this.seconds(), savedAt: new Date().toISOString(), versions: this.versions,
      ...(state.normalizer !== null ? { obsNormalizer: state.normalizer.getState() } : {}),
      ...(state.rewardNormalizer !== null ? { rewardNormalizer: state.rewardNormalizer.getState() } : {}),
      metrics: this.metrics.extent(), ...(lastEval !== null ? { lastEval } : {}),
    } satisfies CheckpointMeta);
    this.checkpointedStep = counters.step;
    this.stopIf('onCheckpoint', this.callbacks.onCheckpoint?.({ step: counters.step, runDir: this.dir, dir }));
  }

  /** A callback's answer: `false` asks the run to stop (the first such callback is named in the result). */
  stopIf(callback: keyof TrainCallbacks, result: CallbackResult): void {
    if (result === false) this.stopRequestedBy ??= callback;
  }

  /** A parameter snapshot if `step` is a multiple of snapshotEvery. */
  async snapshotIfDue(state: TrainingState, step: number): Promise<void> {
    // Runs configured before snapshots existed have no snapshotEvery: none.
    if (this.run.snapshotEvery > 0 && step % this.run.snapshotEvery === 0) await saveSnapshot(this.dir, state.agent, step, state.normalizer?.getState());
  }

  /** Whether to stop here (a stop signal, a callback, or stopAtStep reached); call it where a checkpoint can be taken. */
  async stopRequested(step: number): Promise<boolean> {
    await this.pollSignals();
    this.stopRequestedBy ??= this.signals?.requested ?? (this.options.stopAtStep !== undefined && step >= this.options.stopAtStep ? 'stopAtStep' : null);
    return this.stopRequestedBy !== null;
  }

  /** Whether the loop should give pending signals a turn now (cheap: one clock read; every 100 ms). */
  signalsDue(): boolean {
    return this.signals?.pollDue() ?? false;
  }

  /** Give pending signal handlers (a stop signal, a parent that went away) a turn: the loop is synchronous otherwise. */
  async pollSignals(): Promise<void> {
    await this.signals?.poll();
  }

  /** The result of a run that ends at `step`, finished or stopped (its checkpoint written). */
  end(how: 'finished' | 'stopped', step: number, finalEval: StepEval, learningPhase: LearningPhase): TrainResult {
    this.progress.done();
    const by = how === 'stopped' ? this.stopRequestedBy : null;
    if (how === 'stopped') this.progress.log(`stopped at step ${step} (by ${by}); resume with: hyperrl train --resume ${this.dir}`);
    return { runDir: this.dir, steps: step, seconds: this.seconds(), finalEval, learningPhase, stoppedBy: by };
  }

  close(): void {
    this.signals?.dispose();
    this.lock?.release();
  }
}
