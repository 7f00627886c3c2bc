/** A silent fallback to a slower backend must not hide a broken build: on this machine all three must load. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { probeBackends, defaultBackend } from '../../src/tensor/backends/index.js';

it('loads the native, wasm and js backends on this machine', () => {
  const probe = probeBackends();
  for (const [name, status] of Object.entries(probe)) assert.equal(status, true, `${name} backend failed to load: ${String(status)}`);
});

it('picks native by default and honours HYPERRL_BACKEND', () => {
  const saved = process.env.HYPERRL_BACKEND;
  try {
    delete process.env.HYPERRL_BACKEND;
    assert.equal(defaultBackend().name, 'native');
    process.env.HYPERRL_BACKEND = 'wasm';
    assert.equal(defaultBackend().name, 'wasm');
    process.env.HYPERRL_BACKEND = 'cuda';
    assert.throws(() => defaultBackend(), /HYPERRL_BACKEND='cuda' is not a backend/);
  } finally {
    if (saved === undefined) delete process.env.HYPERRL_BACKEND;
    else process.env.HYPERRL_BACKEND = saved;
  }
});
