/**
 * The experiment's results: per env × algo, each critic's final return and normalised
 * AUC (mean and 95% bootstrap CI over seeds), the steps its mean curve needs to reach
 * the MLP baseline's final mean score, and its relative gain over the MLP; written as
 * results.json and results.md, with learning-curve and (when the gradient diagnostic
 * has written `<run>/diagnostics/grad.json`) cosine-similarity figures as SVG and PNG.
 * Each critic's peak mean Q per seed and a figure of log10 |mean Q| show which runs'
 * critics diverged, which the returns alone do not say.
 * Meta-RL runs evaluated on trials of k ≥ 2 episodes also get each episode's final return
 * (eval/return_episode_1 … _k) and the last episode's gain over the first, per seed.
 * Only finished runs (with `done.json`) count; unfinished ones are listed as pending.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { algorithm } from '../algos/registry.js';
import { gradReportPath, readGradReport } from '../diagnostics/grad-report.js';
import { episodeReturnMetric } from '../train/evaluate.js';
import { readMetricsRows } from '../train/metrics.js';
import { CRITIC_COLORS, figureSvg, formatSteps, svgToPng, type Panel } from './plots.js';
import { baselineCritic, cellRunDir, cells, BASELINE_CRITIC, type Cell, type ExperimentSpec } from './spec.js';
import { bootstrapMean, finalReturn, mean, meanCurve, normalisedAuc, relativeGain, stepsToScore, type BandCurve, type BootstrapOptions, type Curve, type Interval } from './stats.js';

export interface ReportOptions {
  /** Evaluations averaged for the final return (default 1: the last one). */
  finalK?: number;
  bootstrap?: BootstrapOptions;
}

export interface CriticSummary {
  critic: string;
  /** Finished seeds counted. */
  n: number;
  seeds: number[];
  /** Seeds of the grid whose run is not finished (not counted). */
  pending: number[];
  /** Env steps of the runs. */
  steps: number;
  finalReturn: Interval | null;
  auc: Interval | null;
  /** First step after learning starts where this critic's mean curve reaches the baseline's final mean score (null: not reached). */
  stepsToBaseline: number | null;
  /** (mean final − baseline mean final) / |baseline mean final|, with a CI; null for the baseline. */
  gainOverBaseline: Interval | null;
  curve: BandCurve | null;
  /** Per finished seed that logged Q: the largest |mean Q1| of its training batches. */
  peakQ: number[];
  /** Per entry of peakQ: whether it passed DIVERGED_FACTOR × the baseline seeds' largest peak (the baseline's own seeds: false). */
  diverged: boolean[];
  /** Each diagnosed seed's ∇ₐQ cosine averaged over its snapshots, then the mean over seeds with a CI (null: none diagnosed). */
  cosine: Interval | null;
  /** log10 |mean Q1| along the runs, mean over seeds with a CI (null: no Q logged). */
  logQCurve: BandCurve | null;
  /** The other evaluation returns the runs logged (SECONDARY_EVAL_METRICS): final value and curve over seeds. */
  secondary: { metric: string; finalReturn: Interval; curve: BandCurve }[];
  /**
   * Meta-RL trials of k episodes: each episode's final return over the seeds that logged it
   * (eval/return_episode_1 … _k), and per seed the last episode's minus the first's (k ≥ 2);
   * null when no finished run logged them (runs from before they were logged, or no trials).
   */
  episodeReturns: { finals: Interval[]; lastMinusFirst: Interval | null } | null;
}

/**
 * Evaluation returns besides eval/return_mean that meta-RL runs log, with what they are: MAML's
 * return before the adaptation step, PEARL's with z from the prior and on unseen tasks of the
 * training distribution (its eval/return_mean being out of distribution on HalfCheetahVelMedium).
 */
export const SECONDARY_EVAL_METRICS: Record<string, string> = {
  'eval/pre_adaptation_return': 'return before adaptation',
  'eval/prior_return': 'return with z from the prior',
  'eval/in_distribution_return': 'in-distribution return',
};

export interface GroupSummary {
  env: string;
  algo: string;
  baselineFinal: number | null;
  critics: CriticSummary[];
}

