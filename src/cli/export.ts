/** `hyperrl export runs/<id> --format onnx`: the run's deterministic policy as an ONNX model (docs/browser.md). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.js';
import { make } from '../envs/registry.js';
import { defaultBackend } from '../tensor/backends/index.js';
import { Engine } from '../tensor/engine.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { ConfigError } from '../train/config.js';
import { deterministicPolicyOnnx } from '../train/onnx-export.js';
import { makeAgent, readRunConfig } from '../train/run.js';
import { parseFlags } from './flags.js';

export const EXPORT_HELP = `usage: hyperrl export runs/<run-id> --format onnx [--out FILE]

--format onnx   the checkpoint's deterministic policy (TD3's actor, SAC's tanh of the mean,
                scaled to the action bounds; the observation normalisation of a run with
                normalizeObs included) as FILE [runs/<run-id>/policy.onnx]: input "obs"
                [batch, obs_dim], output "action" [batch, action_dim], float32, opset 17.`;

const FORMATS = ['onnx'];

export async function exportCommand(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) { console.log(EXPORT_HELP); return args.length === 0 ? 2 : 0; }
  const { values, positional } = parseFlags(args, [], { format: 'string', out: 'string' });
  if (positional.length !== 1) throw new ConfigError(`hyperrl export: expected one run folder, got ${positional.length}\n\n${EXPORT_HELP}`);
  if (!FORMATS.includes(String(values.format))) throw new ConfigError(`hyperrl export: --format must be one of ${FORMATS.join(', ')}, got ${values.format === undefined ? 'none' : `'${String(values.format)}'`}`);
  const runDir = positional[0]!;
  const config = readRunConfig(runDir);
  const env = await make(config.run.env);
  const agent = makeAgent(new Engine(defaultBackend()), env, config);
  env.close();
  const meta = await loadCheckpoint(runDir, agent, null);
  const out = String(values.out ?? join(runDir, 'policy.onnx'));
  const metadata = { source: runDir, step: String(meta.step), algo: config.run.algo, env: config.run.env, critic: config.agent.critic };
  writeFileSync(out, deterministicPolicyOnnx(agent, meta.obsNormalizer, metadata));
  console.log(`wrote ${out} (step ${meta.step}): input obs [batch, ${agent.spec.obsDim}], output action [batch, ${agent.spec.actionLow.length}]`);
  return 0;
}
