#!/usr/bin/env node
/** The `hyperrl` command. */
import { ConfigError } from '../train/config.js';
import { importModules, modulePath } from '../train/modules.js';
import { exitCodeFor } from './exit-codes.js';
import { infoLines } from './info.js';

const USAGE = `usage: hyperrl <command> [options]

commands:
  train [options]          train TD3/SAC with an MLP or hyper critic (hyperrl train --help)
  eval runs/<run-id>       re-evaluate a run's checkpoint [--episodes 10]
  diagnose grad runs/<id>  gradient quality of the critic along the run (hyperrl diagnose --help)
  experiment <spec.json>   run a grid of training runs, resumably, and write results and plots (hyperrl experiment --help)
  experiment cost          wall time per 1k steps of each critic preset
  plot <run>... [options]  metrics of several runs against steps, as SVG and PNG (hyperrl plot --help)
  export runs/<id> --format torch-safetensors   actor and critic with PyTorch's names and layouts (hyperrl export --help)
  schema                   JSON Schema of train config files (hyperrl schema > hyperrl.schema.json)
  envs                     list the registered environments
  info                     machine, CPU features and the compute backend in use
  bench core [--quick]     kernel and training-step benchmark (writes bench/results/core-<date>.json)
  bench nn [--quick]       autodiff vs raw-kernel steps and critic presets (bench/results/nn-<date>.json)
  bench envs [--quick]     env steps/s vs bare mj_step, vector-env scaling (bench/results/envs-<date>.json)
  bench rl [--quick]       whole training runs: Pendulum wall time, HalfCheetah throughput (bench/results/rl-<date>.json)

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
    case 'bench': {
      const [what, ...flags] = rest;
      const unknown = flags.filter((f) => f !== '--quick');
      if (unknown.length) {
        console.error(`hyperrl bench: unknown option ${unknown.join(' ')}`);
        return 2;
      }
      const quick = flags.includes('--quick');
      if (what === 'core') await (await import('../../bench/core/run.js')).runCoreBench({ quick });
      else if (what === 'nn') await (await import('../../bench/nn/run.js')).runNnBench({ quick });
      else if (what === 'rl') await (await import('../../bench/rl/run.js')).runRlBench({ quick });
      else if (what === 'envs') {
        // The envs benchmark times worker threads itself; it runs as its own process.
        const { spawnSync } = await import('node:child_process');
        const script = new URL('../../bench/envs/run.js', import.meta.url).pathname;
        return spawnSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], { stdio: 'inherit' }).status ?? 1;
      } else {
        console.error(`hyperrl bench: unknown benchmark '${what ?? ''}'; available: core, nn, envs, rl`);
        return 2;
      }
      return 0;
    }
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
