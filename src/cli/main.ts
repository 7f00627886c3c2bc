#!/usr/bin/env node
/** The `hyperrl` command. */
import { ConfigError } from '../core/config.js';
import { importModules, modulePath } from '../train/modules.js';
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

environment:
  HYPERRL_BACKEND=native|wasm|js   force a compute backend (fails if it cannot load)`;

/** `--import FILE` / `--import=FILE` anywhere in the arguments: the modules (absolute paths) and the other arguments. */
function takeImports(argv: readonly string[]): { modules: string[]; rest: string[] } {
  const modules: string[] = [], rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--import' || a.startsWith('--import=')) {
      const path = a === '--import' ? argv[++i] : a.slice('--import='.length);
      if (path === undefined || path === '') throw new ConfigError('--import: missing the module file');
      modules.push(modulePath(path));
    } else {
      rest.push(a);
    }
  }
  return { modules, rest };
}

async function main(argv: string[]): Promise<number> {
  const { modules, rest: args } = takeImports(argv);
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
  process.exitCode = e instanceof ConfigError ? 2 : 1;
});
