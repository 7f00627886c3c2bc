/** `hyperrl plot <run>...`: metrics of several runs against environment steps, as SVG and PNG. */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { figureSvg, svgToPng, type Series } from '../experiments/plots.js';
import { readMetricCurve } from '../experiments/report.js';
import { ConfigError } from '../core/config.js';
import { readMetricsRows } from '../train/metrics.js';
import { parseFlags } from './flags.js';

export const PLOT_HELP = `usage: hyperrl plot <run folder>... [options]

Draws metrics of training runs against environment steps, one panel per metric and one
line per run, into an SVG and a PNG next to it (e.g. comparing variants of one cell).

options:
  --metric LIST   comma-separated metric names, one panel each [eval/return_mean]
                  (any key of the runs' metrics.jsonl: losses/qf1_values, charts/episodic_return, ...)
  --labels LIST   comma-separated legend labels, one per run [the run folders' names]
  --log LIST      metrics to draw as log10 |value| (values spanning many orders, such as a diverging Q)
  --title TEXT    figure title [the metric names]
  --out FILE      the SVG to write; the PNG gets the same name [plot.svg]`;

/** Okabe–Ito colours (colour-blind safe), cycled. */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

/** Every metric name a run logged (for the error message of an unknown one). */
function metricNames(runDir: string): string[] {
  const names = new Set<string>();
  for (const row of readMetricsRows(runDir)) for (const k of Object.keys(row)) if (k !== 'step') names.add(k);
  return [...names].sort();
}

export async function plotCommand(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) { console.log(PLOT_HELP); return args.length === 0 ? 2 : 0; }
  const { values, positional: runs } = parseFlags(args, [], { metric: 'string', labels: 'string', log: 'string', title: 'string', out: 'string' });
  if (runs.length === 0) throw new ConfigError('plot: give at least one run folder (hyperrl plot --help)');
  for (const r of runs) if (!existsSync(join(r, 'metrics.jsonl'))) throw new ConfigError(`plot: '${r}' is not a run folder (no metrics.jsonl)`);
  const metrics = String(values.metric ?? 'eval/return_mean').split(',').map((m) => m.trim()).filter((m) => m !== '');
  const labels = values.labels === undefined ? runs.map((r) => basename(r.replace(/\/+$/, ''))) : String(values.labels).split(',');
  if (labels.length !== runs.length) throw new ConfigError(`plot: --labels has ${labels.length} labels for ${runs.length} runs`);
  const logged = new Set(String(values.log ?? '').split(',').map((m) => m.trim()).filter((m) => m !== ''));
  for (const m of logged) if (!metrics.includes(m)) throw new ConfigError(`plot: --log names '${m}', which is not among --metric (${metrics.join(', ')})`);
  const panels = metrics.map((metric) => {
    const log = logged.has(metric);
    return {
    title: log ? `log10 |${metric}|` : metric,
    series: runs.map((run, i): Series => {
      const curve = readMetricCurve(run, metric);
      if (curve.steps.length === 0) throw new ConfigError(`plot: run '${run}' has no metric '${metric}'; it has: ${metricNames(run).join(', ')}`);
      const ys = log ? curve.values.map((v) => Math.log10(Math.max(Math.abs(v), 1e-12))) : curve.values;
      return { label: labels[i]!, color: COLORS[i % COLORS.length]!, steps: curve.steps, mean: ys, lo: ys, hi: ys };
    }),
    };
  });
  const svg = figureSvg(panels, {
    title: String(values.title ?? metrics.join(', ')),
    subtitle: 'one line per run',
    xLabel: 'environment steps',
    yLabel: metrics.length === 1 ? panels[0]!.title : 'value',
    columns: Math.min(metrics.length, 2),
  });
  const out = String(values.out ?? 'plot.svg');
  const svgPath = out.endsWith('.svg') ? out : `${out}.svg`;
  writeFileSync(svgPath, svg);
  const pngPath = svgPath.replace(/\.svg$/, '.png');
  const png = await svgToPng(svg);
  let failure = typeof png === 'string' ? `${png}; install it (npm install @resvg/resvg-js) for PNGs` : null;
  if (typeof png !== 'string') {
    try {
      writeFileSync(pngPath, png);
    } catch (e) {
      failure = (e as Error).message;
    }
  }
  if (failure !== null) {
    console.error(`hyperrl plot: wrote ${svgPath}, but not ${pngPath}: ${failure}`);
    return 1;
  }
  console.log(`wrote ${svgPath} and ${pngPath}`);
  return 0;
}
