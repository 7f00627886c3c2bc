/**
 * Progress of a long run: a redrawn bar on a TTY, plain periodic lines otherwise
 * (CI logs), with steps/s, the latest episode and evaluation returns, and the ETA.
 */
export interface ProgressState {
  step: number;
  total: number;
  stepsPerSecond: number;
  episodeReturn: number | null;
  evalReturn: number | null;
}

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60), sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
};

export class Progress {
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly plainEverySeconds = 10, private readonly quiet = false) {
    this.tty = out.isTTY === true && process.env.CI !== 'true';
  }

  update(s: ProgressState, force = false): void {
    if (this.quiet) return;
    const now = performance.now() / 1000;
    if (!force && now - this.lastPrint < (this.tty ? 0.2 : this.plainEverySeconds)) return;
    this.lastPrint = now;
    const frac = Math.min(1, s.step / s.total);
    const eta = s.stepsPerSecond > 0 ? (s.total - s.step) / s.stepsPerSecond : Infinity;
    const ret = s.episodeReturn === null ? '' : `  return ${s.episodeReturn.toFixed(1)}`;
    const ev = s.evalReturn === null ? '' : `  eval ${s.evalReturn.toFixed(1)}`;
    const text = `${String(s.step).padStart(String(s.total).length)}/${s.total}  ${s.stepsPerSecond.toFixed(0)} steps/s${ret}${ev}  ETA ${fmtTime(eta)}`;
    if (this.tty) {
      const width = 24, filled = Math.round(frac * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
    } else {
      this.out.write(`${(100 * frac).toFixed(0).padStart(3)}% ${text}\n`);
    }
  }

  done(): void {
    if (this.tty && !this.quiet) this.out.write('\n');
  }

  log(line: string): void {
    if (this.quiet) return;
    this.out.write(this.tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }
}
