/**
 * What PEARL's inferred context knows about the task, on goal families (Navigation2D-v0): the
 * R² of a linear fit of the goal from the posterior mean. Each task's posterior is inferred
 * from one trajectory of uniform random actions from the start (the same actions' generator
 * for every call, so two networks are compared on the same kind of context); the fit (least
 * squares with an intercept) is made on one set of tasks and scored on held-out ones, per
 * goal coordinate, and the R²s are averaged. A posterior that ignores the task scores ≤ 0.
 */
import type { Pearl } from '../algos/pearl.js';
import { Xoshiro128Rng } from '../core/random.js';
import type { GoalTask } from '../envs/meta/families.js';
import { makeSync } from '../envs/registry.js';
import { fitSlope } from './slope-fit.js';

/** The posterior mean given a `steps`-transition random-action context of `task` (a copy). */
function posteriorMean(pearl: Pearl, task: GoalTask, steps: number, rng: Xoshiro128Rng): number[] {
  const encoder = pearl.encoder;
  if (encoder === null) throw new Error(`posteriorGoalR2: PEARL on ${pearl.envId} uses the oracle context, which has no posterior`);
  const env = makeSync(pearl.envId), { actionLow: low, actionHigh: high } = pearl.spec;
  const rows: number[] = [];
  try {
    let obs = Array.from(env.reset({ seed: 0, options: { task } }).obs);
    for (let i = 0; i < steps; i++) {
      const action = low.map((l, k) => rng.uniform(l, high[k]!));
      const step = env.step(Float64Array.from(action));
      rows.push(...obs, ...action, step.reward);
      obs = Array.from(step.obs);
      if (step.terminated || step.truncated) obs = Array.from(env.reset({ seed: 0, options: { task } }).obs);
    }
  } finally {
    env.close();
  }
  const e = pearl.engine;
  return e.scope(() => e.noGrad(() => encoder.posterior(e.tensor(rows, [steps, rows.length / steps])).mean.toArray()));
}

/** Held-out R² (mean over the goal's coordinates) of the goal fitted linearly from the posterior mean on `fitTasks`. */
export function posteriorGoalR2(pearl: Pearl, fitTasks: readonly GoalTask[], heldOut: readonly GoalTask[], contextSteps = 50, seed = 7): number {
  const rng = new Xoshiro128Rng(seed);
  const fitX = fitTasks.map((t) => posteriorMean(pearl, t, contextSteps, rng)), testX = heldOut.map((t) => posteriorMean(pearl, t, contextSteps, rng));
  const L = fitX[0]!.length, goalDim = fitTasks[0]!.goal.length;
  const average = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  let r2 = 0;
  for (let d = 0; d < goalDim; d++) {
    const y = fitTasks.map((t) => t.goal[d]!);
    // A collapsed latent dimension leaves the fit rank-deficient: the minimum-norm slope then.
    const { slope } = fitSlope(fitX.flat(), y, L, { pseudoinverse: true });
    const predict = (x: readonly number[]): number => x.reduce((s, v, k) => s + slope[k]! * v, 0);
    const intercept = average(y) - average(fitX.map(predict));
    const truth = heldOut.map((t) => t.goal[d]!), m = average(truth);
    const residual = testX.reduce((s, x, k) => s + (intercept + predict(x) - truth[k]!) ** 2, 0);
    r2 += (1 - residual / truth.reduce((s, v) => s + (v - m) ** 2, 0)) / goalDim;
  }
  return r2;
}
