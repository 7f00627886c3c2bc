/** `hyperrl worker --queue URL`: run experiment cells from the Redis queue on this machine. */
import { runWorker } from '../experiments/queue.js';
import { ConfigError } from '../core/config.js';
import { EXIT_STOPPED } from '../train/stop-signals.js';
import { positiveInt } from './experiment.js';
import { parseFlags } from './flags.js';

export const WORKER_HELP = `usage: hyperrl worker --queue redis://host:6379 [options]   run experiment cells from a queue (docs/cluster.md)
  --queue URL         the Redis queue that hyperrl experiment <spec> --queue URL filled
  --concurrency N     cells run at once on this machine [1]
  --until-empty       exit once no cell is waiting or running anywhere (a batch job's worker)
  --stall-seconds S   a cell whose worker has not renewed its lock for S seconds (killed, machine
                      lost) goes to another worker, which resumes it from its checkpoint [30]
  --progress-every S  seconds between progress lines and progress updates on the queue [30]
Run folders go to the experiment's folder, which must be on a path every worker shares (NFS).
Ctrl-C or SIGTERM: running cells stop at their next episode end with a checkpoint and go back to
the queue; again to stop them at once.`;

export async function workerCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) { console.log(WORKER_HELP); return 0; }
  const { values, positional } = parseFlags(args, [], { queue: 'string', concurrency: 'string', untilEmpty: 'boolean', stallSeconds: 'string', progressEvery: 'string' });
  if (positional.length) throw new ConfigError(`hyperrl worker: unexpected argument '${positional[0]}'\n\n${WORKER_HELP}`);
  const v = values as { queue?: string; concurrency?: string; untilEmpty?: boolean; stallSeconds?: string; progressEvery?: string };
  if (v.queue === undefined) throw new ConfigError(`hyperrl worker: --queue URL is required (e.g. redis://host:6379)\n\n${WORKER_HELP}`);
  const r = await runWorker({
    url: v.queue,
    concurrency: positiveInt('concurrency', v.concurrency, 1),
    untilEmpty: v.untilEmpty ?? false,
    stallSeconds: positiveInt('stall-seconds', v.stallSeconds, 30),
    progressEvery: positiveInt('progress-every', v.progressEvery, 30),
  });
  console.log(`worker: ${r.completed.length} cells finished, ${r.failed.length} failed${r.interrupted ? ', interrupted' : ''}`);
  if (r.refused) return 1;
  return r.interrupted ? EXIT_STOPPED : r.failed.length ? 1 : 0;
}
