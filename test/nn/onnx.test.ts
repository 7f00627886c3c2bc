/**
 * ONNX encoding of dense policies, run by onnxruntime-node: a hypernetwork's dynamic network
 * with the weights it generates for one context (gain folded in) gives the hypernetwork's own
 * outputs; the graph's structure (nodes, inputs, metadata) is what the file says it is.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Xoshiro128Rng } from '../../src/core/random.js';
import { hyperfanInHeadInit } from '../../src/nn/hyper-init.js';
import { HyperNetwork } from '../../src/nn/hypernetwork.js';
import { MLP } from '../../src/nn/layers.js';
import { encodeDensePolicyOnnx, generatedLayers } from '../../src/nn/onnx.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';

const CONTEXT_DIM = 4, STATE_DIM = 5, ACTION_DIM = 3, SAMPLES = 1000;

function hypernetwork(): HyperNetwork {
  const engine = new Engine(createBackend('js'));
  const rng = new Xoshiro128Rng(5);
  const primary = new MLP(engine, [CONTEXT_DIM, 32, 16], rng, { outputAct: 'relu' });
  const hyper = new HyperNetwork(engine, primary, [
    { inputSize: STATE_DIM, outputSize: 16, act: 'tanh', headInit: hyperfanInHeadInit(1) },
    { inputSize: 16, outputSize: 16, act: 'relu', headInit: hyperfanInHeadInit(1) },
    { inputSize: 16, outputSize: ACTION_DIM, act: 'identity', headInit: hyperfanInHeadInit(1) },
  ], rng);
  // Random parameters everywhere, so generated weights, biases and gains are all far from their init.
  const state = hyper.stateDict();
  for (const p of Object.values(state)) for (let i = 0; i < p.data.length; i++) p.data[i] = 0.3 * rng.normal();
  hyper.loadStateDict(state);
  return hyper;
}

async function runOnnx(bytes: Uint8Array, inputs: Float32Array, dim: number): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  return (await session.run({ obs: new ort.Tensor('float32', inputs, [inputs.length / dim, dim]) })).action!;
}

describe('ONNX export of dense policies', () => {
  it('a hypernetwork\'s generated network for one context matches HyperNetwork.forward to 1e-5', async () => {
    const hyper = hypernetwork();
    const e = hyper.engine;
    const rng = new Xoshiro128Rng(9);
    const states = Float32Array.from({ length: SAMPLES * STATE_DIM }, () => 2 * rng.normal());
    const outputs: Float32Array[] = [];
    for (const context of [[0.5, -1, 2, 0.1], [-1.5, 0.3, 0, 1]]) {
      const expected = e.scope(() => e.noGrad(() => {
        const meta = e.tensor(Array.from({ length: SAMPLES }, () => context).flat(), [SAMPLES, CONTEXT_DIM]);
        const y = hyper.forward(meta, e.tensor(states, [SAMPLES, STATE_DIM]));
        return Float32Array.from(e.backend.arena.view(y.offset, y.size));
      }));
      const exported = await runOnnx(encodeDensePolicyOnnx({ layers: generatedLayers(hyper, context) }), states, STATE_DIM);
      assert.deepEqual(exported.dims, [SAMPLES, ACTION_DIM]);
      const got = exported.data as Float32Array;
      const maxDiff = expected.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0);
      assert.ok(maxDiff <= 1e-5, `max |HyperNetwork − onnxruntime| = ${maxDiff}`);
      outputs.push(got);
    }
    // The context matters: the two exports are different networks.
    const contextEffect = outputs[0]!.reduce((m, v, i) => Math.max(m, Math.abs(v - outputs[1]![i]!)), 0);
    assert.ok(contextEffect > 1e-2, `the two contexts give the same outputs (max difference ${contextEffect})`);
  });

  it('applies normalisation with its clip, then the affine output map', async () => {
    const layer = { inputs: 2, outputs: 2, act: 'identity' as const, weight: Float32Array.from([1, 0, 0, 1]), bias: new Float32Array(2) };
    const bytes = encodeDensePolicyOnnx({
      layers: [layer], normalize: { mean: [1, -2], std: [2, 0.5], clip: 3 }, affine: { scale: [10, 1], bias: [0, 5] }, metadata: { env: 'test' },
    });
    const out = await runOnnx(bytes, Float32Array.from([3, -2, 100, -100]), 2);
    // (3−1)/2 = 1 → 10; (−2+2)/0.5 = 0 → 5; (100−1)/2 clipped to 3 → 30; (−100+2)/0.5 clipped to −3 → 2.
    assert.deepEqual(Array.from(out.data as Float32Array), [10, 5, 30, 2]);
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual([session.inputNames, session.outputNames], [['obs'], ['action']]);
  });

  it('clips to per-dimension bounds last', async () => {
    const layer = { inputs: 2, outputs: 2, act: 'identity' as const, weight: Float32Array.from([1, 0, 0, 1]), bias: new Float32Array(2) };
    const bytes = encodeDensePolicyOnnx({ layers: [layer], bounds: { low: [-1, -3], high: [1, 0.5] } });
    const out = await runOnnx(bytes, Float32Array.from([0.25, -2, 5, 2, -5, -7]), 2);
    assert.deepEqual(Array.from(out.data as Float32Array), [0.25, -2, 1, 0.5, -1, -3]);
  });

  it('rejects layers that do not chain', () => {
    const layer = (inputs: number, outputs: number) => ({ inputs, outputs, act: 'relu' as const, weight: new Float32Array(inputs * outputs), bias: new Float32Array(outputs) });
    assert.throws(() => encodeDensePolicyOnnx({ layers: [layer(3, 4), layer(5, 2)] }), /layer 1 takes 5 inputs but layer 0 gives 4/);
  });
});
