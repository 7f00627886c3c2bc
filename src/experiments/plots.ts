/**
 * Paper-style figures as SVG, written here without a plotting library: a grid of
 * panels (one per env × algo), each with the mean curve of every critic and its 95%
 * CI band, gridlines, tick labels with k/M step units, axis labels, titles and one
 * shared legend. PNG comes from rendering the SVG with resvg (`@resvg/resvg-js`).
 */

export interface Series {
  label: string;
  color: string;
  steps: number[];
  mean: number[];
  lo: number[];
  hi: number[];
}

export interface Panel {
  title: string;
  series: Series[];
}

export interface FigureOptions {
  title: string;
  /** A smaller second title line: what the curves and bands are. */
  subtitle: string;
  xLabel: string;
  yLabel: string;
  /** Panels per row (default: all in one row, at most 4). */
  columns?: number;
  /** Dots at the data points (for curves with few points, such as diagnostics at checkpoints). */
  markers?: boolean;
  /** Fixed y range (e.g. [-1, 1] for cosine similarity); else fitted to the data. */
  yRange?: [number, number];
}

/** Colours per critic (colour-blind-safe pair for MLP vs hyper). */
export const CRITIC_COLORS: Record<string, string> = { mlp: '#0072B2', hyper: '#D55E00', 'hyper-compact': '#D55E00', 'hyper-paper': '#009E73' };

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const PANEL = { width: 340, height: 250, left: 64, right: 14, top: 30, bottom: 46 };
const LEGEND_HEIGHT = 34, LEGEND_ROW = 20, LEGEND_GAP = 18, TITLE_HEIGHT = 44;
/** Narrowest figure, so that one panel still leaves room for the titles. */
const MIN_WIDTH = 560;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number): string => (Math.round(v * 100) / 100).toString();

