#!/usr/bin/env node
/** The `hyperrl` command. */
import { ConfigError } from '../core/config.js';
import { infoLines } from './info.js';

const USAGE = `usage: hyperrl <command> [options]

commands:
  train [options]          train an agent (hyperrl train --help lists the algorithms and their options)
  eval runs/<run-id>       re-evaluate a run's checkpoint [--episodes 10]
  diagnose grad runs/<id>  gradient quality of the critic along the run (hyperrl diagnose --help)
  experiment <spec.json>   run a grid of training runs, resumably, and write results and plots (hyperrl experiment --help)
  experiment cost          wall time per 1k steps of each critic preset
  plot <run>... [options]  metrics of several runs against steps, as SVG and PNG (hyperrl plot --help)
  envs                     list the registered environments
  info                     machine, CPU features and the compute backend in use

benchmarks (in a checkout of the repository; results in bench/results/):
  npm run bench:core|nn|envs|rl [-- --quick]

environment:
  HYPERRL_BACKEND=native|wasm|js   force a compute backend (fails if it cannot load)`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'train':
      return (await import('./train.js')).trainCommand(rest);
    case 'eval':
      return (await import('./train.js')).evalCommand(rest);
    case 'diagnose':
      return (await import('./diagnose.js')).diagnoseCommand(rest);
    case 'experiment':
      return (await import('./experiment.js')).experimentCommand(rest);
    case 'plot':
      return (await import('./plot.js')).plotCommand(rest);
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
