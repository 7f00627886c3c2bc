/** `hyperrl experiment`: run a spec's grid and write its report; `hyperrl experiment cost`: the cost table. */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ALGORITHM_NAMES } from '../algos/registry.js';
import { measureCost, writeCost } from '../experiments/cost.js';
import { writeReport } from '../experiments/report.js';
import { clearExperiment, enqueueExperiment, experimentStatus, safeUrl } from '../experiments/queue.js';
import { runExperiment } from '../experiments/runner.js';
import { parseCellFilter, parseShard, readSpec, type ExperimentSpec } from '../experiments/spec.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { ConfigError } from '../core/config.js';
import { ensureDir, nodeRunFiles } from '../train/run-files.js';
import { EXIT_STOPPED } from '../train/stop-signals.js';
import { parseFlags, parseNumber } from './flags.js';

export const EXPERIMENT_HELP = `usage: hyperrl experiment <spec.json> [options]   run an env × algo × critic × seed grid, then write its report
  --jobs N            runs at once [number of cores]
  --out DIR           experiment folder [results/hyperl/<spec name>]
  --only K=V,...      run only the cells with these grid values (env, algo, critic, seed), e.g.
                      --only critic=mlp,env=Hopper-v5; the report still covers every finished run
  --only-report       write the report from the finished runs without running anything
  --final-k K         evaluations averaged for the final return [1]
  --progress-every S  seconds between progress lines [30]
  --time-limit T      wall time the runner may take (e.g. 2h30m, 90m, 5400s): runs that the finished
                      seeds of the same cell say cannot finish in the time left are not started, and
                      running ones are stopped with a checkpoint at the limit [none]
  --shard I/N         run only slice I of N of the grid (0 ≤ I < N; cells dealt round-robin), for job
                      arrays without a queue: --shard $SLURM_ARRAY_TASK_ID/8 with --array=0-7
Rerunning the same command skips finished runs and resumes unfinished ones from their checkpoints.
Ctrl-C (or SIGTERM, SIGHUP) stops every run at its next episode end with a checkpoint (exit status 75;
a runner with no run going exits at once; a second Ctrl-C quits at once, runs included).
Runners may share one folder (e.g. overlapping --only in two terminals): a cell that another process
is running is set aside and the next free one started; when only such cells are left the runner
waits for them and skips those finished meanwhile (docs/experiments.md).

Many machines (docs/cluster.md): the folder (--out) must be a path every worker shares, e.g. NFS.
  --queue URL         put the grid's cells (those of --only) on the Redis queue at URL
                      (redis://host:6379) instead of running them; enqueuing again adds nothing and
                      retries failed cells. Workers run them: hyperrl worker --queue URL
  --status            with --queue: each cell's state, progress, outcome and worker, from any machine
  --clear             with --queue: remove the experiment and its waiting, finished and failed cells

usage: hyperrl experiment cost [options]         wall time per 1k steps for the mlp, hyper compact and hyper paper critics
  --env ID            [HalfCheetah-v5]
  --algo LIST         comma-separated algorithms [td3]
  --learning-steps N  timed learning steps per critic [2000]
  --warmup-steps N    random steps before learning [1000]
  --out DIR           where cost.md and cost.json go [results/hyperl/cost]`;

export function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = parseNumber(flag, raw);
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`--${flag}: expected a positive integer, got '${raw}'`);
  return v;
}

/** '2h30m', '90m', '45s', '1h' or plain seconds ('5400') as seconds. */
export function parseDuration(flag: string, raw: string): number {
  const text = raw.trim();
  const units = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  const seconds = /^\d+(?:\.\d+)?$/.test(text) ? Number(text)
    : units && text !== '' ? Number(units[1] ?? 0) * 3600 + Number(units[2] ?? 0) * 60 + Number(units[3] ?? 0) : NaN;
  if (!(seconds > 0)) throw new ConfigError(`--${flag}: expected a positive duration such as 2h30m, 90m or 5400s, got '${raw}'`);
  return seconds;
}

async function costCommand(args: string[]): Promise<number> {
  const { values, positional } = parseFlags(args, [], { env: 'string', algo: 'string', learningSteps: 'string', warmupSteps: 'string', out: 'string' });
  if (positional.length) throw new ConfigError(`hyperrl experiment cost: unexpected argument '${positional[0]}'`);
  const v = values as Record<string, string | undefined>;
  const algos = (v.algo ?? 'td3').split(',').map((a) => a.trim());
  for (const a of algos) if (!ALGORITHM_NAMES.includes(a)) throw new ConfigError(`--algo: expected ${ALGORITHM_NAMES.join(' or ')}, got '${a}'`);
  const opts = { env: v.env ?? 'HalfCheetah-v5', algos, learningSteps: positiveInt('learning-steps', v.learningSteps, 2000), warmupSteps: positiveInt('warmup-steps', v.warmupSteps, 1000) };
  const out = v.out ?? join('results', 'hyperl', 'cost');
  ensureDir(nodeRunFiles, out);
  const b = defaultBackend();
  const rows = await measureCost(opts);
  writeCost(out, opts, rows, `${b.name} (${b.detail})`);
  console.log(`wrote ${join(out, 'cost.md')}`);
  return 0;
}

