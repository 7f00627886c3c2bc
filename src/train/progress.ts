/**
 * Progress of a long run: a redrawn bar on a TTY, plain periodic lines otherwise
 * (CI logs), with steps/s, the latest episode and evaluation returns, and the ETA.
 * The speed is measured here, between redraws, so it shows from the first redraw on
 * (not only once the run has logged its first metrics row).
 */
import { episodeMeans, formatEpisodeReturns } from './evaluate.js';

export interface ProgressState {
  step: number;
  total: number;
  episodeReturn: number | null;
  evalReturn: number | null;
  /** Meta-RL runs: the last evaluation's trials, each episode's return in order (shown as first → last episode when k ≥ 2). */
  evalEpisodeReturns?: readonly (readonly number[])[] | null;
}

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60), sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
};

export class Progress {
  private readonly tty: boolean;
  /** Step and time of the last redraw (or of the first update): the speed is measured from there. */
  private mark: { step: number; time: number } | null = null;
  private stepsPerSecond = 0;

  constructor(
    private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stderr,
    private readonly plainEverySeconds = 10,
    private readonly quiet = false,
    private readonly clock: () => number = () => performance.now() / 1000,
  ) {
    this.tty = out.isTTY === true && process.env.CI !== 'true';
  }

  update(s: ProgressState, force = false): void {
    if (this.quiet) return;
    const now = this.clock();
    if (this.mark === null) this.mark = { step: s.step, time: now };
    const elapsed = now - this.mark.time;
    if (!force && elapsed < (this.tty ? 0.2 : this.plainEverySeconds)) return;
    // A redraw within a few ms of the mark would give a noisy speed: keep the previous one then.
    if (elapsed >= 0.05) this.stepsPerSecond = (s.step - this.mark.step) / elapsed;
    this.mark = { step: s.step, time: now };
    const frac = Math.min(1, s.step / s.total);
    const eta = this.stepsPerSecond > 0 ? (s.total - s.step) / this.stepsPerSecond : Infinity;
    const ret = s.episodeReturn === null ? '' : `  return ${s.episodeReturn.toFixed(1)}`;
    const episodes = s.evalEpisodeReturns === undefined || s.evalEpisodeReturns === null ? '' : formatEpisodeReturns(episodeMeans(s.evalEpisodeReturns));
    const ev = s.evalReturn === null ? '' : `  eval ${s.evalReturn.toFixed(1)}${episodes === '' ? '' : ` (${episodes})`}`;
    const text = `${String(s.step).padStart(String(s.total).length)}/${s.total}  ${this.stepsPerSecond.toFixed(0)} steps/s${ret}${ev}  ETA ${fmtTime(eta)}`;
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
