/**
 * Every preset resolves to the values its documentation (README "Presets", the registry entries'
 * comments, spec A.3/A.4) says: a user asking for HypeRL's setting gets HypeRL's critic and settings.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTrainConfig } from '../../src/train/run-config.js';

const DOCUMENTED: Record<string, Record<string, Record<string, unknown>>> = {
  'td3 cleanrl': { run: { learningStarts: 25_000, randomSteps: 25_000 }, agent: { batchSize: 256, actorLr: 3e-4, criticLr: 3e-4, hyperCriticLr: 5e-5, hyperPreset: 'compact', policyNoise: 0.2, noiseClip: 0.5, explorationNoise: 0.1, policyDelay: 2, gamma: 0.99, tau: 0.005 } },
  'td3 hyperrl-paper': { run: { learningStarts: 1_000, randomSteps: 1_000, evalEvery: 5_000 }, agent: { batchSize: 100, actorLr: 3e-4, criticLr: 3e-4, hyperCriticLr: 5e-5, hyperPreset: 'paper', policyDelay: 2, gamma: 0.99, tau: 0.005 } },
  'sac cleanrl': { run: { learningStarts: 5_000, randomSteps: 5_000 }, agent: { batchSize: 256, policyLr: 3e-4, qLr: 1e-3, hyperQLr: 5e-5, autotune: true, alphaInit: 1.0, hyperPreset: 'compact', policyFrequency: 2, targetNetworkFrequency: 1 } },
  'sac hyperrl-paper': { run: { learningStarts: 256, randomSteps: 1_000, evalEvery: 5_000 }, agent: { batchSize: 256, policyLr: 3e-4, qLr: 3e-4, hyperQLr: 5e-5, autotune: false, alpha: 0.2, hyperPreset: 'paper', policyFrequency: 1, targetNetworkFrequency: 1 } },
};

for (const [key, want] of Object.entries(DOCUMENTED)) {
  it(`${key}: resolves to its documented values`, () => {
    const [algo, preset] = key.split(' ');
    const resolved = resolveTrainConfig({ algo, preset, critic: 'hyper' }) as unknown as Record<string, Record<string, unknown>>;
    for (const part of ['run', 'agent'] as const) {
      for (const [k, v] of Object.entries(want[part]!)) assert.equal(resolved[part]![k], v, `${key}: ${part}.${k}`);
    }
  });
}

it('an explicit hyperPreset still overrides the preset\'s critic', () => {
  assert.equal((resolveTrainConfig({ algo: 'td3', preset: 'hyperrl-paper', critic: 'hyper', hyperPreset: 'compact' }).agent as { hyperPreset: string }).hyperPreset, 'compact');
});