/** `hyperrl experiment`; `imported`: modules given with `--import`, passed on to every run like the spec's own. */
export async function experimentCommand(args: string[], imported: readonly string[] = []): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) { console.log(EXPERIMENT_HELP); return 0; }
  if (args[0] === 'cost') return costCommand(args.slice(1));
  const { values, positional } = parseFlags(args, [], { jobs: 'string', out: 'string', only: 'string', onlyReport: 'boolean', finalK: 'string', progressEvery: 'string', timeLimit: 'string', shard: 'string', queue: 'string', status: 'boolean', clear: 'boolean' });
  if (positional.length !== 1) throw new ConfigError(`hyperrl experiment: expected one spec file, got ${positional.length}\n\n${EXPERIMENT_HELP}`);
  const v = values as { jobs?: string; out?: string; only?: string; onlyReport?: boolean; finalK?: string; progressEvery?: string; timeLimit?: string; shard?: string; queue?: string; status?: boolean; clear?: boolean };
  const spec = await readSpec(positional[0]!);
  spec.modules = [...new Set([...spec.modules, ...imported])];
  const dir = v.out ?? join('results', 'hyperl', spec.name);
  const finalK = positiveInt('final-k', v.finalK, 1);
  const timeLimit = v.timeLimit === undefined ? undefined : parseDuration('time-limit', v.timeLimit);
  const only = v.only === undefined ? undefined : parseCellFilter(v.only);
  if ((v.status || v.clear) && v.queue === undefined) throw new ConfigError(`--${v.status ? 'status' : 'clear'} needs --queue URL (the queue the experiment is on)`);
  if (v.queue !== undefined) return queueCommand(v.queue, spec, resolve(dir), { ...v, only });
  ensureDir(nodeRunFiles, dir);
  let code = 0;
  if (!v.onlyReport) {
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec, null, 2) + '\n');
    const r = await runExperiment(spec, { dir, jobs: positiveInt('jobs', v.jobs, availableParallelism()), progressEvery: positiveInt('progress-every', v.progressEvery, 30), timeLimit, only, shard: v.shard === undefined ? undefined : parseShard(v.shard), quitOnSecondSignal: true });
    if (r.interrupted) return EXIT_STOPPED;
    if (r.failed.length) code = 1;
  }
  const files = await writeReport(spec, dir, { finalK });
  console.log(`report: ${files.map((f) => join(dir, f)).join(', ')}`);
  return code;
}

/** `hyperrl experiment <spec> --queue URL [--status | --clear]`: enqueue the grid, show it, or remove it. */
async function queueCommand(url: string, spec: ExperimentSpec, dir: string, v: { status?: boolean; clear?: boolean; shard?: string; timeLimit?: string; jobs?: string; onlyReport?: boolean; only?: ReturnType<typeof parseCellFilter> }): Promise<number> {
  for (const [flag, set] of [['shard', v.shard], ['time-limit', v.timeLimit], ['jobs', v.jobs], ['only-report', v.onlyReport]] as const) {
    if (set !== undefined) throw new ConfigError(`--${flag} does not go with --queue: ${flag === 'jobs' ? 'each worker sets its --concurrency' : flag === 'shard' ? 'the queue deals the cells to the workers' : flag === 'only-report' ? 'write the report where the folder is: hyperrl experiment <spec> --out DIR --only-report' : 'workers run until the grid is done'}`);
  }
  if (v.status) {
    for (const line of await experimentStatus(url, spec.name)) console.log(line);
    return 0;
  }
  if (v.clear) {
    console.log(`removed experiment ${spec.name} and its ${await clearExperiment(url, spec.name)} cells from the queue at ${safeUrl(url)}`);
    return 0;
  }
  const r = await enqueueExperiment(url, spec, dir, v.only);
  ensureDir(nodeRunFiles, dir);
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec, null, 2) + '\n');
  console.log(`experiment ${spec.name} on the queue at ${safeUrl(url)}: ${r.added.length} cells added, ${r.present.length} already there, ${r.retried.length} failed ones retried; folder ${dir}`);
  console.log(`run workers (on machines that share ${dir}): hyperrl worker --queue ${safeUrl(url)}`);
  console.log(`progress: hyperrl experiment <spec> --queue ${safeUrl(url)} --status`);
  return 0;
}
