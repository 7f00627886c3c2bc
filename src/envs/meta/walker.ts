/**
 * Walker2d-Rand-Params: Walker2d-v5 whose physical parameters are the task.
 *
 * Task (rand_param_envs base.py `RandomEnv.sample_tasks`, copied in VariBAD
 * environments/mujoco/rand_param_envs/base.py): every entry of the model's body_mass (8),
 * body_inertia (8 × 3), dof_damping (9) and geom_friction (8 × 3) becomes its nominal value ×
 * base^u with u ~ U[−3, 3] (`log_scale_limit` 3.0) and base 1.5 (damping 1.3). Setting a task
 * recomputes every entry from the nominal values, so tasks never compound and the zero
 * exponents restore the nominal model. Like the reference (which assigns the arrays
 * directly), no `mj_setConst`: quantities MuJoCo derives at compile time from masses
 * (e.g. the constraint-softness weights `body_invweight0`) stay those of the nominal model.
 *
 * Reward (rand_param_envs walker_rand_params.py, VariBAD walker2d_rand_params.py):
 *   r = (x_after − x_before) / dt + 1 − 1e-3 Σ a²
 * terminating unless 0.8 < torso height < 2 and −1 < torso angle < 1; observation (17):
 * qpos[1:], clip(qvel, ±10); reset qpos0 + U(±0.005), qvel U(±0.005): Walker2d-v5's reward,
 * termination, observation and reset, so this is Walker2d-v5 with Walker2d-v5's options,
 * except that the survive reward is 0 on the step that terminates (the reference pays 1).
 * Frame skip 4 (VariBAD's RandomEnv passes 4 to MujocoEnv whatever the subclass asks;
 * rand_param_envs uses 5: option `frame_skip`). 200 steps per episode (VariBAD).
 *
 * Each env owns a copy of the compiled model (`useOwnModel`), so envs of the same thread
 * (a vector env's worker) run different physics.
 */
import { Walker2dEnv, type Walker2dOptions } from '../mujoco/hopper.js';
import { RAND_PARAM_BASES, RAND_PARAMS, WALKER2D_RAND_PARAMS, type RandParam, type RandParamsTask } from './families.js';
import { applyTaskOption, type TaskEnv } from './task.js';

export class Walker2dRandParamsEnv extends Walker2dEnv implements TaskEnv<RandParamsTask> {
  readonly family = WALKER2D_RAND_PARAMS;
  private current: RandParamsTask;
  /** The compiled model's values of the randomised arrays. */
  private readonly nominal: Record<RandParam, Float64Array>;

  constructor(options: Walker2dOptions = {}) {
    super(options, WALKER2D_RAND_PARAMS.envId);
    const model = this.useOwnModel();
    this.nominal = {} as Record<RandParam, Float64Array>;
    for (const p of RAND_PARAMS) {
      const values = model[p] as Float64Array;
      if (values.length !== this.family.sizes[p]) {
        throw new Error(`${this.id}: the model's ${p} has ${values.length} entries, the task family expects ${this.family.sizes[p]} (walker2d.xml changed?)`);
      }
      this.nominal[p] = Float64Array.from(values);
    }
    this.current = this.family.defaultTask;
  }

  get task(): RandParamsTask {
    return this.current;
  }

  /** Writes nominal × base^u into the model's arrays; applies from the next physics step. */
  setTask(task: RandParamsTask): void {
    const checked = this.family.checkTask(task);
    for (const p of RAND_PARAMS) {
      const values = this.model[p] as Float64Array;
      const nominal = this.nominal[p];
      const exponents = checked[p];
      for (let i = 0; i < values.length; i++) values[i] = nominal[i]! * RAND_PARAM_BASES[p] ** exponents[i]!;
    }
    this.current = checked;
  }

  protected override resetEnv(options: Record<string, unknown> | undefined): void {
    super.resetEnv(applyTaskOption(this, options));
  }
}
