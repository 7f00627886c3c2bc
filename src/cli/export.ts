/** `hyperrl export runs/<id> --format torch-safetensors`: the run's actor and critic for PyTorch (docs/pytorch.md). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.js';
import { isTwinCriticAgent } from '../algos/agent.js';
import { make } from '../envs/registry.js';
import { writeSafetensorsAtomic } from '../nn/safetensors.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { requireCheckpoint } from '../train/checkpoint.js';
import { ConfigError } from '../core/config.js';
import { importModules } from '../train/modules.js';
import { makeAgent, readRunConfig } from '../train/run-config.js';
import { torchActorStateDict, torchCriticStateDict } from '../train/torch-export.js';
import { parseFlags } from './flags.js';

export const EXPORT_HELP = `usage: hyperrl export runs/<run-id> --format torch-safetensors [--out DIR]

Writes the checkpoint's actor and critic with PyTorch's names and layouts
(net.0.weight [out, in], net.0.bias, ...) as DIR/actor.safetensors and DIR/critic.safetensors
[DIR: runs/<run-id>/torch]; docs/pytorch.md has the nn.Modules that load them.`;

const FORMATS = ['torch-safetensors'];

export async function exportCommand(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) { console.log(EXPORT_HELP); return args.length === 0 ? 2 : 0; }
  const { values, positional } = parseFlags(args, [], { format: 'string', out: 'string' });
  if (positional.length !== 1) throw new ConfigError(`hyperrl export: expected one run folder, got ${positional.length}\n\n${EXPORT_HELP}`);
  if (!FORMATS.includes(String(values.format))) throw new ConfigError(`hyperrl export: --format must be one of ${FORMATS.join(', ')}, got ${values.format === undefined ? 'none' : `'${String(values.format)}'`}`);
  const runDir = positional[0]!;
  const config = readRunConfig(runDir);
  // The networks of such a run expect normalised observations; the PyTorch modules of docs/pytorch.md take raw ones.
  if (config.run.normalizeObs === true) throw new ConfigError(`hyperrl export: ${runDir} normalises observations (normalizeObs); exporting such runs is not supported (the statistics are in the checkpoint's meta.json, obsNormalizer)`);
  await importModules(config.modules ?? []);
  const env = await make(config.run.env);
  const agent = makeAgent(new Engine(defaultBackend()), env, config);
  env.close();
  if (!isTwinCriticAgent(agent)) throw new ConfigError(`hyperrl export: ${runDir} is a ${config.run.algo} run; the export knows actor-critic agents with a twin critic (TD3, SAC)`);
  const ac = agent.config;
  const meta = requireCheckpoint(runDir, agent, null);
  const { actor, critic } = agent.modules();
  const info = {
    format: 'pt', source: runDir, step: String(meta.step), algo: config.run.algo, env: config.run.env, obs_dim: String(agent.spec.obsDim),
    action_dim: String(agent.spec.actionLow.length), actor_hidden: ac.actorHidden.join(','), critic: ac.critic,
    critic_hidden: ac.critic === 'mlp' ? ac.criticHidden.join(',') : `hyper-${ac.hyperPreset}`,
  };
  const out = String(values.out ?? join(runDir, 'torch'));
  mkdirSync(out, { recursive: true });
  await writeSafetensorsAtomic(join(out, 'actor.safetensors'), torchActorStateDict(actor!, agent.spec), info);
  await writeSafetensorsAtomic(join(out, 'critic.safetensors'), torchCriticStateDict(critic!), info);
  console.log(`wrote ${join(out, 'actor.safetensors')} and ${join(out, 'critic.safetensors')} (step ${meta.step}); load them as in docs/pytorch.md`);
  return 0;
}
