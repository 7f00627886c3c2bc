/**
 * Shared machinery of the MuJoCo tasks (Gymnasium's MujocoEnv): one MjData per
 * env on the thread's shared compiled model, cached views of the WebAssembly
 * heap, frame skipping, reset to the model's initial pose plus noise, the full
 * physics state, and error reporting for bad actions and diverging physics.
 */
import { BaseEnv, checkBoxAction, type BoxAction } from '../core.js';
import { Box } from '../spaces.js';
import { bundledModel, mujoco, type MjData, type MjModel } from './engine.js';

/**
 * Typed-array views into MjData. The WebAssembly memory is replaced when it
 * grows (e.g. when another env allocates its MjData), which detaches every
 * view (length 0); `MujocoEnv.views()` re-binds them then.
 */
export interface DataViews {
  qpos: Float64Array;
  qvel: Float64Array;
  qacc: Float64Array;
  ctrl: Float64Array;
  xpos: Float64Array;
  xipos: Float64Array;
  site_xpos: Float64Array;
  cinert: Float64Array;
  cvel: Float64Array;
  cfrc_ext: Float64Array;
  qfrc_actuator: Float64Array;
  qfrc_constraint: Float64Array;
  ten_length: Float64Array;
  ten_velocity: Float64Array;
}

const VIEW_NAMES = ['qpos', 'qvel', 'qacc', 'ctrl', 'xpos', 'xipos', 'site_xpos', 'cinert', 'cvel', 'cfrc_ext', 'qfrc_actuator', 'qfrc_constraint', 'ten_length', 'ten_velocity'] as const;

/**
 * How often (in steps) non-fatal MuJoCo warnings are polled. Reading MuJoCo's warning
 * counters through embind costs ~7 µs and ~7 KB of short-lived JS handles, against
 * ~20–100 µs per step, so it is amortised over many steps.
 */
const WARNING_POLL_INTERVAL = 1000;

/**
 * The largest |action| component accepted: MuJoCo's own bound for a "huge" value (mjMAXVAL).
 * Up to it the actions behave as in Gymnasium (MuJoCo clamps ctrl to ctrlrange; the control cost
 * uses the unclipped float32 action, which stays finite: Σa² ≤ 17·1e20). Beyond it Gymnasium's
 * float32 control cost overflows (from |a| ≈ 1.8e19) and the reward becomes −Infinity, so such an
 * action is rejected before the physics moves rather than turned into a non-finite reward.
 */
export const MAX_ACTION_MAGNITUDE = 1e10;

export interface SetStateOptions {
  /**
   * Run `mj_forward` so positions, velocities-derived quantities and the
   * observation match the new state (default true). With false, derived
   * quantities keep the values of the last step, as they are between two
   * steps of a running episode (Gymnasium's Ant and Humanoid read the body
   * positions left by the previous step to compute velocities).
   */
  forward?: boolean;
}

export abstract class MujocoEnv extends BaseEnv<BoxAction, Float64Array> {
  readonly data: MjData;
  readonly actionSpace: Box;
  readonly observationSpace: Box;
  readonly frameSkip: number;
  /** Seconds per env step: timestep × frame skip. */
  readonly dt: number;
  /** The model's initial pose and velocity (`qpos0`, zeros), which reset noise perturbs. */
  protected readonly initQpos: Float64Array;
  protected readonly initQvel: Float64Array;
  /** The last action rounded to float32 (Gymnasium's action dtype), used for control costs. */
  protected readonly action32: Float32Array;
  private viewCache: DataViews;
  private sharedOrOwnModel: MjModel;
  /** This env's private copy of the model, if it made one (see `useOwnModel`). */
  private ownModel: MjModel | undefined;
  private readonly stateSpec: number;
  private readonly stateBuffer: { GetView(): Float64Array; delete(): void };
  private readonly warningCounts: Int32Array;
  private stepsSinceReset = 0;
  private closed = false;

