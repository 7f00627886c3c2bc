/**
 * `hyperrl export runs/<id> --format torch-safetensors|onnx`: the run's networks for other
 * runtimes — actor and critic for PyTorch (docs/pytorch.md), or the deterministic policy as an
 * ONNX model (docs/browser.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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
import { deterministicPolicyOnnx } from '../train/onnx-export.js';
import { evaluationEnvOptions, makeAgent, readRunConfig } from '../train/run-config.js';
import { torchActorStateDict, torchCriticStateDict } from '../train/torch-export.js';
import { parseFlags } from './flags.js';

export const EXPORT_HELP = `usage: hyperrl export runs/<run-id> --format torch-safetensors|onnx [--out PATH]

--format torch-safetensors   the checkpoint's actor and critic with PyTorch's names and layouts
                             (net.0.weight [out, in], net.0.bias, ...) as PATH/actor.safetensors and
                             PATH/critic.safetensors [PATH: runs/<run-id>/torch]; docs/pytorch.md has
                             the nn.Modules that load them.
--format onnx                the checkpoint's deterministic policy (TD3's actor, SAC's tanh of the mean,
                             scaled to the action bounds; PPO's mean, clipped to them; the observation
                             normalisation of a run that normalises observations included) as PATH [runs/<run-id>/policy.onnx]: input "obs"
                             [batch, obs_dim], output "action" [batch, action_dim], float32, opset 17.
Meta-RL runs (varibad, rl2, rnn-hn, multi-hn) export in neither format: their policies read a
task inference state or a hypernetwork's generated weights; their networks are in the checkpoint.`;

const FORMATS = ['torch-safetensors', 'onnx'];

export async function exportCommand(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) { console.log(EXPORT_HELP); return args.length === 0 ? 2 : 0; }
  const { values, positional } = parseFlags(args, [], { format: 'string', out: 'string' });
  if (positional.length !== 1) throw new ConfigError(`hyperrl export: expected one run folder, got ${positional.length}\n\n${EXPORT_HELP}`);
  const format = String(values.format);
  if (!FORMATS.includes(format)) throw new ConfigError(`hyperrl export: --format must be one of ${FORMATS.join(', ')}, got ${values.format === undefined ? 'none' : `'${format}'`}`);
  const runDir = positional[0]!;
  const config = readRunConfig(runDir);
  // The networks of such a run expect normalised observations; the PyTorch modules of docs/pytorch.md take raw ones (ONNX folds the statistics in).
  if (format === 'torch-safetensors' && config.run.normalizeObs === true) {
    throw new ConfigError(`hyperrl export: ${runDir} normalises observations (normalizeObs); exporting such runs for PyTorch is not supported (the statistics are in the checkpoint's meta.json, obsNormalizer; --format onnx includes them)`);
  }
  await importModules(config.modules ?? []);
  // With the run's env options (meta-RL trials: the boundary flag, Multi+HN's task vector), so the agent matches its checkpoint.
  const env = await make(config.run.env, evaluationEnvOptions(config));
  const agent = makeAgent(new Engine(defaultBackend()), env, config);
  env.close();
  const meta = requireCheckpoint(runDir, agent, null);
  const info = { source: runDir, step: String(meta.step), algo: config.run.algo, env: config.run.env };

  if (format === 'onnx') {
    const out = String(values.out ?? join(runDir, 'policy.onnx'));
    const onnx = deterministicPolicyOnnx(agent, meta.obsNormalizer, isTwinCriticAgent(agent) ? { ...info, critic: agent.config.critic } : info);
    writeFileSync(out, onnx.bytes);
    console.log(`wrote ${out} (step ${meta.step}): input obs [batch, ${onnx.obsDim}], output action [batch, ${onnx.actionDim}]`);
    return 0;
  }
  if (!isTwinCriticAgent(agent)) throw new ConfigError(`hyperrl export: ${runDir} is a ${config.run.algo} run; --format torch-safetensors knows actor-critic agents with a twin critic (TD3, SAC)`);
  const ac = agent.config;
  const { actor, critic } = agent.modules();
  const torchInfo = {
    format: 'pt', ...info, critic: ac.critic, obs_dim: String(agent.spec.obsDim), action_dim: String(agent.spec.actionLow.length), actor_hidden: ac.actorHidden.join(','),
    critic_hidden: ac.critic === 'mlp' ? ac.criticHidden.join(',') : `hyper-${ac.hyperPreset}`,
  };
  const out = String(values.out ?? join(runDir, 'torch'));
  mkdirSync(out, { recursive: true });
  await writeSafetensorsAtomic(join(out, 'actor.safetensors'), torchActorStateDict(actor!, agent.spec), torchInfo);
  await writeSafetensorsAtomic(join(out, 'critic.safetensors'), torchCriticStateDict(critic!), torchInfo);
  console.log(`wrote ${join(out, 'actor.safetensors')} and ${join(out, 'critic.safetensors')} (step ${meta.step}); load them as in docs/pytorch.md`);
  return 0;
}
