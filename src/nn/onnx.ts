/**
 * ONNX export of dense policies: y = post(act_L(… act_1(norm(x)·W_1 + b_1) …)), written as
 * a hand-encoded ONNX protobuf (opset 17): optional Sub/Mul/Clip nodes for observation
 * normalisation, then one Gemm (plus Relu/Tanh/Elu/Sigmoid) per layer, then an optional
 * Mul/Add affine map (the action scale) and optional Max/Min per-dimension bounds (Clip
 * takes scalar limits only). Float32 throughout; the batch dimension is free.
 *
 * Sources of layers: an MLP's Linear layers (`mlpLayers`), and a hypernetwork's dynamic
 * network with the weights it generates for one fixed meta input (`generatedLayers`), so a
 * hypernetwork policy becomes a plain MLP graph any ONNX runtime can run.
 *
 * The protobuf field numbers are onnx.proto's (ModelProto, GraphProto, NodeProto, ...); the
 * wire format is src/core/protobuf.ts, shared with the TensorBoard writer.
 */
import { concat, lengthDelimited, stringField, varintField, type Bytes } from '../core/protobuf.js';
import type { ActName } from '../tensor/kernels.js';
import type { Tensor } from '../tensor/tensor.js';
import type { HyperNetwork } from './hypernetwork.js';
import type { MLP } from './layers.js';

/** One dense layer: y = act(x·W + b), W row-major [inputs, outputs] (hyperrl's Linear layout). */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weight: Float32Array;
  bias: Float32Array;
  act: ActName;
}

export interface DensePolicyGraph {
  layers: DenseLayer[];
  /** Observation standardisation before the first layer: clip((x − mean) / std, ±clip). */
  normalize?: { mean: ArrayLike<number>; std: ArrayLike<number>; clip: number };
  /** Affine map after the last layer: y·scale + bias (e.g. [−1, 1] → the env's action bounds). */
  affine?: { scale: ArrayLike<number>; bias: ArrayLike<number> };
  /** Per-dimension bounds last: min(max(y, low), high) (e.g. PPO's mean action clipped to the action space). */
  bounds?: { low: ArrayLike<number>; high: ArrayLike<number> };
  /** Names of the graph's input and output (default obs, action). */
  inputName?: string;
  outputName?: string;
  /** Model metadata (metadata_props), e.g. the source run. */
  metadata?: Record<string, string>;
}

export const ONNX_OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1;

/** The layers of an MLP, with copies of its current parameters. */
export function mlpLayers(mlp: MLP): DenseLayer[] {
  const read = (t: Tensor): Float32Array => Float32Array.from(mlp.engine.backend.arena.view(t.offset, t.size));
  return mlp.layers.map((l) => ({
    inputs: l.inputSize, outputs: l.outputSize, act: l.act,
    weight: read(l.W), bias: l.b === null ? new Float32Array(l.outputSize) : read(l.b),
  }));
}

/**
 * The dynamic network of a hypernetwork with the weights it generates for `meta` (one
 * meta input, e.g. a task context): each generated row [W (out×in) | c | g] is the layer
 * y = act((W·x) ⊙ (1 + g) + c), folded into one dense layer with weight diag(1 + g)·W.
 */
export function generatedLayers(hyper: HyperNetwork, meta: ArrayLike<number>): DenseLayer[] {
  const e = hyper.engine;
  return e.scope(() => e.noGrad(() => {
    const generated = hyper.generate(e.tensor(meta, [1, meta.length]));
    return hyper.dynamicLayers.map((l, i) => {
      const row = e.backend.arena.view(generated[i]!.offset, generated[i]!.size);
      const inp = l.inputSize, out = l.outputSize, wn = inp * out;
      const hasGain = row.length === wn + 2 * out;
      if (!hasGain && row.length !== wn + out) throw new Error(`generatedLayers: layer ${i} generates ${row.length} values, expected ${wn + out} or ${wn + 2 * out}`);
      const weight = new Float32Array(wn);
      for (let o = 0; o < out; o++) {
        const gain = hasGain ? 1 + row[wn + out + o]! : 1;
        for (let k = 0; k < inp; k++) weight[k * out + o] = row[o * inp + k]! * gain;
      }
      return { inputs: inp, outputs: out, act: l.act, weight, bias: Float32Array.from(row.subarray(wn, wn + out)) };
    });
  }));
}

/** The first `n` outputs of a layer (e.g. the mean half of a Gaussian head's [mean | log-std]). */
export function firstOutputs(layer: DenseLayer, n: number, act: ActName = layer.act): DenseLayer {
  if (n > layer.outputs) throw new RangeError(`firstOutputs: ${n} > the layer's ${layer.outputs} outputs`);
  const weight = new Float32Array(layer.inputs * n);
  for (let k = 0; k < layer.inputs; k++) weight.set(layer.weight.subarray(k * layer.outputs, k * layer.outputs + n), k * n);
  return { inputs: layer.inputs, outputs: n, act, weight, bias: layer.bias.slice(0, n) };
}

// ---------------------------------------------------------------- protobuf messages (onnx.proto)

/** TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian). */
function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): Bytes {
  const data = Float32Array.from(values);
  if (data.length !== dims.reduce((n, d) => n * d, 1)) throw new RangeError(`onnx: tensor ${name} has ${data.length} values for dims [${dims}]`);
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return concat([...dims.map((d) => varintField(1, d)), varintField(2, FLOAT), stringField(8, name), lengthDelimited(9, raw)]);
}

/** ValueInfoProto of a float tensor [batch, size]: name (1), type (2) → tensor_type (1) → elem_type (1), shape (2) → dim (1). */
function batchValueInfo(name: string, size: number): Bytes {
  const shape = concat([lengthDelimited(1, stringField(2, 'batch')), lengthDelimited(1, varintField(1, size))]);
  const tensorType = concat([varintField(1, FLOAT), lengthDelimited(2, shape)]);
  return concat([stringField(1, name), lengthDelimited(2, lengthDelimited(1, tensorType))]);
}

interface NodeSpec { op: string; name: string; inputs: string[]; output: string }

/** NodeProto: input (1), output (2), name (3), op_type (4). */
const node = (n: NodeSpec): Bytes => concat([...n.inputs.map((i) => stringField(1, i)), stringField(2, n.output), stringField(3, n.name), stringField(4, n.op)]);

const ACTIVATION_OPS: Record<ActName, string | null> = { identity: null, relu: 'Relu', tanh: 'Tanh', elu: 'Elu', sigmoid: 'Sigmoid' };

/** The ONNX model (ModelProto bytes) of a dense policy. */
export function encodeDensePolicyOnnx(policy: DensePolicyGraph): Uint8Array {
  const { layers } = policy;
  if (layers.length === 0) throw new RangeError('encodeDensePolicyOnnx: no layers');
  layers.forEach((l, i) => {
    if (l.weight.length !== l.inputs * l.outputs || l.bias.length !== l.outputs) throw new RangeError(`encodeDensePolicyOnnx: layer ${i} has ${l.weight.length} weights and ${l.bias.length} biases for ${l.inputs} → ${l.outputs}`);
    if (i > 0 && layers[i - 1]!.outputs !== l.inputs) throw new RangeError(`encodeDensePolicyOnnx: layer ${i} takes ${l.inputs} inputs but layer ${i - 1} gives ${layers[i - 1]!.outputs}`);
  });
  const inputName = policy.inputName ?? 'obs', outputName = policy.outputName ?? 'action';
  const inSize = layers[0]!.inputs, outSize = layers[layers.length - 1]!.outputs;
  const nodes: NodeSpec[] = [], initializers: Bytes[] = [];
  let current = inputName;
  const emit = (op: string, inputs: string[]): void => {
    const output = `t${nodes.length}`;
    nodes.push({ op, name: `${op.toLowerCase()}_${nodes.length}`, inputs: [current, ...inputs], output });
    current = output;
  };
  const constant = (name: string, dims: number[], values: ArrayLike<number>): string => {
    initializers.push(floatTensor(name, dims, values));
    return name;
  };

  if (policy.normalize !== undefined) {
    const { mean, std, clip } = policy.normalize;
    if (mean.length !== inSize || std.length !== inSize) throw new RangeError(`encodeDensePolicyOnnx: normalisation statistics have ${mean.length}/${std.length} values for ${inSize} inputs`);
    emit('Sub', [constant('obs_mean', [inSize], mean)]);
    emit('Mul', [constant('obs_inv_std', [inSize], Array.from(std, (s) => 1 / s))]);
    if (Number.isFinite(clip)) emit('Clip', [constant('obs_clip_min', [], [-clip]), constant('obs_clip_max', [], [clip])]);
  }
  layers.forEach((l, i) => {
    emit('Gemm', [constant(`layer${i}.weight`, [l.inputs, l.outputs], l.weight), constant(`layer${i}.bias`, [l.outputs], l.bias)]);
    const op = ACTIVATION_OPS[l.act];
    if (op !== null) emit(op, []);
  });
  if (policy.affine !== undefined) {
    emit('Mul', [constant('action_scale', [outSize], policy.affine.scale)]);
    emit('Add', [constant('action_bias', [outSize], policy.affine.bias)]);
  }
  if (policy.bounds !== undefined) {
    emit('Max', [constant('action_low', [outSize], policy.bounds.low)]);
    emit('Min', [constant('action_high', [outSize], policy.bounds.high)]);
  }
  // The last node writes the graph's output.
  nodes[nodes.length - 1]!.output = outputName;

  const graph = concat([
    ...nodes.map((n) => lengthDelimited(1, node(n))),
    stringField(2, 'policy'),
    ...initializers.map((t) => lengthDelimited(5, t)),
    lengthDelimited(11, batchValueInfo(inputName, inSize)),
    lengthDelimited(12, batchValueInfo(outputName, outSize)),
  ]);
  // ModelProto: ir_version (1), producer_name (2), producer_version (3), graph (7), opset_import (8: domain 1, version 2), metadata_props (14: key 1, value 2).
  return concat([
    varintField(1, IR_VERSION), stringField(2, 'hyperrl'), stringField(3, '1'),
    lengthDelimited(7, graph),
    lengthDelimited(8, concat([stringField(1, ''), varintField(2, ONNX_OPSET)])),
    ...Object.entries(policy.metadata ?? {}).map(([k, v]) => lengthDelimited(14, concat([stringField(1, k), stringField(2, v)]))),
  ]);
}