  protected constructor(
    id: string,
    asset: string,
    frameSkip: number,
    observationSize: number,
    /** Whether observations or rewards use `cfrc_ext` (needs `mj_rnePostConstraint` after stepping). */
    private readonly usesContactForces = false,
  ) {
    super(id, new Float64Array(observationSize));
    const mj = mujoco();
    if (!Number.isInteger(frameSkip) || frameSkip < 1) throw new RangeError(`${id}: frame_skip must be a positive integer, got ${frameSkip}`);
    this.sharedOrOwnModel = bundledModel(asset);
    this.data = new mj.MjData(this.model);
    this.frameSkip = frameSkip;
    this.dt = this.model.opt.timestep * frameSkip;
    const nu = this.model.nu;
    const ctrlRange = this.model.actuator_ctrlrange as Float64Array;
    const low = Array.from({ length: nu }, (_, i) => ctrlRange[2 * i]!);
    const high = Array.from({ length: nu }, (_, i) => ctrlRange[2 * i + 1]!);
    this.actionSpace = new Box(low, high, nu, 'float32');
    this.observationSpace = new Box(-Infinity, Infinity, observationSize, 'float64');
    this.action32 = new Float32Array(nu);
    this.viewCache = this.bindViews();
    this.initQpos = Float64Array.from(this.model.qpos0 as Float64Array);
    this.initQvel = new Float64Array(this.model.nv);
    this.stateSpec = mj.mjtState.mjSTATE_INTEGRATION.value;
    this.stateBuffer = new mj.DoubleBuffer(mj.mj_stateSize(this.model, this.stateSpec)) as unknown as MujocoEnv['stateBuffer'];
    this.warningCounts = new Int32Array(mj.mjtWarning.mjNWARNING.value);
  }

  /** The compiled model: by default shared by every env of this task in the thread (see `useOwnModel`). */
  get model(): MjModel {
    return this.sharedOrOwnModel;
  }

  /**
   * Switch this env to its own copy of the compiled model, for tasks that change model
   * parameters (masses, damping, friction, …), which must not leak into the other envs of
   * the thread. MjData holds no reference to its model, and the copy has the same sizes,
   * so the existing data keeps working.
   */
  protected useOwnModel(): MjModel {
    this.ownModel ??= new (mujoco().MjModel)(this.sharedOrOwnModel);
    this.sharedOrOwnModel = this.ownModel;
    return this.ownModel;
  }

  /** Length of the `mjSTATE_INTEGRATION` state vector. */
  get stateSize(): number {
    return this.stateBuffer.GetView().length;
  }

  /** The full physics state (`mj_getState` with `mjSTATE_INTEGRATION`: time, qpos, qvel, act, warm start, ctrl, applied forces, …). */
  getState(out: Float64Array = new Float64Array(this.stateSize)): Float64Array {
    mujoco().mj_getState(this.model, this.data, this.stateBuffer, this.stateSpec);
    out.set(this.stateBuffer.GetView());
    return out;
  }

  /** Restore a state from `getState` (or Gymnasium's `mj_getState(…, mjSTATE_INTEGRATION)`). */
  setState(state: ArrayLike<number>, options: SetStateOptions = {}): void {
    const size = this.stateSize;
    if (state.length !== size) throw new RangeError(`${this.id}: state has length ${state.length}, expected ${size} (mjSTATE_INTEGRATION)`);
    const mj = mujoco();
    mj.mj_setState(this.model, this.data, state as unknown as number[], this.stateSpec);
    if (options.forward ?? true) {
      mj.mj_forward(this.model, this.data);
      if (this.usesContactForces) mj.mj_rnePostConstraint(this.model, this.data);
      this.writeObservation(this.views());
    }
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    this.data.delete();
    this.stateBuffer.delete();
    this.ownModel?.delete();
  }

  /** Views into this env's MjData, re-bound if the WebAssembly memory has grown. */
  protected views(): DataViews {
    if (this.viewCache.qpos.length === 0) this.viewCache = this.bindViews();
    return this.viewCache;
  }

