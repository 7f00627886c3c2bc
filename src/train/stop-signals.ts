/**
 * SIGINT, SIGTERM and SIGHUP all ask a run to stop with a checkpoint: the first one sets
 * `requested` (the loop checkpoints at its next episode end and exits with EXIT_STOPPED);
 * a second one quits at once with 128 + the signal's number, as a shell reports a process
 * killed by it. Cluster schedulers send SIGTERM some time before SIGKILL, and a closed
 * terminal sends SIGHUP: both used to end the run without a checkpoint.
 *
 * Handlers run only when the event loop gets a turn, and a training loop is synchronous: it
 * calls `pollDue()` every step and, when it says so (every 100 ms), awaits `poll()`, so a
 * signal is seen within 0.1 s — and a second one can quit mid-episode.
 */
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Exit status of a run stopped early with a checkpoint to resume from (EX_TEMPFAIL: try again later). */
export const EXIT_STOPPED = 75;

/** The status of a process that quits because of `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). */
export const signalExitCode = (signal: StopSignal): number => 128 + constants.signals[signal];

export class StopSignals {
  /** The first stop signal received, or null. */
  requested: StopSignal | null = null;
  private readonly handlers = new Map<StopSignal, () => void>();
  private lastPoll = performance.now();

  /** `say` tells the user what happens next (a progress line). */
  constructor(say: (line: string) => void, what = 'finishing the episode to write a checkpoint') {
    for (const signal of STOP_SIGNALS) {
      const handler = (): void => {
        if (this.requested !== null) process.exit(signalExitCode(signal));
        this.requested = signal;
        say(`${signal}: ${what} (a second signal quits at once)`);
      };
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** Whether the loop should give pending signals a turn now (cheap: one clock read). */
  pollDue(): boolean {
    return performance.now() - this.lastPoll >= 100;
  }

  /** Give pending signal handlers (and a parent's disconnect) a turn. */
  async poll(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastPoll = performance.now();
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }
}
