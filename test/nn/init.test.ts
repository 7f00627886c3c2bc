import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128Rng } from '../../src/core/random.js';
import {
  HYPE_RL_HEAD_SIGMA, constantInit, gainFor, hypeRlPrimaryWeight, kaimingNormal, kaimingUniform, normc, orthogonal,
  pytorchLinearBias, pytorchLinearWeight, uniformInit, weightIndex, xavierNormal, xavierUniform, zerosInit,
  type LayerShape, type ParamInit, type WeightLayout,
} from '../../src/nn/init.js';
import { assertNormal, assertUniform } from '../helpers/moments.js';

// 40·1000 = 40,000 draws: enough for a 5-standard-error check of the second and fourth moments.
const WIDE: LayerShape = { fanIn: 40, fanOut: 1000, layout: 'in-out' };

function draw(init: ParamInit, layer: LayerShape, seed = 1, length = layer.fanIn * layer.fanOut): Float64Array {
  const target = new Float64Array(length);
  init(target, layer, new Xoshiro128Rng(seed));
  return target;
}

describe('gainFor', () => {
  it('gives PyTorch calculate_gain values', () => {
    assert.equal(gainFor('identity'), 1);
    assert.equal(gainFor('linear'), 1);
    assert.equal(gainFor('sigmoid'), 1);
    assert.equal(gainFor('tanh'), 5 / 3);
    assert.equal(gainFor('relu'), Math.SQRT2);
    assert.equal(gainFor('leakyRelu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(gainFor('leakyRelu', 0.2), Math.sqrt(2 / 1.04));
  });
});

describe('elementwise initialisers', () => {
  it('PyTorch default Linear weight and bias are U(±1/√fan_in)', () => {
    assertUniform('weight', draw(pytorchLinearWeight, WIDE), 1 / Math.sqrt(40));
    const biasLayer: LayerShape = { fanIn: 256, fanOut: 40_000, layout: 'in-out' };
    assertUniform('bias', draw(pytorchLinearBias, biasLayer, 2, 40_000), 1 / 16);
  });

  it('Xavier uniform is U(±gain·√(6/(fan_in+fan_out))) and Xavier normal N(0, gain²·2/(fan_in+fan_out))', () => {
    assertUniform('xavierUniform', draw(xavierUniform(2), WIDE), 2 * Math.sqrt(6 / 1040));
    assertNormal('xavierNormal', draw(xavierNormal(5 / 3), WIDE), (5 / 3) * Math.sqrt(2 / 1040));
  });

  it('Kaiming uniform and normal have variance gain²/fan for fan_in and fan_out modes', () => {
    const relu = gainFor('relu'), tanh = gainFor('tanh');
    assertUniform('kaimingUniform fanIn', draw(kaimingUniform(relu), WIDE), relu * Math.sqrt(3 / 40));
    assertUniform('kaimingUniform fanOut', draw(kaimingUniform(relu, 'fanOut'), WIDE), relu * Math.sqrt(3 / 1000));
    assertNormal('kaimingNormal fanIn', draw(kaimingNormal(tanh), WIDE), tanh / Math.sqrt(40));
    assertNormal('kaimingNormal fanOut', draw(kaimingNormal(1, 'fanOut'), WIDE), 1 / Math.sqrt(1000));
  });

  it('uniformInit(a), constantInit(v) and zerosInit fill any target', () => {
    assertUniform('uniform', draw(uniformInit(0.3), WIDE, 3, 40_000), 0.3);
    assert.ok(draw(constantInit(0.25), WIDE, 1, 7).every((v) => v === 0.25));
    assert.ok(draw(zerosInit, WIDE, 1, 7).every((v) => v === 0));
  });

  it("HypeRL's primary weights are U(±1/(2√fan_in)) (TD3 rule) or U(±1/√(2·fan_in)) (SAC rule)", () => {
    assertUniform('td3', draw(hypeRlPrimaryWeight('td3'), WIDE), 1 / (2 * Math.sqrt(40)));
    assertUniform('sac', draw(hypeRlPrimaryWeight('sac'), WIDE), 1 / Math.sqrt(80));
    assert.deepEqual(HYPE_RL_HEAD_SIGMA, { firstDynamicLayer: 0.05, outputLayer: 0.008, pearlLogStd: 0.001 });
  });

  it('fills float32 targets too', () => {
    const target = new Float32Array(40_000);
    kaimingUniform(1)(target, WIDE, new Xoshiro128Rng(4));
    assertUniform('float32 kaimingUniform', target, Math.sqrt(3 / 40));
  });

  it('rejects a target whose length does not match the layer', () => {
    assert.throws(() => draw(kaimingUniform(1), WIDE, 1, 10), /target has 10 entries.*needs 40000/);
    assert.throws(() => draw(pytorchLinearBias, WIDE, 1, 40), /target has 40 entries, the layer has 1000 biases/);
    assert.throws(() => draw(normc(), { fanIn: 0, fanOut: 3, layout: 'out-in' }, 1, 0), /positive integers/);
  });
});

/** The fanOut×fanIn matrix M (M[o][i] = weight from input i to output o) read from either layout. */
function asMatrix(values: Float64Array | Float32Array, layer: LayerShape): number[][] {
  return Array.from({ length: layer.fanOut }, (_, o) => Array.from({ length: layer.fanIn }, (_, i) => values[weightIndex(layer, o, i)]!));
}

describe('orthogonal', () => {
  const SHAPES: [number, number][] = [[30, 50], [50, 30], [37, 37], [1, 20], [20, 1]];
  const LAYOUTS: WeightLayout[] = ['in-out', 'out-in'];
  for (const [fanIn, fanOut] of SHAPES) {
    for (const layout of LAYOUTS) {
      it(`is gain × semi-orthogonal for ${fanIn}→${fanOut} (${layout})`, () => {
        const layer: LayerShape = { fanIn, fanOut, layout };
        const gain = 1.7;
        for (const ArrayType of [Float64Array, Float32Array]) {
          const values = new ArrayType(fanIn * fanOut);
          orthogonal(gain)(values, layer, new Xoshiro128Rng(fanIn * 100 + fanOut));
          const m = asMatrix(values, layer);
          // Orthonormal columns when there are at least as many outputs as inputs, else orthonormal rows.
          const vectors = fanOut >= fanIn ? Array.from({ length: fanIn }, (_, i) => m.map((row) => row[i]!)) : m;
          const tolerance = ArrayType === Float64Array ? 1e-12 : 1e-5;
          for (let a = 0; a < vectors.length; a++) {
            for (let b = 0; b < vectors.length; b++) {
              let dot = 0;
              for (let k = 0; k < vectors[a]!.length; k++) dot += vectors[a]![k]! * vectors[b]![k]!;
              assert.ok(Math.abs(dot - (a === b ? gain * gain : 0)) <= tolerance * gain * gain, `(${a},${b}) = ${dot}`);
            }
          }
        }
      });
    }
  }

  it('writes the same matrix in both layouts (transposed storage)', () => {
    const a: LayerShape = { fanIn: 6, fanOut: 4, layout: 'in-out' };
    const b: LayerShape = { ...a, layout: 'out-in' };
    assert.deepEqual(asMatrix(draw(orthogonal(), a, 9), a), asMatrix(draw(orthogonal(), b, 9), b));
  });
});

describe('normc', () => {
  for (const layout of ['in-out', 'out-in'] as const) {
    it(`rescales each output unit's incoming weights to norm = gain, with N(0,1) directions (${layout})`, () => {
      const layer: LayerShape = { fanIn: 40, fanOut: 1000, layout };
      const gain = 0.5;
      const values = draw(normc(gain), layer);
      for (const row of asMatrix(values, layer)) {
        assert.ok(Math.abs(Math.hypot(...row) - gain) < 1e-12);
      }
      // A normalised Gaussian vector is uniform on the sphere: each entry has mean 0 and variance gain²/fan_in.
      let sum = 0;
      for (const v of values) sum += v;
      assert.ok(Math.abs(sum / values.length) < 5 * gain / Math.sqrt(40 * values.length));
    });
  }
});