  protected resetEnv(options: Record<string, unknown> | undefined): void {
    if (this.closed) throw new Error(`${this.id}: the env is closed`);
    if (options !== undefined && Object.keys(options).length > 0) throw new RangeError(`${this.id}: reset takes no options, got ${Object.keys(options).join(', ')}`);
    const mj = mujoco();
    mj.mj_resetData(this.model, this.data);
    const v = this.views();
    this.sampleInitialState(v.qpos, v.qvel);
    // Like Gymnasium, no mj_rnePostConstraint here: contact forces in the reset
    // observation are those left by mj_resetData (zeros).
    mj.mj_forward(this.model, this.data);
    this.warningCounts.fill(0);
    this.stepsSinceReset = 0;
    this.writeObservation(v);
    this.writeResetInfo(v, this.resetResult.info);
  }

  /**
   * Apply the action for `frameSkip` physics steps. The action is validated
   * (finite, |a| ≤ MAX_ACTION_MAGNITUDE) and rounded to float32; out-of-range values
   * go to MuJoCo unchanged, which clamps them to `ctrlrange` (as in Gymnasium), while
   * control costs use the unclipped action.
   */
  protected simulate(action: BoxAction): DataViews {
    if (this.closed) throw new Error(`${this.id}: the env is closed`);
    checkBoxAction(this.id, action, this.action32.length);
    for (let i = 0; i < this.action32.length; i++) {
      if (Math.abs(action[i]!) > MAX_ACTION_MAGNITUDE) {
        throw new RangeError(`${this.id}: action[${i}] is ${action[i]} at step ${this.stepsSinceReset + 1} after reset, beyond ±${MAX_ACTION_MAGNITUDE} (its control cost would overflow float32); the env did not step`);
      }
    }
    const mj = mujoco();
    const v = this.views();
    for (let i = 0; i < this.action32.length; i++) {
      const a = Math.fround(action[i]!);
      this.action32[i] = a;
      v.ctrl[i] = a;
    }
    for (let k = 0; k < this.frameSkip; k++) mj.mj_step(this.model, this.data);
    if (this.usesContactForces) mj.mj_rnePostConstraint(this.model, this.data);
    this.stepsSinceReset++;
    this.checkPhysics(v);
    this.stepResult.info.warnings = this.stepsSinceReset % WARNING_POLL_INTERVAL === 0 ? this.newWarnings() : undefined;
    return v;
  }

  /** Write the initial qpos/qvel (after `mj_resetData`); default: Gymnasium's uniform noise on both. */
  protected abstract sampleInitialState(qpos: Float64Array, qvel: Float64Array): void;
  protected abstract writeObservation(v: DataViews): void;
  protected writeResetInfo(_v: DataViews, _info: Record<string, unknown>): void {}

  /** qpos = init + U(−scale, scale), qvel = init + U(−scale, scale). */
  protected uniformNoise(qpos: Float64Array, qvel: Float64Array, scale: number): void {
    for (let i = 0; i < qpos.length; i++) qpos[i] = this.initQpos[i]! + this.rng.uniform(-scale, scale);
    for (let i = 0; i < qvel.length; i++) qvel[i] = this.initQvel[i]! + this.rng.uniform(-scale, scale);
  }

  /** qpos = init + U(−scale, scale), qvel = init + scale·N(0, 1). */
  protected uniformNormalNoise(qpos: Float64Array, qvel: Float64Array, scale: number): void {
    for (let i = 0; i < qpos.length; i++) qpos[i] = this.initQpos[i]! + this.rng.uniform(-scale, scale);
    for (let i = 0; i < qvel.length; i++) qvel[i] = this.initQvel[i]! + scale * this.rng.normal();
  }

  /** Gymnasium's `weight * np.sum(np.square(action))` on a float32 action: computed in float32. */
  protected controlCost(weight: number): number {
    return Math.fround(Math.fround(weight) * float32SumOfSquares(this.action32));
  }

