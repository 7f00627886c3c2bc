/**
 * The pieces every training loop (src/train/loops/) shares, whatever the algorithm:
 *   - the run folder: its name, the checks on TrainOptions' folders, config.json with the
 *     versions, metrics.jsonl/.csv (`RunContext`, `begin`);
 *   - progress output (`progress`) and the steps/s of the log rows (`StepRate`);
 *   - evaluation on its own env and seeds, logged (`evaluation`);
 *   - checkpoints: restored on resume, saved with the loop's counters (`begin`, `checkpoint`);
 *   - parameter snapshots every snapshotEvery steps (`snapshotIfDue`);
 *   - the user's callbacks (`callbacks`, `stopIf`: one returning false stops the run like Ctrl-C);
 *   - stop requests: Ctrl-C (a second one quits at once), callbacks and TrainOptions.stopAtStep (`stopRequested`).
 * A loop owns its envs, agent and buffers and the order of act → step → learn, and checkpoints
 * where its state is complete (the off-policy loop: at episode ends). `train()` (run.ts) makes
 * the context and hands it to the loop of the algorithm's kind (`TrainingLoop`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from '../algos/agent.js';
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
import { configYaml } from './config-file.js';
import { evaluate, evaluationSeed, type EvalActor, type EvalResult } from './evaluate.js';
import { MetricsLog } from './metrics.js';
import { restoreFromCheckpoint } from './obs-normalizer.js';
import { Progress } from './progress.js';
import { RUN_SCHEMA, runLabel, type ResolvedConfig, type RunConfig } from './run-config.js';
import { saveSnapshot } from './snapshots.js';
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
  /** Run even if `totalSteps ≤ learningStarts` (no gradient update at all), with a warning instead of an error. */
  allowNoUpdates?: boolean;
  /** Observe the run; a callback returning `false` stops it at the episode's end, with a checkpoint. */
  callbacks?: TrainCallbacks;
}

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
  finalEval: EvalResult;
  learningPhase: LearningPhase;
  /** Why the run stopped before totalSteps: the callback that asked (`onStep`, …), `interrupt` or `stopAtStep`; null if it ran to the end. */
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

