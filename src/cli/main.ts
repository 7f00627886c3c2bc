#!/usr/bin/env node
/** The `hyperrl` command. */
import { parseThreads } from '../tensor/backends/threads.js';
import { ConfigError } from '../core/config.js';
import { importModules, modulePath } from '../train/modules.js';
import { exitCodeFor } from './exit-codes.js';
import { infoLines } from './info.js';

const USAGE = `usage: hyperrl <command> [options]

commands:
  train [options]          train an agent (hyperrl train --help lists the algorithms and their options)
  eval runs/<run-id>       re-evaluate a run's checkpoint [--episodes 10]
  diagnose grad runs/<id>  gradient quality of the critic along the run (hyperrl diagnose --help)
  experiment <spec.json>   run a grid of training runs, resumably, and write results and plots (hyperrl experiment --help)
  experiment cost          wall time per 1k steps of each critic preset
  worker --queue URL       run cells of experiments enqueued with experiment <spec> --queue URL (hyperrl worker --help)
  plot <run>... [options]  metrics of several runs against steps, as SVG and PNG (hyperrl plot --help)
  export runs/<id> --format torch-safetensors|onnx   actor and critic for PyTorch, or the deterministic policy as ONNX (hyperrl export --help)
  schema                   JSON Schema of train config files (hyperrl schema > hyperrl.schema.json)
  envs                     list the registered environments
  info                     machine, CPU features and the compute backend in use

benchmarks (in a checkout of the repository; results in bench/results/):
  npm run bench:core|nn|envs|rl [-- --quick]

options of every command:
  --import FILE            import a module that registers custom envs first (repeatable; docs/custom-envs.md)
  --threads N              threads for the native kernels (default: the cores available; results
                           are identical for every count; the wasm and js backends use one)

environment:
  HYPERRL_BACKEND=native|wasm|js   force a compute backend (fails if it cannot load)
  HYPERRL_THREADS=N                as --threads (which sets it, so the runs an experiment starts inherit it)`;

/** Every `--NAME VALUE` / `--NAME=VALUE` anywhere in the arguments (options of every command): the values, and the other arguments. */
function takeOption(argv: readonly string[], name: string, missing: string): { values: string[]; rest: string[] } {
  const values: string[] = [], rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}` || a.startsWith(`--${name}=`)) {
      const value = a === `--${name}` ? argv[++i] : a.slice(name.length + 3);
      if (value === undefined || value === '') throw new ConfigError(`--${name}: ${missing}`);
      values.push(value);
    } else {
      rest.push(a);
    }
  }
  return { values, rest };
}

/** The modules of `--import FILE` (absolute paths), and `--threads N` passed on as HYPERRL_THREADS (to the runs an experiment starts too). */
function takeGlobalOptions(argv: readonly string[]): { modules: string[]; rest: string[] } {
  const imports = takeOption(argv, 'import', 'missing the module file');
  const threads = takeOption(imports.rest, 'threads', 'missing the thread count');
  for (const value of threads.values) {
    try {
      process.env.HYPERRL_THREADS = String(parseThreads(value, '--threads'));
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  return { modules: imports.values.map((path) => modulePath(path)), rest: threads.rest };
}

async function main(argv: string[]): Promise<number> {
  const { modules, rest: args } = takeGlobalOptions(argv);
  await importModules(modules);
  const [cmd, ...rest] = args;
  switch (cmd) {
    case 'train':
      return (await import('./train.js')).trainCommand(rest, modules);
    case 'eval':
      return (await import('./train.js')).evalCommand(rest);
    case 'diagnose':
      return (await import('./diagnose.js')).diagnoseCommand(rest);
    case 'experiment':
      return (await import('./experiment.js')).experimentCommand(rest, modules);
    case 'worker':
      return (await import('./worker.js')).workerCommand(rest);
    case 'plot':
      return (await import('./plot.js')).plotCommand(rest);
    case 'export':
      return (await import('./export.js')).exportCommand(rest);
    case 'schema':
      return (await import('./schema.js')).schemaCommand(rest);
    case 'envs': {
      const envs = await import('../envs/index.js');
      for (const id of envs.registeredIds()) console.log(id);
      return 0;
    }
    case 'info':
      for (const l of infoLines()) console.log(l);
      return 0;
    case 'bench':
      // The benchmarks are not in the package: they measure a checkout.
      console.error('hyperrl bench: the benchmarks run from a checkout of the repository: npm run bench:core|nn|envs|rl [-- --quick]');
      return 2;
    case undefined: case '-h': case '--help': case 'help':
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      console.error(`hyperrl: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`hyperrl: ${(e as Error).message ?? String(e)}`);
  process.exitCode = exitCodeFor(e);
});
