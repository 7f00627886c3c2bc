import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128Rng } from '../../src/core/random.js';

// Reference outputs from an independent C build of xoshiro128** seeded with SplitMix64.
const FROM_STATE_1234 = [11520, 0, 5927040, 70819200, 2031721883, 1637235492];
const SEED_42_WORDS = [803958421, 3184996902, 2993090819, 686809907];
const FROM_SEED_42 = [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222];

describe('Xoshiro128Rng', () => {
  it('matches the reference xoshiro128** outputs from a known state', () => {
    const rng = Xoshiro128Rng.fromState({ words: [1, 2, 3, 4], spareNormal: null });
    assert.deepEqual(FROM_STATE_1234.map(() => rng.nextUint32()), FROM_STATE_1234);
  });

  it('seeds its state with SplitMix64 as the reference does', () => {
    const rng = new Xoshiro128Rng(42);
    assert.deepEqual(rng.getState().words, SEED_42_WORDS);
    assert.deepEqual(FROM_SEED_42.map(() => rng.nextUint32()), FROM_SEED_42);
  });

  it('gives the same stream for the same seed and different streams for nearby seeds', () => {
    const draw = (seed: number): number[] => {
      const rng = new Xoshiro128Rng(seed);
      return Array.from({ length: 20 }, (_, i) => (i % 2 ? rng.normal() : rng.uniform()));
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
    assert.notDeepEqual(draw(0), draw(-1));
  });

  it('resumes bit-identically from a JSON round trip of its state, including a cached normal', () => {
    const rng = new Xoshiro128Rng(123);
    for (let i = 0; i < 11; i++) rng.uniform();
    rng.normal(); // leaves the second Box–Muller value cached
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    assert.notEqual(saved.spareNormal, null);
    const expected = Array.from({ length: 50 }, (_, i) => (i % 3 ? rng.normal() : rng.uniform()));
    const resumed = Xoshiro128Rng.fromState(saved);
    assert.deepEqual(Array.from({ length: 50 }, (_, i) => (i % 3 ? resumed.normal() : resumed.uniform())), expected);
  });

  it('rejects invalid states and seeds', () => {
    assert.throws(() => Xoshiro128Rng.fromState({ words: [0, 0, 0, 0], spareNormal: null }), /all-zero/);
    assert.throws(() => Xoshiro128Rng.fromState({ words: [1, 2, 3, 2 ** 32], spareNormal: null }), /32-bit/);
    assert.throws(() => Xoshiro128Rng.fromState({ words: [1, 2, 3], spareNormal: null } as never), /four/);
    assert.throws(() => Xoshiro128Rng.fromState({ words: [1, 2, 3, 4], spareNormal: NaN }), /spareNormal/);
    assert.throws(() => new Xoshiro128Rng(0.5), /safe integer/);
  });

  // Sample moments against their exact values, allowing 5 standard errors of each estimator.
  const N = 200_000;

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new Xoshiro128Rng(1);
    let sum = 0, sumSq = 0, min = 1, max = 0;
    for (let i = 0; i < N; i++) {
      const u = rng.uniform();
      sum += u; sumSq += u * u;
      min = Math.min(min, u); max = Math.max(max, u);
    }
    const mean = sum / N, variance = sumSq / N - mean * mean;
    assert.ok(min >= 0 && max < 1);
    // SE(mean) = sqrt(1/12 / N); SE(variance) = sqrt((μ4 − σ⁴)/N) with μ4 = 1/80, σ⁴ = 1/144.
    assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / N), `uniform mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 5 * Math.sqrt((1 / 80 - 1 / 144) / N), `uniform variance ${variance}`);
  });

  it('draws normals with mean 0, variance 1 and zero skew, from both Box–Muller outputs', () => {
    const rng = new Xoshiro128Rng(2);
    let sum = 0, sumSq = 0, sumCube = 0, evenSumSq = 0;
    for (let i = 0; i < N; i++) {
      const z = rng.normal();
      sum += z; sumSq += z * z; sumCube += z * z * z;
      if (i % 2 === 1) evenSumSq += z * z; // the cached (sine) half alone
    }
    const mean = sum / N, variance = sumSq / N - mean * mean;
    // SE(mean) = 1/sqrt(N); SE(variance) = sqrt(2/N); SE(third moment) = sqrt(15/N).
    assert.ok(Math.abs(mean) < 5 / Math.sqrt(N), `normal mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / N), `normal variance ${variance}`);
    assert.ok(Math.abs(sumCube / N) < 5 * Math.sqrt(15 / N), `normal third moment ${sumCube / N}`);
    assert.ok(Math.abs(evenSumSq / (N / 2) - 1) < 5 * Math.sqrt(2 / (N / 2)), 'cached normals have variance 1');
  });
});
