import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sac, SAC_SCHEMA } from '../../src/algos/sac.js';
import { Td3, TD3_SCHEMA } from '../../src/algos/td3.js';
import { defaultBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { ConfigError, defaults, resolveConfig } from '../../src/core/config.js';

const SPEC = { obsDim: 11, actionLow: [-1, -1, -1], actionHigh: [1, 1, 1] };

/** Largest |w| of the primary network's 256×256 ResBlock weights (fan-in 256), over both Qs. */
function primaryMaxAbs(agent: Td3 | Sac): number {
  const e = agent.critic.engine;
  let max = 0;
  for (const [name, p] of (agent.critic as unknown as { namedParameters(): [string, { offset: number; size: number; shape: number[] }][] }).namedParameters()) {
    if (!/primary/.test(name) || p.shape.length !== 2 || p.shape[0] !== 256 || p.shape[1] !== 256) continue;
    const d = e.backend.arena.data;
    for (let i = 0; i < p.size; i++) max = Math.max(max, Math.abs(d[p.offset + i]!));
  }
  return max;
}

test('hyperPrimaryInit picks HypeRL\'s TD3 or SAC primary-weight rule (default: the algorithm\'s own)', () => {
  const td3Bound = 1 / (2 * Math.sqrt(256)), sacBound = 1 / Math.sqrt(2 * 256);
  const make = (algo: 'td3' | 'sac', init?: string): number => {
    const e = new Engine(defaultBackend());
    const extra = { critic: 'hyper' as const, ...(init ? { hyperPrimaryInit: init } : {}) };
    const agent = algo === 'td3'
      ? new Td3(e, SPEC, { ...defaults(TD3_SCHEMA), ...extra } as never, 3)
      : new Sac(e, SPEC, { ...defaults(SAC_SCHEMA), ...extra } as never, 3);
    return primaryMaxAbs(agent);
  };
  const sacDefault = make('sac'), sacTd3 = make('sac', 'td3'), td3Default = make('td3'), td3Sac = make('td3', 'sac');
  for (const [v, bound] of [[sacDefault, sacBound], [td3Sac, sacBound], [sacTd3, td3Bound], [td3Default, td3Bound]] as const) {
    assert.ok(v > 0 && v <= bound, `max |w| ${v} within U(±${bound})`);
    assert.ok(v > 0.95 * bound, `max |w| ${v} reaches the bound ${bound} (65k uniform draws)`);
  }
  assert.throws(() => resolveConfig('sac', SAC_SCHEMA, { hyperPrimaryInit: 'kaiming' }), (err: Error) => err instanceof ConfigError && /hyperPrimaryInit/.test(err.message));
});
