/**
 * AsyncVectorEnv: envs spread over worker threads (several per worker),
 * stepped in lock-step through SharedArrayBuffer slabs and Atomics — no
 * postMessage per step. Node's worker threads, or a browser's module Web Workers
 * (which need a cross-origin isolated page for SharedArrayBuffer, and the caller
 * in a worker: a page's main thread may not block in Atomics.wait; `createVectorEnv`
 * falls back to SyncVectorEnv there). Results are bit-identical to SyncVectorEnv for the
 * same seeds (the per-env code is shared, see slots.ts).
 *
 * A worker whose env throws reports the env, index and step; a worker that
 * exits or stops answering within `timeoutMs` is reported too, so a step
 * never hangs. `close()` always terminates the workers.
 */
import { platform } from '#platform';
import type { Thread } from '../../platform/types.js';
import { Box, Discrete } from '../spaces.js';
import type { FloatArray } from '../spaces.js';
import { COMMAND, Command, CONTROL_STRIDE, DONE, readText, ResetOptions, SEQUENCE, STATUS, Status, TEXT_BYTES, writeText, type SharedSlabs, type WorkerReady, type WorkerSetup } from './protocol.js';
import { checkResetArgs, vectorFailure } from './slots.js';
import type { VectorEnv, VectorEnvOptions, VectorResetArgs, VectorResetResult, VectorStepResult } from './vector-env.js';

export interface AsyncVectorEnvOptions extends VectorEnvOptions {
  /** Worker threads (default: min(numEnvs, available cores)). */
  workers?: number;
  /**
   * Module URLs each worker imports first, in order, e.g. ones that register custom envs (the
   * workers start with only the built-in envs registered; training passes the run's `--import`
   * modules here).
   */
  setupModules?: readonly (string | URL)[];
  /** Longest a reset or step may take before the workers are declared stuck (default 60 s). */
  timeoutMs?: number;
  /**
   * The worker module (default: worker.js beside this file). A bundled page passes the URL of
   * a bundled worker that imports `hyperrl/vector-env-worker` (e.g. Vite's `?worker&url`).
   */
  workerUrl?: string | URL;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
/** Waits are sliced so a dead worker is noticed even if its exit hook could not run. */
const WAIT_SLICE_MS = 100;

export class AsyncVectorEnv implements VectorEnv {
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Box | Discrete;
  private readonly control: Int32Array;
  private readonly text: Uint8Array;
  private readonly resetArgs: Float64Array;
  private readonly obs: FloatArray;
  private readonly actions: Float64Array;
  private readonly stepResult: VectorStepResult;
  private readonly timeoutMs: number;
  private readonly exited: boolean[];
  private sequence = 0;
  private vectorSteps = 0;
  private failure: Error | undefined;
  private closed = false;

