/**
 * `hyperrl export --format torch-safetensors`: PyTorch's names (`net.<2i>.weight`,
 * `q1.<2i>.bias`) and layouts ([out, in]) with the values of the run's own checkpoint,
 * read back from the files the command wrote.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/nn/safetensors.js';
import { checkpointFile, tempRuns } from '../helpers/train.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

type Safetensors = Awaited<ReturnType<typeof readSafetensors>>;

/** Train a tiny Pendulum run (obs 3, action 1), export it, and read the run's parameters and the exported files. */
async function exported(algo: string, critic: string): Promise<{ run: Safetensors; actor: Safetensors; critic: Safetensors }> {
  const runs = tempRuns(`export-${algo}`);
  const t = cli('train', '--algo', algo, '--critic', critic, '--total-steps', '250', '--learning-starts', '100', '--random-steps', '100',
    '--actor-hidden', '8,6', '--critic-hidden', '5', '--batch-size', '16', '--eval-episodes', '1', '--runs-dir', runs, '--quiet');
  assert.equal(t.status, 0, t.stderr);
  const dir = join(runs, readdirSync(runs)[0]!);
  const e = cli('export', dir, '--format', 'torch-safetensors');
  assert.equal(e.status, 0, e.stderr);
  return {
    run: await readSafetensors(checkpointFile(dir, 'params.safetensors')),
    actor: await readSafetensors(join(dir, 'torch', 'actor.safetensors')),
    critic: await readSafetensors(join(dir, 'torch', 'critic.safetensors')),
  };
}

const shapes = (f: Safetensors): Record<string, number[]> => Object.fromEntries(Object.entries(f.tensors).map(([n, t]) => [n, t.shape]));

it('exports a TD3 actor and MLP critic with PyTorch names, [out, in] weights and the run\'s values', async () => {
  const x = await exported('td3', 'mlp');
  assert.deepEqual(shapes(x.actor), {
    'net.0.weight': [8, 3], 'net.0.bias': [8], 'net.2.weight': [6, 8], 'net.2.bias': [6], 'net.4.weight': [1, 6], 'net.4.bias': [1],
    action_scale: [1], action_bias: [1],
  });
  assert.deepEqual(shapes(x.critic), {
    'q1.0.weight': [5, 4], 'q1.0.bias': [5], 'q1.2.weight': [1, 5], 'q1.2.bias': [1],
    'q2.0.weight': [5, 4], 'q2.0.bias': [5], 'q2.2.weight': [1, 5], 'q2.2.bias': [1],
  });
  // weight[o][i] (PyTorch) is W[i][o] (ours): check every element of one matrix of each net.
  const ours = x.run.tensors['actor.net.1.W']!, theirs = x.actor.tensors['net.2.weight']!;
  assert.deepEqual(ours.shape, [8, 6]);
  for (let i = 0; i < 8; i++) for (let o = 0; o < 6; o++) assert.equal(theirs.data[o * 8 + i], ours.data[i * 6 + o], `net.2.weight[${o}][${i}]`);
  // The run stores the twin's layer 0 as one [2, 4, 5] tensor: Q2's W is its second member.
  const qs = x.run.tensors['critic.qs.0.W']!, q2t = x.critic.tensors['q2.0.weight']!;
  assert.deepEqual(qs.shape, [2, 4, 5]);
  for (let i = 0; i < 4; i++) for (let o = 0; o < 5; o++) assert.equal(q2t.data[o * 4 + i], qs.data[20 + i * 5 + o]);
  assert.deepEqual([...x.actor.tensors['net.4.bias']!.data], [...x.run.tensors['actor.net.2.b']!.data]);
  assert.notDeepEqual([...x.actor.tensors['net.0.weight']!.data], [...x.run.tensors['actor.net.0.W']!.data], 'not a plain copy');
  assert.deepEqual([...x.actor.tensors.action_scale!.data], [2]); // Pendulum's torque range is [-2, 2]
  assert.deepEqual([...x.actor.tensors.action_bias!.data], [0]);
  assert.equal(x.actor.metadata.format, 'pt');
  assert.equal(x.actor.metadata.obs_dim, '3');
  assert.equal(x.actor.metadata.actor_hidden, '8,6');
});

it('exports a SAC actor (mean and log-std in one head) and names the hyper critic\'s linears PyTorch\'s way', async () => {
  const x = await exported('sac', 'hyper');
  assert.deepEqual(x.actor.tensors['net.4.weight']!.shape, [2, 6], 'mean and log-std of the one action');
  const names = Object.keys(x.critic.tensors);
  assert.ok(names.length > 0 && names.every((n) => /\.(weight|bias)$/.test(n)), names.join(', '));
  const runNames = Object.keys(x.run.tensors).filter((n) => n.startsWith('critic.')).map((n) => n.slice('critic.'.length).replace(/W$/, 'weight').replace(/b$/, 'bias'));
  assert.deepEqual(names.sort(), runNames.sort());
  const head = x.run.tensors['critic.q1.head0.W']!;
  assert.deepEqual(x.critic.tensors['q1.head0.weight']!.shape, [head.shape[1], head.shape[0]]);
});

it('names the missing or unknown format', () => {
  assert.match(cli('export', 'runs/x').stderr, /--format must be one of torch-safetensors, onnx, got none/);
  assert.match(cli('export', 'runs/x', '--format', 'tflite').stderr, /got 'tflite'/);
});