/** A round tick spacing (1, 2, 2.5 or 5 × 10^k) giving about `target` ticks over `span`. */
export function niceStep(span: number, target = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / target, mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

export function ticks(lo: number, hi: number, target = 5): number[] {
  const step = niceStep(hi - lo, target), out: number[] = [];
  // Integer multiples of the step, rounded to 12 digits, so labels read 0.3 and not 0.30000000000000004.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)) || 0);
  return out;
}

/** Env steps with k/M units: 0, 500, 50k, 1.5M. */
export function formatSteps(v: number): string {
  const trim = (x: number): string => Number(x.toPrecision(4)).toString();
  if (Math.abs(v) >= 1e6) return `${trim(v / 1e6)}M`;
  if (Math.abs(v) >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

/** A y tick label with as many decimals as the tick spacing has (2.5 → one, so 2.5 does not read 3). */
export function formatTick(v: number, step: number): string {
  let decimals = 0;
  while (decimals < 4 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-9 * 10 ** decimals) decimals++;
  return v.toFixed(decimals);
}

function dataRange(panel: Panel): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const s of panel.series) for (let i = 0; i < s.steps.length; i++) { lo = Math.min(lo, s.lo[i]!, s.mean[i]!); hi = Math.max(hi, s.hi[i]!, s.mean[i]!); }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi - lo < 1e-9) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function panelSvg(panel: Panel, x0: number, y0: number, opts: FigureOptions): string {
  const w = PANEL.width - PANEL.left - PANEL.right, h = PANEL.height - PANEL.top - PANEL.bottom;
  const ox = x0 + PANEL.left, oy = y0 + PANEL.top;
  const xMax = Math.max(1, ...panel.series.flatMap((s) => s.steps));
  const xTicks = ticks(0, xMax, 4);
  const xHi = Math.max(xMax, xTicks[xTicks.length - 1]!);
  const [dLo, dHi] = opts.yRange ?? dataRange(panel);
  const yStep = niceStep(dHi - dLo, 5);
  const yTicks = ticks(dLo, dHi, 5);
  const sx = (v: number): number => ox + (v / xHi) * w;
  const sy = (v: number): number => oy + h - ((v - dLo) / (dHi - dLo)) * h;
  const out: string[] = [];
  out.push(`<text x="${num(ox + w / 2)}" y="${num(y0 + 18)}" text-anchor="middle" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${num(ox)}" x2="${num(ox + w)}" y1="${num(sy(t))}" y2="${num(sy(t))}" stroke="#e3e3e3" stroke-width="1"/>`);
    out.push(`<text x="${num(ox - 6)}" y="${num(sy(t) + 4)}" text-anchor="end" font-size="11">${formatTick(t, yStep)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${num(sx(t))}" x2="${num(sx(t))}" y1="${num(oy)}" y2="${num(oy + h)}" stroke="#efefef" stroke-width="1"/>`);
    out.push(`<line x1="${num(sx(t))}" x2="${num(sx(t))}" y1="${num(oy + h)}" y2="${num(oy + h + 4)}" stroke="#333" stroke-width="1"/>`);
    out.push(`<text x="${num(sx(t))}" y="${num(oy + h + 17)}" text-anchor="middle" font-size="11">${formatSteps(t)}</text>`);
  }
  for (const s of panel.series) {
    if (s.steps.length === 0) continue;
    const upper = s.steps.map((x, i) => `${num(sx(x))},${num(sy(s.hi[i]!))}`);
    const lower = s.steps.map((x, i) => `${num(sx(x))},${num(sy(s.lo[i]!))}`).reverse();
    out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.2" stroke="none"/>`);
    out.push(`<polyline points="${s.steps.map((x, i) => `${num(sx(x))},${num(sy(s.mean[i]!))}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`);
    if (opts.markers) for (let i = 0; i < s.steps.length; i++) out.push(`<circle cx="${num(sx(s.steps[i]!))}" cy="${num(sy(s.mean[i]!))}" r="3" fill="${s.color}"/>`);
  }
  out.push(`<rect x="${num(ox)}" y="${num(oy)}" width="${num(w)}" height="${num(h)}" fill="none" stroke="#333" stroke-width="1"/>`);
  out.push(`<text x="${num(ox + w / 2)}" y="${num(oy + h + 36)}" text-anchor="middle" font-size="12">${esc(opts.xLabel)}</text>`);
  const ly = oy + h / 2, lx = x0 + 14;
  out.push(`<text x="${num(lx)}" y="${num(ly)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${num(lx)} ${num(ly)})">${esc(opts.yLabel)}</text>`);
  return out.join('\n');
}

/** The whole figure as an SVG document. */
export function figureSvg(panels: readonly Panel[], opts: FigureOptions): string {
  const columns = opts.columns ?? Math.min(4, Math.max(1, panels.length));
  const rows = Math.max(1, Math.ceil(panels.length / columns));
  const width = Math.max(MIN_WIDTH, columns * PANEL.width);
  const labels = new Map<string, string>();
  for (const p of panels) for (const s of p.series) if (!labels.has(s.label)) labels.set(s.label, s.color);
  // Legend items flow into as many centred rows as the figure's width needs.
  const itemWidth = (label: string): number => 34 + label.length * 7.6;
  const legendRows: [string, string][][] = [[]];
  let rowWidth = -LEGEND_GAP;
  for (const item of labels) {
    const w = itemWidth(item[0]) + LEGEND_GAP;
    if (legendRows[legendRows.length - 1]!.length > 0 && rowWidth + w > width - 24) { legendRows.push([]); rowWidth = -LEGEND_GAP; }
    legendRows[legendRows.length - 1]!.push(item);
    rowWidth += w;
  }
  const legendHeight = LEGEND_HEIGHT + (legendRows.length - 1) * LEGEND_ROW;
  const height = TITLE_HEIGHT + legendHeight + rows * PANEL.height;
  const legend: string[] = [];
  legendRows.forEach((row, r) => {
    let lx = (width - row.reduce((a, [l]) => a + itemWidth(l) + LEGEND_GAP, -LEGEND_GAP)) / 2;
    const ly = TITLE_HEIGHT + LEGEND_HEIGHT / 2 + r * LEGEND_ROW;
    for (const [label, color] of row) {
      legend.push(`<rect x="${num(lx)}" y="${num(ly - 6)}" width="24" height="12" fill="${color}" fill-opacity="0.2"/>`);
      legend.push(`<line x1="${num(lx)}" x2="${num(lx + 24)}" y1="${num(ly)}" y2="${num(ly)}" stroke="${color}" stroke-width="2"/>`);
      legend.push(`<text x="${num(lx + 30)}" y="${num(ly + 4)}" font-size="12">${esc(label)}</text>`);
      lx += itemWidth(label) + LEGEND_GAP;
    }
  });
  const left = (width - columns * PANEL.width) / 2;
  const body = panels.map((p, i) => panelSvg(p, left + (i % columns) * PANEL.width, TITLE_HEIGHT + legendHeight + Math.floor(i / columns) * PANEL.height, opts));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" fill="#222">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
    `<text x="${width / 2}" y="38" text-anchor="middle" font-size="12" fill="#555">${esc(opts.subtitle)}</text>`,
    ...legend, ...body, '</svg>', '',
  ].join('\n');
}

/**
 * Render an SVG to PNG at `scale` × its size (2 ≈ 190 dpi at the figure's print size),
 * or return the reason it could not (resvg missing for this platform).
 */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer | string> {
  let resvg: typeof import('@resvg/resvg-js');
  try {
    resvg = await import('@resvg/resvg-js');
  } catch (e) {
    return `@resvg/resvg-js could not be loaded (${(e as Error).message.split('\n')[0]})`;
  }
  const r = new resvg.Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return r.render().asPng();
}