  static async create(envId: string, numEnvs: number, options: AsyncVectorEnvOptions = {}): Promise<AsyncVectorEnv> {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`AsyncVectorEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    if (!platform.canBlockOnSharedMemory()) {
      throw new Error(`AsyncVectorEnv(${envId}): this thread cannot wait on shared memory (a browser page's main thread, or a page that is not cross-origin isolated); use createVectorEnv, which falls back to SyncVectorEnv`);
    }
    const workerCount = Math.min(numEnvs, options.workers ?? platform.cpuCount());
    const setupModules = (options.setupModules ?? []).map((url) => url.toString());
    const workerUrl = options.workerUrl === undefined ? WORKER_URL : new URL(options.workerUrl, WORKER_URL);
    const workers: Thread[] = [];
    const readies: Promise<WorkerReady>[] = [];
    for (let w = 0; w < workerCount; w++) {
      const setup: WorkerSetup = {
        envId,
        members: { envOptions: options.envOptions ?? {}, float32Observations: options.float32Observations ?? false },
        first: Math.floor((w * numEnvs) / workerCount),
        end: Math.floor(((w + 1) * numEnvs) / workerCount),
        setupModules,
      };
      const worker = platform.startThread(workerUrl, setup);
      workers.push(worker);
      readies.push(
        new Promise<WorkerReady>((resolve, reject) => {
          worker.onceMessage((message) => resolve(message as WorkerReady));
          worker.onError((error) => reject(new Error(`AsyncVectorEnv(${envId}): worker ${w} (envs ${setup.first}..${setup.end - 1}) failed to start: ${error.message}`, { cause: error })));
          worker.onExit((code) => reject(new Error(`AsyncVectorEnv(${envId}): worker ${w} exited with code ${code} while starting`)));
        }),
      );
    }
    let ready: WorkerReady[];
    try {
      ready = await Promise.all(readies);
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new AsyncVectorEnv(envId, numEnvs, workers, ready[0]!, options.timeoutMs ?? 60_000);
  }

  private constructor(
    readonly envId: string,
    readonly numEnvs: number,
    private readonly workers: Thread[],
    spec: WorkerReady,
    timeoutMs: number,
  ) {
    this.timeoutMs = timeoutMs;
    this.singleObservationSpace = new Box(-Infinity, Infinity, spec.obsSize, spec.obsDtype);
    this.singleActionSpace =
      spec.discreteN !== undefined ? new Discrete(spec.discreteN, spec.discreteStart) : new Box(spec.actionLow!, spec.actionHigh!, spec.actionLow!.length, 'float32');
    const actionSize = spec.actionLow?.length ?? 1;
    const shared = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
    const obsBytes = spec.obsDtype === 'float64' ? 8 : 4;
    const buffers = {
      control: shared(workers.length * CONTROL_STRIDE * 4),
      text: shared(workers.length * TEXT_BYTES),
      resetArgs: shared(3 * 8),
      obs: shared(numEnvs * spec.obsSize * obsBytes),
      actions: shared(numEnvs * actionSize * 8),
      rewards: shared(numEnvs * 8),
      terminations: shared(numEnvs),
      truncations: shared(numEnvs),
    };
    this.control = new Int32Array(buffers.control);
    this.text = new Uint8Array(buffers.text);
    this.resetArgs = new Float64Array(buffers.resetArgs);
    this.obs = spec.obsDtype === 'float64' ? new Float64Array(buffers.obs) : new Float32Array(buffers.obs);
    this.actions = new Float64Array(buffers.actions);
    this.stepResult = {
      obs: this.obs,
      rewards: new Float64Array(buffers.rewards),
      terminations: new Uint8Array(buffers.terminations),
      truncations: new Uint8Array(buffers.truncations),
    };
    this.exited = workers.map(() => false);
    workers.forEach((worker, w) => {
      worker.onExit(() => (this.exited[w] = true));
      worker.onError(() => (this.exited[w] = true));
      const message: SharedSlabs = { type: 'slabs', ...buffers, workerIndex: w };
      worker.postMessage(message);
    });
  }

  reset(args: VectorResetArgs = {}): VectorResetResult {
    checkResetArgs(`AsyncVectorEnv(${this.envId})`, args, this.numEnvs);
    this.resetArgs[0] = args.seed === undefined ? 0 : 1;
    this.resetArgs[1] = args.seed ?? 0;
    const perEnv = args.optionsPerEnv;
    this.resetArgs[2] = perEnv !== undefined ? ResetOptions.PerEnv : args.options !== undefined ? ResetOptions.Shared : ResetOptions.None;
    if (perEnv !== undefined || args.options !== undefined) {
      const shared = perEnv === undefined ? JSON.stringify(args.options) : undefined;
      for (let w = 0; w < this.workers.length; w++) {
        const [first, end] = this.workerEnvs(w);
        const json = shared ?? JSON.stringify(perEnv!.slice(first, end));
        if (!writeText(this.text.subarray(w * TEXT_BYTES, (w + 1) * TEXT_BYTES), json)) {
          throw new RangeError(`AsyncVectorEnv(${this.envId}): the reset options of envs ${first}..${end - 1} take more than the ${TEXT_BYTES - 4} bytes of JSON a worker's block carries; use more workers`);
        }
      }
    }
    this.vectorSteps = 0;
    this.run(Command.Reset, 'reset');
    return { obs: this.obs };
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    if (actions.length !== this.actions.length) {
      throw new RangeError(`AsyncVectorEnv(${this.envId}): actions have length ${actions.length}, expected ${this.actions.length} (${this.numEnvs} envs)`);
    }
    this.actions.set(actions);
    this.vectorSteps++;
    this.run(Command.Step, `step ${this.vectorSteps}`);
    return this.stepResult;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.failure === undefined) {
      try {
        this.run(Command.Close, 'close', 2000);
      } catch {
        // Terminating below ends the workers whatever state they are in.
      }
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  /** Issue a command to every worker and wait for all of them. */
  private run(command: Command, what: string, timeoutMs = this.timeoutMs): void {
    if (this.closed && command !== Command.Close) throw new Error(`AsyncVectorEnv(${this.envId}): the vector env is closed`);
    if (this.failure !== undefined) throw new Error(`AsyncVectorEnv(${this.envId}): unusable after an earlier failure; close it. (${this.failure.message})`);
    const control = this.control;
    const sequence = ++this.sequence;
    for (let w = 0; w < this.workers.length; w++) {
      const base = w * CONTROL_STRIDE;
      control[base + COMMAND] = command;
      Atomics.store(control, base + SEQUENCE, sequence);
      Atomics.notify(control, base + SEQUENCE);
    }
    const deadline = performance.now() + timeoutMs;
    const failures: string[] = [];
    let nonFinite = false;
    for (let w = 0; w < this.workers.length; w++) {
      const base = w * CONTROL_STRIDE;
      while (Atomics.load(control, base + DONE) !== sequence) {
        if (Atomics.load(control, base + STATUS) === Status.Exited || this.exited[w]) {
          failures.push(`worker ${w} (${this.describeWorker(w)}) exited during ${what}`);
          break;
        }
        if (performance.now() > deadline) {
          failures.push(`worker ${w} (${this.describeWorker(w)}) did not finish ${what} within ${timeoutMs} ms`);
          break;
        }
        Atomics.wait(control, base + DONE, sequence - 1, WAIT_SLICE_MS);
      }
      const status = Atomics.load(control, base + STATUS);
      if (Atomics.load(control, base + DONE) === sequence && (status === Status.Failed || status === Status.NonFinite)) {
        failures.push(readText(this.text.subarray(w * TEXT_BYTES, (w + 1) * TEXT_BYTES)));
        nonFinite ||= status === Status.NonFinite;
      }
    }
    if (failures.length > 0) {
      this.failure = vectorFailure(`AsyncVectorEnv(${this.envId}): ${failures.join('; ')}`, nonFinite);
      throw this.failure;
    }
  }

  /** [first, end): the envs worker w owns. */
  private workerEnvs(w: number): [number, number] {
    return [Math.floor((w * this.numEnvs) / this.workers.length), Math.floor(((w + 1) * this.numEnvs) / this.workers.length)];
  }

  private describeWorker(w: number): string {
    const [first, end] = this.workerEnvs(w);
    return `${this.envId} envs ${first}..${end - 1}`;
  }
}
