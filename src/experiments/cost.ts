/**
 * The cost table: wall time per 1k learning-phase env steps (act + env step + update)
 * and the update's share, for each critic preset (MLP, hyper compact, hyper paper),
 * from short runs of one process at a time, with ratios to the MLP critic. The issue
 * asks for `compact` to stay within 10× the MLP critic's update cost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTrainConfig } from '../train/run-config.js';
import { train } from '../train/run.js';

export const COST_CRITICS = [
  { name: 'mlp', settings: { critic: 'mlp' } },
  { name: 'hyper compact', settings: { critic: 'hyper', hyperPreset: 'compact' } },
  { name: 'hyper paper', settings: { critic: 'hyper', hyperPreset: 'paper' } },
] as const;

export interface CostOptions {
  env: string;
  algos: string[];
  /** Learning-phase steps timed per critic. */
  learningSteps: number;
  /** Random steps before learning starts (fills the replay buffer past a batch). */
  warmupSteps: number;
  log?: (line: string) => void;
}

export interface CostRow {
  algo: string;
  critic: string;
  learningSteps: number;
  /** Seconds per 1k learning-phase steps: everything, and the gradient updates alone. */
  secondsPer1k: number;
  updateSecondsPer1k: number;
  /** Ratios to the MLP critic of the same algorithm. */
  ratioTotal: number;
  ratioUpdate: number;
}

export async function measureCost(opts: CostOptions): Promise<CostRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const rows: CostRow[] = [];
  for (const algo of opts.algos) {
    const measured: Omit<CostRow, 'ratioTotal' | 'ratioUpdate'>[] = [];
    for (const { name, settings } of COST_CRITICS) {
      const runsDir = mkdtempSync(join(tmpdir(), 'hyperrl-cost-'));
      try {
        const totalSteps = opts.warmupSteps + opts.learningSteps;
        const config = resolveTrainConfig({
          env: opts.env, algo, ...settings, totalSteps, learningStarts: opts.warmupSteps, randomSteps: opts.warmupSteps,
          evalEvery: totalSteps, evalEpisodes: 1, checkpointEvery: totalSteps, runsDir,
        });
        const { learningPhase: p } = await train({ config, quiet: true });
        measured.push({ algo, critic: name, learningSteps: p.steps, secondsPer1k: (1000 * p.seconds) / p.steps, updateSecondsPer1k: (1000 * p.updateSeconds) / p.steps });
        log(`${opts.env} ${algo.toUpperCase()} ${name}: ${measured[measured.length - 1]!.secondsPer1k.toFixed(2)} s per 1k steps (updates ${measured[measured.length - 1]!.updateSecondsPer1k.toFixed(2)} s)`);
      } finally {
        rmSync(runsDir, { recursive: true, force: true }); // the paper critic's checkpoint is hundreds of MB
      }
    }
    const base = measured[0]!;
    for (const m of measured) rows.push({ ...m, ratioTotal: m.secondsPer1k / base.secondsPer1k, ratioUpdate: m.updateSecondsPer1k / base.updateSecondsPer1k });
  }
  return rows;
}

export function costMarkdown(opts: CostOptions, rows: readonly CostRow[], backend: string): string {
  const lines = [
    `# Cost per critic preset on ${opts.env}`, '',
    `Wall time per 1k learning-phase env steps (acting, env step and one gradient update per step; evaluation excluded), `
    + `the update column being the agent's whole gradient step (critic, actor and target updates; the actor is the same MLP for every critic), measured over ${opts.learningSteps} learning steps after ${opts.warmupSteps} random steps, one run at a time, CleanRL preset (batch 256). `
    + `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores shared with other work, so absolute times vary; ratios to the MLP critic, measured in the same session, vary less. Backend: ${backend}.`, '',
    '| algo | critic | s / 1k steps | update s / 1k steps | × MLP (total) | × MLP (update) |', '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.algo.toUpperCase()} | ${r.critic} | ${r.secondsPer1k.toFixed(2)} | ${r.updateSecondsPer1k.toFixed(2)} | ${r.ratioTotal.toFixed(2)} | ${r.ratioUpdate.toFixed(2)} |`),
    '',
  ];
  for (const r of rows.filter((x) => x.critic === 'hyper compact')) {
    lines.push(`- ${r.algo.toUpperCase()}: the compact hyper critic's update costs ${r.ratioUpdate.toFixed(2)}× the MLP critic's: ${r.ratioUpdate <= 10 ? 'within' : 'NOT within'} the 10× budget.`);
  }
  lines.push('', `Rerun: \`hyperrl experiment cost --env ${opts.env} --algo ${opts.algos.join(',')} --learning-steps ${opts.learningSteps}\``, '');
  return lines.join('\n');
}

export function writeCost(dir: string, opts: CostOptions, rows: readonly CostRow[], backend: string): void {
  writeFileSync(join(dir, 'cost.md'), costMarkdown(opts, rows, backend));
  writeFileSync(join(dir, 'cost.json'), JSON.stringify({ env: opts.env, learningSteps: opts.learningSteps, warmupSteps: opts.warmupSteps, backend, cpu: cpus()[0]?.model, rows }, null, 1) + '\n');
}