  /** A diverged simulation (NaN/Inf or > 1e10, MuJoCo's bound) is an error naming the env, step and MuJoCo's warning. */
  private checkPhysics(v: DataViews): void {
    let bad = false;
    for (let i = 0; i < v.qpos.length; i++) if (!(Math.abs(v.qpos[i]!) <= 1e10)) bad = true;
    for (let i = 0; i < v.qvel.length; i++) if (!(Math.abs(v.qvel[i]!) <= 1e10)) bad = true;
    if (!bad) return;
    const warnings = this.newWarnings() ?? [];
    throw new Error(
      `${this.id}: the simulation diverged at step ${this.stepsSinceReset} after reset (non-finite or huge qpos/qvel)` +
        (warnings.length > 0 ? `; MuJoCo: ${warnings.join('; ')}` : '') +
        '. Reset the env to continue.',
    );
  }

  /** Warnings raised since the last poll, as MuJoCo's messages, or undefined when there are none. */
  private newWarnings(): string[] | undefined {
    const mj = mujoco();
    const stats = this.data.warning;
    let messages: string[] | undefined;
    for (let i = 0; i < this.warningCounts.length; i++) {
      const stat = stats.get(i);
      if (stat === undefined) continue;
      const count = stat.number;
      const lastInfo = stat.lastinfo;
      stat.delete();
      if (count > this.warningCounts[i]!) {
        (messages ??= []).push(`${mj.mju_warningText(i, lastInfo)} (×${count - this.warningCounts[i]!})`);
        this.warningCounts[i] = count;
      }
    }
    return messages;
  }

  private bindViews(): DataViews {
    const views = {} as DataViews;
    for (const name of VIEW_NAMES) views[name] = this.data[name] as Float64Array;
    return views;
  }
}

/**
 * `np.sum(np.square(x))` for a float32 array: squares rounded to float32 and
 * numpy's pairwise summation (sequential below 8 elements, otherwise eight
 * interleaved accumulators combined pairwise), all in float32.
 */
export function float32SumOfSquares(x: Float32Array): number {
  const f = Math.fround;
  const n = x.length;
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum = f(sum + f(x[i]! * x[i]!));
    return sum;
  }
  if (n > 128) throw new RangeError('float32SumOfSquares: more than 128 elements would need numpy\'s recursive split');
  let r0 = sq(x, 0);
  let r1 = sq(x, 1);
  let r2 = sq(x, 2);
  let r3 = sq(x, 3);
  let r4 = sq(x, 4);
  let r5 = sq(x, 5);
  let r6 = sq(x, 6);
  let r7 = sq(x, 7);
  let i = 8;
  for (; i + 8 <= n; i += 8) {
    r0 = f(r0 + sq(x, i));
    r1 = f(r1 + sq(x, i + 1));
    r2 = f(r2 + sq(x, i + 2));
    r3 = f(r3 + sq(x, i + 3));
    r4 = f(r4 + sq(x, i + 4));
    r5 = f(r5 + sq(x, i + 5));
    r6 = f(r6 + sq(x, i + 6));
    r7 = f(r7 + sq(x, i + 7));
  }
  let sum = f(f(f(r0 + r1) + f(r2 + r3)) + f(f(r4 + r5) + f(r6 + r7)));
  for (; i < n; i++) sum = f(sum + sq(x, i));
  return sum;
}

function sq(x: Float32Array, k: number): number {
  return Math.fround(x[k]! * x[k]!);
}

/** Euclidean norm of the difference of two 3-vectors stored at offsets a and b of `xs`. */
export function distance3(xs: Float64Array, a: number, b: number): number {
  const dx = xs[3 * a]! - xs[3 * b]!;
  const dy = xs[3 * a + 1]! - xs[3 * b + 1]!;
  const dz = xs[3 * a + 2]! - xs[3 * b + 2]!;
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/** Index of a named body, or an error naming the env. */
export function bodyId(envId: string, model: MjModel, name: string): number {
  const mj = mujoco();
  const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, name);
  if (id < 0) throw new Error(`${envId}: the model has no body '${name}'`);
  return id;
}
