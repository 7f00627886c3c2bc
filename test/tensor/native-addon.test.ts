/** The native addon's own API: ISA variants, several backends sharing the addon, arena growth, worker threads. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import type { Backend } from '../../src/tensor/backend.js';
import { createJsBackend } from '../../src/tensor/backends/js/index.js';
import { createNativeBackend, measureFmaPeak, nativeInfo, setNativeIsa } from '../../src/tensor/backends/native/index.js';

const info = nativeInfo();

/** C = A·B on `be` for small deterministic inputs; returns the largest deviation from the float64 reference. */
function gemmError(be: Backend, m: number, n: number, k: number, seed: number): number {
  const ref = createJsBackend('float64', 1 << 12);
  const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(seed + i));
  const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(seed * 3 + i));
  const out = [be, ref].map((b) => {
    const a = b.arena.allocFrom(A), bb = b.arena.allocFrom(B), c = b.arena.alloc(m * n);
    b.gemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n);
    return Array.from(b.arena.view(c, m * n));
  });
  return Math.max(...out[0]!.map((v, i) => Math.abs(v - out[1]![i]!)));
}

describe('native addon', { skip: info.available ? false : `not built: ${info.error}` }, () => {
  it('reports the CPU features and the variants it can run, best first, generic always', () => {
    assert.ok(info.isas.length >= 1 && info.isas[info.isas.length - 1] === 'generic');
    assert.equal(info.isa, info.isas[0]);
    if (info.features.includes('avx512f') && info.features.includes('avx512bw')) assert.ok(info.isas.includes('avx512'));
    if (info.features.includes('avx2') && info.features.includes('fma')) assert.ok(info.isas.includes('avx2'));
  });

  it('switches ISA variants, names the active one in detail, and rejects unknown ones', () => {
    const be = createNativeBackend(1 << 12);
    try {
      for (const isa of info.isas) {
        assert.equal(setNativeIsa(isa), isa);
        assert.match(be.detail, new RegExp(`^${isa}:`));
        assert.ok(gemmError(be, 19, 37, 23, 1) < 1e-5, `gemm on ${isa}`);
      }
      assert.throws(() => setNativeIsa('sse9' as never), /unknown ISA 'sse9'/);
    } finally {
      setNativeIsa(info.isa!);
    }
  });

  it('measures a positive FMA peak', () => {
    const peak = measureFmaPeak(20);
    assert.ok(Number.isFinite(peak) && peak > 1, `peak ${peak}`);
  });

  it('keeps several backends apart while their arenas grow', () => {
    const b1 = createNativeBackend(64), b2 = createNativeBackend(64);
    for (let round = 0; round < 6; round++) {
      assert.ok(gemmError(b1, 33, 40, 50 + round * 20, round) < 1e-4);
      assert.ok(gemmError(b2, 41, 35, 45 + round * 25, round + 7) < 1e-4);
    }
    assert.ok(b1.arena.getStats().grows > 0 && b2.arena.getStats().grows > 0);
  });

  it('throws on an operand outside the arena instead of touching memory', () => {
    const be = createNativeBackend(1024);
    const n = be.arena.data.length;
    assert.throws(() => be.fill(16, n - 8, 1), /exceeds the arena/);
    assert.throws(() => be.gemm(false, false, 4, 4, 4, 1, 0, 4, n - 4, 4, 0, 0, 4), /exceeds the arena/);
  });

  it('runs in a worker thread alongside the main thread', async () => {
    const url = new URL('../../src/tensor/backends/native/index.js', import.meta.url).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(url)}).then(({ createNativeBackend }) => {
        const be = createNativeBackend(1 << 12);
        const a = be.arena.allocFrom(Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 7) - 3));
        const c = be.arena.alloc(64 * 64);
        for (let r = 0; r < 20; r++) be.gemm(false, true, 64, 64, 64, 1, a, 64, a, 64, 0, c, 64);
        let s = 0;
        for (let i = 0; i < 64; i++) s += be.arena.data[c + i * 64 + i];
        parentPort.postMessage(s);
      });`;
    const w = new Worker(code, { eval: true });
    const main = createNativeBackend(1 << 12);
    for (let r = 0; r < 20; r++) assert.ok(gemmError(main, 48, 48, 48, r) < 1e-4);
    const trace = await new Promise<number>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
    let want = 0;
    for (let i = 0; i < 64; i++) for (let p = 0; p < 64; p++) want += ((i * 64 + p) % 7 - 3) ** 2;
    assert.equal(trace, want);
  });
});
