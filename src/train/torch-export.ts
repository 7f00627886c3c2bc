/**
 * An agent's actor and critic as PyTorch state dicts in safetensors files, loadable
 * with `model.load_state_dict(safetensors.torch.load_file(path))` into the modules of
 * docs/pytorch.md. PyTorch's names and layouts differ from ours:
 *   ours   actor.net.<i>.W [in, out], actor.net.<i>.b [out]        (MLP layer i)
 *   torch  net.<2i>.weight [out, in], net.<2i>.bias [out]          (nn.Sequential of Linear, ReLU, Linear, …)
 * The actor also gets CleanRL's `action_scale` / `action_bias` buffers; MLP critics are
 * `q1.<2i>.…`, `q2.<2i>.…`. A hyper critic has no stock PyTorch module: its tensors keep
 * their names with each Linear's `W`/`b` as PyTorch's `weight` [out, in] / `bias`.
 */
import { GaussianActor, DeterministicActor } from '../nn/actors.js';
import { MlpCritic } from '../nn/critics.js';
import { MLP } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { SafeTensor } from '../nn/safetensors.js';
import type { AgentSpec } from '../algos/agent.js';

type StateDict = Record<string, SafeTensor>;

/** A row-major [rows, cols] matrix as [cols, rows]. */
export function transpose(data: ArrayLike<number>, rows: number, cols: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** A Linear's `W` [in, out] / `b` under PyTorch's `weight` [out, in] / `bias`; other parameters unchanged. */
function torchTensor(name: string, shape: readonly number[], data: Float32Array<ArrayBuffer>): [string, SafeTensor] {
  if (name.endsWith('.W') || name === 'W') {
    if (shape.length !== 2) throw new Error(`torch export: '${name}' is not a matrix (${shape.join('×')})`);
    return [name.replace(/W$/, 'weight'), { dtype: 'F32', shape: [shape[1]!, shape[0]!], data: transpose(data, shape[0]!, shape[1]!) }];
  }
  return [name.replace(/(^|\.)b$/, '$1bias'), { dtype: 'F32', shape: [...shape], data }];
}

/** An MLP's parameters (`<i>.W`, `<i>.b`) as `nn.Sequential(Linear, ReLU, …, Linear[, Tanh])`: layer i is at index 2i. */
function mlpStateDict(state: ReturnType<MLP['stateDict']>, prefix: string): StateDict {
  const out: StateDict = {};
  for (const [name, { shape, data }] of Object.entries(state)) {
    const [layer, param] = name.split('.') as [string, string];
    const [torchName, t] = torchTensor(`${prefix}${2 * Number(layer)}.${param}`, shape, data);
    out[torchName] = t;
  }
  return out;
}

const vector = (values: readonly number[]): SafeTensor => ({ dtype: 'F32', shape: [values.length], data: Float32Array.from(values) });

export function torchActorStateDict(actor: Module, spec: AgentSpec): StateDict {
  if (!(actor instanceof DeterministicActor || actor instanceof GaussianActor)) throw new Error(`torch export: no PyTorch mapping for a ${actor.constructor.name} actor`);
  return {
    ...mlpStateDict(actor.net.stateDict(), 'net.'),
    // CleanRL's actors keep the env's action range as buffers: a = tanh(...) * action_scale + action_bias.
    action_scale: vector(spec.actionLow.map((lo, i) => (spec.actionHigh[i]! - lo) / 2)),
    action_bias: vector(spec.actionLow.map((lo, i) => (spec.actionHigh[i]! + lo) / 2)),
  };
}

export function torchCriticStateDict(critic: Module): StateDict {
  if (critic instanceof MlpCritic) {
    return Object.assign({}, ...Array.from({ length: critic.qs.members }, (_, e) => mlpStateDict(critic.qs.memberStateDict(e), `q${e + 1}.`))) as StateDict;
  }
  return Object.fromEntries(Object.entries(critic.stateDict()).map(([n, { shape, data }]) => torchTensor(n, shape, data)));
}