/** One metric of a run as a curve from its metrics.jsonl (a step logged twice keeps the last value). */
export function readMetricCurve(runDir: string, metric: string): Curve {
  const byStep = new Map<number, number>();
  for (const row of readMetricsRows(runDir)) {
    const v = row[metric];
    if (v !== undefined) byStep.set(row.step, v);
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return { steps, values: steps.map((s) => byStep.get(s)!) };
}

/** A run's per-episode evaluation curves, episode 1 first (eval/return_episode_1 … _k; none for runs that did not log them). */
export function readEpisodeCurves(runDir: string): Curve[] {
  const curves: Curve[] = [];
  for (let e = 1; ; e++) {
    const curve = readMetricCurve(runDir, episodeReturnMetric(e));
    if (curve.steps.length === 0) return curves;
    curves.push(curve);
  }
}

/** Per-episode final returns over seeds, and the last episode's gain over the first per seed (see CriticSummary.episodeReturns). */
function episodeSummary(perSeed: readonly Curve[][], finalK: number, opts: BootstrapOptions | undefined): CriticSummary['episodeReturns'] {
  const finals = perSeed.filter((curves) => curves.length > 0).map((curves) => curves.map((c) => finalReturn(c, finalK)));
  if (finals.length === 0) return null;
  const episodes = Math.max(...finals.map((f) => f.length));
  const gains = finals.filter((f) => f.length >= 2).map((f) => f[f.length - 1]! - f[0]!);
  return {
    finals: Array.from({ length: episodes }, (_, e) => bootstrapMean(finals.filter((f) => f.length > e).map((f) => f[e]!), opts)),
    lastMinusFirst: gains.length ? bootstrapMean(gains, opts) : null,
  };
}

/** The critic's mean Q over each logged training batch (the divergence signal). */
export const Q_METRIC = 'losses/qf1_values';

/**
 * A seed's critic counts as diverged when its peak |mean Q| passes this many times the
 * largest peak among the baseline's seeds of the same env and algorithm. Relative to the
 * baseline because the scale of Q differs by task (and SAC's includes entropy bonuses); 10×
 * because bounded critics of either kind stayed within 4× of each other in every run so far,
 * while diverged ones went to 1e4–1e11.
 */
export const DIVERGED_FACTOR = 10;

/** The run's `eval/return_mean` curve. */
export function readEvalCurve(runDir: string): Curve {
  return readMetricCurve(runDir, 'eval/return_mean');
}

const peakAbs = (c: Curve): number => Math.max(...c.values.map(Math.abs));
/** 212 or 1.9e11: magnitudes spanning many orders, readable side by side. */
const magnitude = (v: number): string => (v < 1e4 ? v.toFixed(0) : v.toExponential(1).replace('e+', 'e'));

/** A finished run in a few words (the runner logs it): its last evaluation return and its critic's peak |mean Q|. */
export function runOutcome(runDir: string): string {
  const evals = readEvalCurve(runDir), q = readMetricCurve(runDir, Q_METRIC), episodes = readEpisodeCurves(runDir);
  const parts: string[] = [];
  if (evals.values.length) parts.push(`eval return ${evals.values[evals.values.length - 1]!.toFixed(1)}`);
  if (episodes.length >= 2) parts.push(`episode 1 ${episodes[0]!.values.at(-1)!.toFixed(1)} → ${episodes.length} ${episodes.at(-1)!.values.at(-1)!.toFixed(1)}`);
  if (q.values.length) parts.push(`peak |mean Q| ${magnitude(peakAbs(q))}`);
  return parts.join(', ');
}

const groupKey = (c: Pick<Cell, 'env' | 'algo'>): string => `${c.env}__${c.algo}`;

export function summarise(spec: ExperimentSpec, dir: string, opts: ReportOptions = {}): GroupSummary[] {
  const k = opts.finalK ?? 1;
  const groups = new Map<string, GroupSummary>();
  const byCritic = new Map<string, { cells: Cell[]; curves: Curve[]; qCurves: Curve[]; cosines: number[]; pending: number[]; secondary: Map<string, Curve[]>; episodes: Curve[][] }>();
  for (const cell of cells(spec)) {
    const g = groupKey(cell);
    if (!groups.has(g)) groups.set(g, { env: cell.env, algo: cell.algo, baselineFinal: null, critics: [] });
    const key = `${g}__${cell.critic}`;
    if (!byCritic.has(key)) byCritic.set(key, { cells: [], curves: [], qCurves: [], cosines: [], pending: [], secondary: new Map(), episodes: [] });
    const entry = byCritic.get(key)!;
    const runDir = cellRunDir(dir, cell);
    if (existsSync(join(runDir, 'done.json'))) {
      entry.cells.push(cell);
      entry.curves.push(readEvalCurve(runDir));
      entry.episodes.push(readEpisodeCurves(runDir));
      const q = readMetricCurve(runDir, Q_METRIC);
      if (q.steps.length) entry.qCurves.push(q);
      const cos = readCosine(runDir);
      if (cos?.values.length) entry.cosines.push(mean(cos.values));
      for (const metric of Object.keys(SECONDARY_EVAL_METRICS)) {
        const curve = readMetricCurve(runDir, metric);
        if (curve.steps.length) entry.secondary.set(metric, [...(entry.secondary.get(metric) ?? []), curve]);
      }
    } else entry.pending.push(cell.seed);
  }
  for (const [g, group] of groups) {
    const data = (critic: string) => byCritic.get(`${g}__${critic}`);
    const baseName = baselineCritic(group.algo);
    const baseline = data(baseName);
    const baselineFinals = baseline?.curves.map((c) => finalReturn(c, k)) ?? [];
    group.baselineFinal = baselineFinals.length ? mean(baselineFinals) : null;
    const baselinePeak = baseline?.qCurves.length ? Math.max(...baseline.qCurves.map(peakAbs)) : null;
    for (const critic of spec.grid.critic) {
      const d = data(critic)!;
      const finals = d.curves.map((c) => finalReturn(c, k));
      const bandOpts = { ...opts.bootstrap, resamples: Math.min(2000, opts.bootstrap?.resamples ?? 2000) };
      const curve = d.curves.length ? meanCurve(d.curves, bandOpts) : null;
      const logQ = d.qCurves.map((c) => ({ steps: c.steps, values: c.values.map((v) => Math.log10(Math.max(Math.abs(v), 1e-12))) }));
      group.critics.push({
        critic,
        n: d.curves.length,
        seeds: d.cells.map((c) => c.seed),
        pending: d.pending,
        steps: Math.max(0, ...d.cells.map((c) => c.totalSteps)),
        finalReturn: finals.length ? bootstrapMean(finals, opts.bootstrap) : null,
        auc: d.curves.length ? bootstrapMean(d.curves.map(normalisedAuc), opts.bootstrap) : null,
        stepsToBaseline: curve && group.baselineFinal !== null ? stepsToScore({ steps: curve.steps, values: curve.mean }, group.baselineFinal, Math.max(...d.cells.map((c) => c.learningStarts))) : null,
        gainOverBaseline: critic !== baseName && finals.length && baselineFinals.length ? relativeGain(finals, baselineFinals, opts.bootstrap) : null,
        curve,
        peakQ: d.qCurves.map(peakAbs),
        diverged: d.qCurves.map((c) => critic !== baseName && baselinePeak !== null && peakAbs(c) > DIVERGED_FACTOR * baselinePeak),
        cosine: d.cosines.length ? bootstrapMean(d.cosines, opts.bootstrap) : null,
        logQCurve: logQ.length ? meanCurve(logQ, bandOpts) : null,
        secondary: [...d.secondary].map(([metric, curves]) => ({
          metric, finalReturn: bootstrapMean(curves.map((c) => finalReturn(c, k)), opts.bootstrap), curve: meanCurve(curves, bandOpts),
        })),
        episodeReturns: episodeSummary(d.episodes, k, opts.bootstrap),
      });
    }
  }
  return [...groups.values()];
}

/** The baseline the groups share (mlp for TD3/SAC, standard for the meta-RL policies), else "baseline". */
const baselineLabel = (groups: readonly GroupSummary[]): string => {
  const names = new Set(groups.map((g) => baselineCritic(g.algo)));
  return names.size === 1 ? [...names][0]! : names.size === 0 ? BASELINE_CRITIC : 'baseline';
};

const ci = (v: Interval | null, digits = 1): string => (v === null ? '–' : `${v.mean.toFixed(digits)} [${v.lo.toFixed(digits)}, ${v.hi.toFixed(digits)}]`);
const pct = (v: Interval | null): string => (v === null ? '–' : `${(100 * v.mean).toFixed(0)}% [${(100 * v.lo).toFixed(0)}, ${(100 * v.hi).toFixed(0)}]`);
const algoName = (a: string): string => a.toUpperCase();

/**
 * One row per env × algo and critic against the baseline: final returns, the gain, how many
 * seeds' critics diverged and the mean ∇ₐQ cosine, so the whole comparison reads at a glance.
 */
export function summaryTable(groups: readonly GroupSummary[]): string[] {
  const BASELINE = baselineLabel(groups);
  const cos = (v: Interval | null): string => (v === null ? '–' : ci(v, 2));
  const lines = ['## Summary', '',
    `Final return and ∇ₐQ cosine: mean [95% CI] over the finished seeds (n). Diverged: seeds whose peak |mean Q| passed ${DIVERGED_FACTOR}× the ${BASELINE} critic's largest.`, '',
    `| env · algo | critic | n | ${BASELINE} final | critic final | gain vs ${BASELINE} | diverged | ∇ₐQ cosine (${BASELINE} / critic) |`, '|---|---|---|---|---|---|---|---|'];
  for (const g of groups) {
    const baseName = baselineCritic(g.algo);
    const base = g.critics.find((c) => c.critic === baseName);
    for (const c of g.critics) {
      if (c.critic === baseName) continue;
      const n = `${base?.n ?? 0} / ${c.n}`;
      const diverged = c.diverged.length ? `${c.diverged.filter(Boolean).length} of ${c.diverged.length}` : '–';
      lines.push(`| ${g.env} · ${algoName(g.algo)} | ${c.critic} | ${n} | ${ci(base?.finalReturn ?? null, 0)} | ${ci(c.finalReturn, 0)} | ${pct(c.gainOverBaseline)} | ${diverged} | ${cos(base?.cosine ?? null)} / ${cos(c.cosine)} |`);
    }
  }
  return lines;
}

export function resultsMarkdown(spec: ExperimentSpec, groups: readonly GroupSummary[], opts: ReportOptions, figures: readonly string[]): string {
  const k = opts.finalK ?? 1;
  const BASELINE = baselineLabel(groups);
  const lines = [`# Experiment \`${spec.name}\``, ''];
  if (spec.description) lines.push(spec.description, '');
  lines.push(
    `Final return: mean of the last ${k === 1 ? 'evaluation' : `${k} evaluations`} of each seed. AUC: the evaluation curve's trapezoid area divided by its step span (its average return over training). `
    + `Intervals: mean over seeds [95% percentile bootstrap, ${opts.bootstrap?.resamples ?? 10_000} resamples, seeded]; with one seed they collapse to the point. `
    + `Steps to ${BASELINE} final: the first evaluation step after learning starts at which the critic's mean curve reaches the ${BASELINE} critic's final mean score (its share of the run in brackets; the untrained policy's evaluations are passed over, since on Ant it stands still and scores ~980). `
    + `Gain: (critic − ${BASELINE}) / |${BASELINE}| of the mean final returns, with a CI from resampling both critics' seeds. `
    + `Peak |Q|: per seed, the largest |mean Q1| over the training batches the run logged; a discounted return is bounded by max|r| / (1 − γ), so a peak far above the ${BASELINE} critic's marks a diverged critic.`, '');
  lines.push(...summaryTable(groups), '');
  for (const g of groups) {
    lines.push(`## ${g.env} · ${algoName(g.algo)}`, '');
    lines.push(`| critic | seeds | steps | final return | AUC | steps to ${BASELINE} final | gain vs ${BASELINE} (final) | peak \\|Q\\| per seed |`, '|---|---|---|---|---|---|---|---|');
    for (const c of g.critics) {
      const reach = c.curve === null || g.baselineFinal === null ? '–' : c.stepsToBaseline === null ? 'not reached' : `${formatSteps(c.stepsToBaseline)} (${((100 * c.stepsToBaseline) / c.steps).toFixed(0)}%)`;
      const seeds = `${c.n}${c.pending.length ? ` (+${c.pending.length} pending)` : ''}`;
      lines.push(`| ${c.critic} | ${seeds} | ${c.n ? formatSteps(c.steps) : '–'} | ${ci(c.finalReturn)} | ${ci(c.auc)} | ${reach} | ${pct(c.gainOverBaseline)} | ${c.peakQ.length ? c.peakQ.map(magnitude).join(', ') : '–'} |`);
    }
    lines.push('');
    const secondary = g.critics.flatMap((c) => c.secondary.map((m) => `| ${c.critic} | ${SECONDARY_EVAL_METRICS[m.metric]} (\`${m.metric}\`) | ${ci(m.finalReturn)} |`));
    if (secondary.length) lines.push('Other evaluation returns (final, mean [95% CI] over the same seeds):', '', '| critic | metric | final |', '|---|---|---|', ...secondary, '');
    lines.push(...episodeTable(g));
  }
  if (figures.length) lines.push('## Figures', '', ...figures.map((f) => `![${f}](${f})`), '');
  return lines.join('\n');
}

/**
 * Meta-RL groups evaluated on trials of k ≥ 2 episodes: each episode's final return and the
 * last episode's gain over the first (episode 1 explores, the later ones use what it revealed).
 * Nothing for trials of one episode, whose return is the final return above, or runs that did not log them.
 */
function episodeTable(g: GroupSummary): string[] {
  const k = Math.max(0, ...g.critics.map((c) => c.episodeReturns?.finals.length ?? 0));
  if (k < 2) return [];
  const header = Array.from({ length: k }, (_, e) => `episode ${e + 1}`);
  const rows = g.critics.map((c) => {
    const finals = Array.from({ length: k }, (_, e) => ci(c.episodeReturns?.finals[e] ?? null));
    return `| ${c.critic} | ${finals.join(' | ')} | ${ci(c.episodeReturns?.lastMinusFirst ?? null)} |`;
  });
  return [`Meta-test return per episode of the trials (${k} episodes on one test task; final, mean [95% CI] over the seeds that logged it; \`eval/return_episode_1\` … \`_${k}\`). Episode ${k} − episode 1, per seed: what adapting to the task gained.`, '',
    `| critic | ${header.join(' | ')} | episode ${k} − episode 1 |`, `|---|${'---|'.repeat(k + 1)}`, ...rows, ''];
}

/** A run's cosine curve from its gradient-quality report; null when the run was not diagnosed. */
function readCosine(runDir: string): (Curve & { lo: number[]; hi: number[] }) | null {
  const d = readGradReport(runDir);
  if (d === null) return null;
  if (!Array.isArray(d.checkpoints)) throw new Error(`${gradReportPath(runDir)}: expected { checkpoints: [{ step, cosine: { mean, lo, hi } }] }`);
  const rows = [...d.checkpoints].sort((a, b) => a.step - b.step);
  return { steps: rows.map((r) => r.step), values: rows.map((r) => r.cosine.mean), lo: rows.map((r) => r.cosine.lo), hi: rows.map((r) => r.cosine.hi) };
}

/**
 * Cosine-similarity panels from each run's `diagnostics/grad.json` (written by
 * `hyperrl diagnose grad <run>`): with one seed, the band is
 * the diagnostic's own CI over states; with several, the mean over seeds with a
 * bootstrap CI over seeds.
 */
function cosinePanels(spec: ExperimentSpec, dir: string, opts: ReportOptions): Panel[] {
  const panels = new Map<string, Panel>();
  const all = cells(spec);
  for (const env of spec.grid.env) for (const algo of spec.grid.algo) for (const critic of spec.grid.critic) {
    const runs = all.filter((c) => c.env === env && c.algo === algo && c.critic === critic)
      .map((c) => readCosine(cellRunDir(dir, c))).filter((r) => r !== null);
    if (runs.length === 0) continue;
    const band = runs.length === 1 ? { steps: runs[0]!.steps, mean: runs[0]!.values, lo: runs[0]!.lo, hi: runs[0]!.hi } : meanCurve(runs, { ...opts.bootstrap, resamples: 2000 });
    const key = `${env} · ${algoName(algo)}`;
    if (!panels.has(key)) panels.set(key, { title: key, series: [] });
    // Labelled by critic alone: the legend is shared by panels whose seed counts differ (results.md has them).
    panels.get(key)!.series.push({ label: `${critic} critic`, color: CRITIC_COLORS[critic] ?? '#555', ...band });
  }
  return [...panels.values()];
}

/** What a run's steps count: meta-iterations when every algorithm of the grid runs in the meta loop. */
const stepsLabel = (spec: ExperimentSpec): string => (spec.grid.algo.every((a) => algorithm(a).loop === 'meta') ? 'meta-iterations' : 'environment steps');

/** Write a figure as SVG and PNG; returns the files written and, if PNG failed, why. */
async function writeFigure(dir: string, name: string, svg: string): Promise<{ files: string[]; note: string | null }> {
  writeFileSync(join(dir, `${name}.svg`), svg);
  const png = await svgToPng(svg);
  if (typeof png === 'string') return { files: [`${name}.svg`], note: `${name}.png not written: ${png}` };
  writeFileSync(join(dir, `${name}.png`), png);
  return { files: [`${name}.svg`, `${name}.png`], note: null };
}

/** Write results.json, results.md and the figures into the experiment folder; returns the file names. */
export async function writeReport(spec: ExperimentSpec, dir: string, opts: ReportOptions = {}): Promise<string[]> {
  const groups = summarise(spec, dir, opts);
  const written: string[] = [];
  const notes: string[] = [];
  const columns = Math.min(4, spec.grid.env.length * spec.grid.algo.length);
  const learning: Panel[] = groups.map((g) => ({
    title: `${g.env} · ${algoName(g.algo)}`,
    series: g.critics.filter((c) => c.curve !== null).map((c) => ({ label: `${c.critic} critic`, color: CRITIC_COLORS[c.critic] ?? '#555', ...c.curve! })),
  }));
  if (learning.some((p) => p.series.length)) {
    const counts = groups.flatMap((g) => g.critics.map((c) => c.n)).filter((n) => n > 0);
    const seeds = `${Math.min(...counts) === Math.max(...counts) ? '' : 'up to '}${Math.max(...counts)} seed${Math.max(...counts) === 1 ? '' : 's'}`;
    const fig = await writeFigure(dir, 'learning-curves', figureSvg(learning, {
      title: `Learning curves: ${spec.name}`, subtitle: `evaluation return, mean over ${seeds} with 95% bootstrap CI band`, xLabel: stepsLabel(spec), yLabel: 'evaluation return', columns,
    }));
    written.push(...fig.files);
    if (fig.note) notes.push(fig.note);
  }
  const qPanels: Panel[] = groups.map((g) => ({
    title: `${g.env} · ${algoName(g.algo)}`,
    series: g.critics.filter((c) => c.logQCurve !== null).map((c) => ({ label: `${c.critic} critic`, color: CRITIC_COLORS[c.critic] ?? '#555', ...c.logQCurve! })),
  }));
  if (qPanels.some((p) => p.series.length)) {
    const fig = await writeFigure(dir, 'q-values', figureSvg(qPanels, {
      title: `Critic value estimates: ${spec.name}`, subtitle: 'log10 |mean Q1| of the training batches, mean over seeds with 95% bootstrap CI band', xLabel: 'environment steps', yLabel: 'log10 |mean Q|', columns,
    }));
    written.push(...fig.files);
    if (fig.note) notes.push(fig.note);
  }
  const secondaryPanels: Panel[] = groups.flatMap((g) => Object.entries(SECONDARY_EVAL_METRICS).map(([metric, name]) => ({
    title: `${g.env} · ${algoName(g.algo)}: ${name}`,
    series: g.critics.flatMap((c) => c.secondary.filter((m) => m.metric === metric).map((m) => ({ label: `${c.critic} critic`, color: CRITIC_COLORS[c.critic] ?? '#555', ...m.curve }))),
  }))).filter((p) => p.series.length);
  if (secondaryPanels.length) {
    const fig = await writeFigure(dir, 'other-evaluations', figureSvg(secondaryPanels, {
      title: `Other evaluation returns: ${spec.name}`, subtitle: 'mean over seeds with 95% bootstrap CI band (MAML: before adaptation; PEARL: z from the prior, in distribution)', xLabel: stepsLabel(spec), yLabel: 'evaluation return', columns: Math.min(4, secondaryPanels.length),
    }));
    written.push(...fig.files);
    if (fig.note) notes.push(fig.note);
  }
  const cosine = cosinePanels(spec, dir, opts);
  if (cosine.length) {
    const fig = await writeFigure(dir, 'cosine-similarity', figureSvg(cosine, {
      title: `Action-gradient quality: ${spec.name}`, subtitle: 'cosine similarity of ∇ₐQ to the Monte-Carlo action-gradient: mean over seeds with 95% bootstrap CI band (one seed: t interval over states)', xLabel: 'environment steps', yLabel: 'cosine similarity', columns: Math.min(4, cosine.length), markers: true,
    }));
    written.push(...fig.files);
    if (fig.note) notes.push(fig.note);
  }
  const md = resultsMarkdown(spec, groups, opts, written.filter((f) => f.endsWith('.png') || (f.endsWith('.svg') && !written.includes(f.replace(/\.svg$/, '.png')))));
  writeFileSync(join(dir, 'results.md'), notes.length ? `${md}\n${notes.map((n) => `- ${n}`).join('\n')}\n` : md);
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ spec, finalK: opts.finalK ?? 1, bootstrap: { resamples: 10_000, level: 0.95, seed: 0, ...opts.bootstrap }, groups }, null, 1) + '\n');
  return ['results.md', 'results.json', ...written];
}
