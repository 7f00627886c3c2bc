/**
 * 2D-Navigation, the point env of MAML (Finn et al. 2017; pytorch-maml-rl
 * maml_rl/envs/navigation.py, copied in HypeRL MAML/maml_rl/envs/navigation.py).
 *
 * The state is the agent's position p ∈ R², observed directly, starting at the origin (no
 * noise). A step clips the action to [−0.1, 0.1]² and moves: p ← p + clip(a). Then
 *   r = −‖p − g‖₂
 * (the distance after the move), terminating when |p_x − g_x| < 0.01 and |p_y − g_y| < 0.01.
 * 100 steps per episode (the registration `max_episode_steps=100`). As in the source, the
 * position and the clipped action are float32 (observations are float32), the distance is
 * computed in float64 from the float32 position and the float64 goal.
 *
 * HypeRL's fork samples its unseen tasks on the half circle of radius 1 instead
 * (`sample_unseen_task`); this family keeps MAML's U[−0.5, 0.5]² for training and test.
 */
import { BaseEnv, checkBoxAction, type BoxAction } from '../core.js';
import { resolveOptions } from '../options.js';
import { Box } from '../spaces.js';
import { NAVIGATION_2D, type GoalTask } from './families.js';
import { applyTaskOption, type TaskEnv } from './task.js';

const MAX_STEP = 0.1;
/** Reaching the goal within this distance on both axes ends the episode. */
const GOAL_TOLERANCE = 0.01;

export class Navigation2DEnv extends BaseEnv<BoxAction, Float32Array> implements TaskEnv<GoalTask> {
  readonly family = NAVIGATION_2D;
  readonly observationSpace = new Box(-Infinity, Infinity, 2, 'float32');
  readonly actionSpace = new Box(-MAX_STEP, MAX_STEP, 2, 'float32');
  private current: GoalTask = NAVIGATION_2D.defaultTask;

  /** No options: the env has no parameters besides its task. */
  constructor(options: Record<string, never> = {}) {
    super(NAVIGATION_2D.envId, new Float32Array(2));
    resolveOptions(this.id, {}, options);
  }

  get task(): GoalTask {
    return this.current;
  }

  setTask(task: GoalTask): void {
    this.current = this.family.checkTask(task);
  }

  protected resetEnv(options: Record<string, unknown> | undefined): void {
    const rest = applyTaskOption(this, options);
    if (rest !== undefined) throw new RangeError(`${this.id}: reset takes only the option 'task', got ${Object.keys(rest).join(', ')}`);
    this.obs.fill(0);
  }

  protected stepEnv(action: BoxAction): void {
    checkBoxAction(this.id, action, 2);
    const [gx, gy] = this.current.goal;
    for (let i = 0; i < 2; i++) {
      const clipped = Math.fround(Math.min(Math.max(Math.fround(action[i]!), -MAX_STEP), MAX_STEP));
      this.obs[i] = this.obs[i]! + clipped; // the Float32Array rounds the sum, as numpy's float32 add
    }
    const dx = this.obs[0]! - gx;
    const dy = this.obs[1]! - gy;
    const result = this.stepResult;
    result.reward = -Math.sqrt(dx * dx + dy * dy);
    result.terminated = Math.abs(dx) < GOAL_TOLERANCE && Math.abs(dy) < GOAL_TOLERANCE;
    result.truncated = false;
  }
}