function versions(engine: Engine): Record<string, string> {
  let git = 'unknown';
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: new URL('../../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch { /* not a git checkout */ }
  return { hyperrl: packageVersion(), git, node: process.version, backend: `${engine.backend.name} (${engine.backend.detail})` };
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

/** Evaluations of the deterministic policy on a separate env with its own seeds, logged as eval/return_mean and eval/return_std. */
export class Evaluation {
  /** The latest evaluation, if any. */
  last: EvalResult | null = null;

  constructor(private readonly ctx: RunContext, private readonly actor: EvalActor, private readonly env: Env) {}

  run(step: number): EvalResult {
    const episodes = this.ctx.run.evalEpisodes;
    const r = evaluate(this.actor, this.env, episodes, evaluationSeed(this.ctx.run.seed));
    this.ctx.metrics.write(step, { 'eval/return_mean': r.mean, 'eval/return_std': r.std });
    this.ctx.progress.log(`step ${step}: eval return ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} (${episodes} episodes)`);
    this.ctx.stopIf('onEvaluation', this.ctx.callbacks.onEvaluation?.({ step, result: r }));
    return (this.last = r);
  }
}

/** One run's shared pieces (see above): made by train(), used by the loop of the run's algorithm. */
export class RunContext {
  readonly run: RunConfig;
  readonly engine = new Engine(defaultBackend());
  readonly progress: Progress;
  readonly dir: string;
  readonly resuming: boolean;
  readonly callbacks: TrainCallbacks;
  private readonly label: RunLabel;
  private metricsLog: MetricsLog | null = null;
  // Read once: every checkpoint records them, and `git rev-parse` is a process spawn.
  private readonly versions: Record<string, string>;
  private started = 0;
  private elapsedBefore = 0;
  private interrupts = 0;
  /** Set by Ctrl-C, a callback returning false or stopAtStep: the run stops at the next checkpoint boundary. */
  private stopRequestedBy: string | null = null;
  private readonly onSigint = (): void => {
    if (++this.interrupts > 1) process.exit(130);
    this.stopRequestedBy ??= 'interrupt';
    this.progress.log(`interrupt: finishing the ${this.algorithm.loop === 'on-policy' ? 'rollout' : 'episode'} to write a checkpoint (Ctrl-C again to quit now)`);
  };

  /** Checks the options' folders; the algorithm's label names the run in logs and its folder. */
  constructor(readonly options: TrainOptions, private readonly algorithm: Algorithm) {
    const rc = options.config.run;
    this.run = rc;
    this.label = runLabel(options.config);
    this.callbacks = options.callbacks ?? {};
    this.progress = new Progress(process.stderr, 10, options.quiet);
    if (options.resumeDir !== undefined && options.runDir !== undefined) throw new ConfigError('train: give either resumeDir or runDir, not both');
    if (options.runDir !== undefined && existsSync(join(options.runDir, 'config.json'))) throw new ConfigError(`train: ${options.runDir} already holds a run; resume it instead`);
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
    return new Evaluation(this, actor, env);
  }

  /**
   * Make the run folder; on resume restore `state` from the checkpoint and drop the metrics
   * logged after it, else write config.json and evaluate the untrained policy. Then the clock
   * and the Ctrl-C handler start. Returns the counters to continue from.
   */
  async begin(state: TrainingState, evaluation: Evaluation): Promise<LoopCounters> {
    mkdirSync(this.dir, { recursive: true });
    this.metricsLog = new MetricsLog(this.dir);
    let counters: LoopCounters = { step: 0, episode: 0, updates: 0 };
    if (this.resuming) {
      const meta = await loadCheckpoint(this.dir, state.agent, state.replay);
      counters = { step: meta.step, episode: meta.episode, updates: meta.updates };
      this.elapsedBefore = meta.elapsed;
      if (state.normalizer !== null) restoreFromCheckpoint(state.normalizer, meta.obsNormalizer, this.dir);
      if (state.rewardNormalizer !== null) {
        if (meta.rewardNormalizer === undefined) throw new Error(`${this.dir}: the run normalises rewards but its checkpoint has no reward statistics`);
        state.rewardNormalizer.setState(meta.rewardNormalizer);
      }
      this.metricsLog.truncateAfter(counters.step);
      this.progress.log(`resuming ${this.dir} at step ${counters.step} (episode ${counters.episode})`);
    } else {
      const { run, agent, modules } = this.options.config;
      writeFileSync(join(this.dir, 'config.json'), JSON.stringify({ ...this.options.config, versions: this.versions }, null, 2) + '\n');
      writeFileSync(join(this.dir, 'config.yaml'), configYaml({ ...run, ...agent }, [RUN_SCHEMA as never, this.algorithm.schema as never], modules));
      this.metricsLog.tensorboard.text('hyperparameters', settingsTable({ ...run, ...agent, ...this.versions }));
      this.progress.log(`run ${this.dir}: ${this.label.title} on ${this.run.env}, seed ${this.run.seed}, ${this.engine.backend.name} backend`);
    }
    if (counters.step === 0) evaluation.run(0);
    process.on('SIGINT', this.onSigint);
    this.started = performance.now();
    return counters;
  }

  /** Seconds since `begin` (this session of the run). */
  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  async checkpoint(state: TrainingState, counters: LoopCounters): Promise<void> {
    await saveCheckpoint(this.dir, state.agent, state.replay, {
      format: 1, step: counters.step, episode: counters.episode, updates: counters.updates, agentRng: state.agent.rng.getState(),
      elapsed: this.elapsedBefore + this.seconds(), savedAt: new Date().toISOString(), versions: this.versions,
      ...(state.normalizer !== null ? { obsNormalizer: state.normalizer.getState() } : {}),
      ...(state.rewardNormalizer !== null ? { rewardNormalizer: state.rewardNormalizer.getState() } : {}),
    } satisfies CheckpointMeta);
    this.stopIf('onCheckpoint', this.callbacks.onCheckpoint?.({ step: counters.step, runDir: this.dir }));
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

  /** Whether to stop here (Ctrl-C, a callback, or stopAtStep reached); call it where a checkpoint can be taken. */
  async stopRequested(step: number): Promise<boolean> {
    // The loop is synchronous between checkpoints: give pending signal handlers (SIGINT, a parent
    // that went away) a turn here, or an interrupt would only be seen at the next checkpoint.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.stopRequestedBy === null && this.options.stopAtStep !== undefined && step >= this.options.stopAtStep) this.stopRequestedBy = 'stopAtStep';
    return this.stopRequestedBy !== null;
  }

  /** The result of a run that ends at `step`, finished or stopped (its checkpoint written). */
  end(how: 'finished' | 'stopped', step: number, finalEval: EvalResult, learningPhase: LearningPhase): TrainResult {
    this.progress.done();
    const by = how === 'stopped' ? this.stopRequestedBy : null;
    if (how === 'stopped') this.progress.log(`stopped at step ${step}${by === 'interrupt' ? '' : ` (by ${by})`}; resume with: hyperrl train --resume ${this.dir}`);
    return { runDir: this.dir, steps: step, seconds: this.seconds(), finalEval, learningPhase, stoppedBy: by };
  }

  close(): void {
    process.off('SIGINT', this.onSigint);
  }
}
