import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QDivergenceWatch } from '../../src/train/divergence.js';

test('QDivergenceWatch warns once, only past factor · max|r| / (1 − γ)', () => {
  const w = new QDivergenceWatch(0.99, 10);
  assert.equal(w.check(1e9, 1), null, 'no rewards seen yet: no bound to compare against');
  w.observe(-3);
  w.observe(2);
  assert.ok(Math.abs(w.bound() - 3000) < 1e-9, `bound ${w.bound()}`);
  assert.equal(w.check(2999, 10), null);
  assert.equal(w.check(-2999, 11), null);
  const msg = w.check(-3500, 12);
  assert.match(msg ?? '', /step 12 .*-3\.50e\+3.*3\.00e\+3/);
  assert.equal(w.check(1e12, 13), null, 'warns once per run');
});

test('QDivergenceWatch: a non-finite Q warns; undiscounted runs have no bound; resume sees the stored rewards', () => {
  const nan = new QDivergenceWatch(0.9);
  nan.observe(1);
  assert.notEqual(nan.check(Number.NaN, 5), null);
  const undiscounted = new QDivergenceWatch(1);
  undiscounted.observe(1);
  assert.equal(undiscounted.check(1e30, 5), null);
  const resumed = new QDivergenceWatch(0.5, 2);
  resumed.observeAll(new Float32Array([0.5, -4, 1]));
  assert.equal(resumed.bound(), 16);
  assert.equal(resumed.check(15, 1), null);
  assert.notEqual(resumed.check(17, 2), null);
  assert.throws(() => new QDivergenceWatch(1.5), /gamma/);
  assert.throws(() => new QDivergenceWatch(0.9, 0), /factor/);
});
