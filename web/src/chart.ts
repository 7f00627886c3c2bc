/** A learning curve on a canvas: evaluation returns (line and ±std band) and episode returns (dots) against env steps. */

export interface CurvePoint { step: number; mean: number; std?: number }

const COLORS = { eval: '#2563eb', band: 'rgba(37, 99, 235, 0.15)', episode: 'rgba(234, 88, 12, 0.55)', grid: '#e5e7eb', axis: '#374151', text: '#4b5563' };

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  // Multiples of the step, rounded to its precision (0.1 + 0.2 is not 0.3).
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toFixed(digits)));
  return out;
}

const formatSteps = (v: number): string => (v >= 1000 ? `${v / 1000}k` : String(v));

export class LearningCurve {
  readonly evals: CurvePoint[] = [];
  readonly episodes: CurvePoint[] = [];
  /** What the curve is of (e.g. env · algorithm · critic), drawn above the plot. */
  private title = '';
  constructor(private readonly canvas: HTMLCanvasElement, private totalSteps: number, private readonly yLabel = 'return') {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset(totalSteps: number, title: string): void {
    this.evals.length = 0;
    this.episodes.length = 0;
    this.totalSteps = totalSteps;
    this.title = title;
    this.draw();
  }

  addEval(p: CurvePoint): void {
    this.evals.push(p);
    this.draw();
  }

  addEpisode(p: CurvePoint): void {
    this.episodes.push(p);
    this.draw();
  }

  draw(): void {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const g = canvas.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const pad = { left: 64, right: 16, top: this.title === '' ? 14 : 32, bottom: 44 };
    const w = width - pad.left - pad.right, h = height - pad.top - pad.bottom;

    const values = [...this.evals.flatMap((p) => [p.mean - (p.std ?? 0), p.mean + (p.std ?? 0)]), ...this.episodes.map((p) => p.mean)];
    let lo = values.length ? Math.min(...values) : -1, hi = values.length ? Math.max(...values) : 0;
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const margin = (hi - lo) * 0.06;
    lo -= margin;
    hi += margin;
    const x = (step: number): number => pad.left + (step / this.totalSteps) * w;
    const y = (v: number): number => pad.top + (1 - (v - lo) / (hi - lo)) * h;

    if (this.title !== '') {
      g.font = '600 13px system-ui, sans-serif';
      g.fillStyle = COLORS.axis;
      g.textAlign = 'left';
      g.textBaseline = 'top';
      g.fillText(this.title, pad.left, 6);
    }
    g.font = '12px system-ui, sans-serif';
    g.lineWidth = 1;
    g.fillStyle = COLORS.text;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const v of ticks(lo, hi, 5)) {
      g.strokeStyle = COLORS.grid;
      g.beginPath(); g.moveTo(pad.left, y(v)); g.lineTo(pad.left + w, y(v)); g.stroke();
      g.fillText(Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v * 10) / 10), pad.left - 6, y(v));
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const s of ticks(0, this.totalSteps, 5)) {
      g.strokeStyle = COLORS.grid;
      g.beginPath(); g.moveTo(x(s), pad.top); g.lineTo(x(s), pad.top + h); g.stroke();
      g.fillText(formatSteps(s), x(s), pad.top + h + 6);
    }
    g.strokeStyle = COLORS.axis;
    g.strokeRect(pad.left, pad.top, w, h);
    g.fillStyle = COLORS.axis;
    g.fillText('environment steps', pad.left + w / 2, pad.top + h + 24);
    g.save();
    g.translate(16, pad.top + h / 2);
    g.rotate(-Math.PI / 2);
    g.textBaseline = 'middle';
    g.fillText(this.yLabel, 0, 0);
    g.restore();

    g.fillStyle = COLORS.episode;
    for (const p of this.episodes) { g.beginPath(); g.arc(x(p.step), y(p.mean), 2, 0, 2 * Math.PI); g.fill(); }
    if (this.evals.length > 0) {
      g.fillStyle = COLORS.band;
      g.beginPath();
      this.evals.forEach((p, i) => (i === 0 ? g.moveTo : g.lineTo).call(g, x(p.step), y(p.mean + (p.std ?? 0))));
      [...this.evals].reverse().forEach((p) => g.lineTo(x(p.step), y(p.mean - (p.std ?? 0))));
      g.closePath();
      g.fill();
      g.strokeStyle = COLORS.eval;
      g.lineWidth = 2;
      g.beginPath();
      this.evals.forEach((p, i) => (i === 0 ? g.moveTo : g.lineTo).call(g, x(p.step), y(p.mean)));
      g.stroke();
      g.fillStyle = COLORS.eval;
      for (const p of this.evals) { g.beginPath(); g.arc(x(p.step), y(p.mean), 3, 0, 2 * Math.PI); g.fill(); }
    }
  }
}
