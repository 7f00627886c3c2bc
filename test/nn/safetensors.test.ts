import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SafetensorsError, decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensorsAtomic, type SafeTensor,
} from '../../src/nn/safetensors.js';

const SAMPLE: Record<string, SafeTensor> = {
  'actor.w': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, -0, 1e-30]) },
  'critic.b': { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -1e300, Number.MIN_VALUE]) },
  step: { dtype: 'I32', shape: [], data: Int32Array.from([-123456]) },
  counts: { dtype: 'I64', shape: [2], data: BigInt64Array.from([2n ** 62n, -5n]) },
  empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  mask: { dtype: 'U8', shape: [5], data: Uint8Array.from([1, 0, 255, 7, 9]) },
};

/** Builds a file from a literal header object and data bytes, as a foreign or corrupt writer might. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

function headerOf(bytes: Uint8Array): { length: number; json: Record<string, unknown> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) };
}

describe('safetensors encode/decode', () => {
  it('round-trips F32, F64, I32, I64, U8, scalar and empty tensors with metadata', () => {
    const metadata = { format: 'hyperrl', step: '1000', note: 'ünïcode ✓' };
    const decoded = decodeSafetensors(encodeSafetensors(SAMPLE, metadata));
    assert.deepEqual(decoded.metadata, metadata);
    assert.deepEqual(Object.keys(decoded.tensors).sort(), Object.keys(SAMPLE).sort());
    for (const [name, t] of Object.entries(SAMPLE)) assert.deepEqual(decoded.tensors[name], t, name);
    assert.ok(Object.is(decoded.tensors['actor.w']!.data[4], -0), 'negative zero survives');
  });

  it('round-trips without metadata and with empty metadata', () => {
    const one = { x: SAMPLE['critic.b']! };
    assert.deepEqual(decodeSafetensors(encodeSafetensors(one)).metadata, {});
    assert.deepEqual(decodeSafetensors(encodeSafetensors(one, {})).metadata, {});
    assert.deepEqual(decodeSafetensors(encodeSafetensors({})).tensors, {});
  });

  it('round-trips many tensors of mixed dtypes, each starting aligned to its element size', () => {
    const many: Record<string, SafeTensor> = {};
    for (let k = 0; k < 300; k++) {
      const n = (k * 7) % 13;
      many[`layer${k}`] = k % 3 === 0
        ? { dtype: 'F64', shape: [n], data: Float64Array.from({ length: n }, (_, i) => k + i / 8) }
        : k % 3 === 1
          ? { dtype: 'F32', shape: [n, 1], data: Float32Array.from({ length: n }, (_, i) => -k - i) }
          : { dtype: 'I16', shape: [1, n], data: Int16Array.from({ length: n }, (_, i) => k * i) };
    }
    const bytes = encodeSafetensors(many);
    const { length, json } = headerOf(bytes);
    assert.equal((8 + length) % 8, 0, 'data starts 8-byte aligned');
    for (const [name, info] of Object.entries(json) as [string, { dtype: string; data_offsets: number[] }][]) {
      const size = info.dtype === 'F64' ? 8 : info.dtype === 'F32' ? 4 : 2;
      assert.equal(info.data_offsets[0]! % size, 0, name);
    }
    assert.deepEqual(decodeSafetensors(bytes).tensors, many);
  });

  it('returns copies with aligned buffers even from an unaligned view', () => {
    const bytes = encodeSafetensors({ w: SAMPLE['critic.b']! });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const view = shifted.subarray(3);
    const w = decodeSafetensors(view).tensors.w!;
    assert.deepEqual(w.data, SAMPLE['critic.b']!.data);
    view.fill(0);
    assert.equal(w.data[0], Math.PI, 'decoded data does not alias the input');
  });

  it('reads a foreign header with keys in any order and no padding', () => {
    const data = new Uint8Array(Float32Array.from([1, 2]).buffer);
    const file = rawFile({ b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data);
    const { tensors, metadata } = decodeSafetensors(file);
    assert.deepEqual([tensors.a!.data[0], tensors.b!.data[0], metadata], [1, 2, { k: 'v' }]);
  });

  it('refuses to encode inconsistent tensors', () => {
    const bad = (t: unknown, pattern: RegExp): void => { assert.throws(() => encodeSafetensors({ t: t as SafeTensor }), pattern); };
    bad({ dtype: 'F32', shape: [3], data: new Float32Array(2) }, /shape \[3\] has 3 elements but data has 2/);
    bad({ dtype: 'F32', shape: [2], data: new Float64Array(2) }, /dtype F32 needs a Float32Array, got Float64Array/);
    bad({ dtype: 'F80', shape: [2], data: new Float64Array(2) }, /unknown dtype "F80"/);
    bad({ dtype: 'F32', shape: [-1], data: new Float32Array(0) }, /not a list of non-negative integers/);
    assert.throws(() => encodeSafetensors({ __metadata__: SAMPLE.step! }), /reserved/);
    assert.throws(() => encodeSafetensors({}, { n: 1 as unknown as string }), /metadata "n" must be a string/);
  });
});

describe('safetensors corruption', () => {
  const good = encodeSafetensors({ a: SAMPLE['actor.w']!, b: SAMPLE['critic.b']! }, { format: 'pt' });
  const expectError = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(() => decodeSafetensors(bytes, 'ckpt/params.safetensors'), (error: unknown) => {
      assert.ok(error instanceof SafetensorsError);
      assert.match(error.message, /^ckpt\/params\.safetensors: /);
      assert.match(error.message, pattern);
      return true;
    });
  };
  const f32 = (n: number): Uint8Array => new Uint8Array(4 * n);

  it('a file shorter than the length prefix', () => expectError(good.subarray(0, 5), /5 bytes, too short/));
  it('a header length beyond the file', () => expectError(good.subarray(0, 40), /header length \d+ is beyond the end of the file \(40 bytes/));
  it('a header length of 2^64 − 1', () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expectError(bytes, /header length 18446744073709551615 is beyond/);
  });
  it('truncated data', () => expectError(good.subarray(0, good.length - 4), /run past the end of the data section .*truncated/));
  it('trailing bytes after the last tensor', () => {
    const longer = new Uint8Array(good.length + 8);
    longer.set(good);
    expectError(longer, /data section is \d+ bytes but the tensors cover \d+/);
  });
  it('bad JSON', () => expectError(rawFile(null, new Uint8Array(0), '{"a": {"dtype": '), /header is not valid JSON/));
  it('invalid UTF-8', () => {
    const bytes = rawFile({ ab: 1 });
    bytes[10] = 0xff; // the "a" of the key
    expectError(bytes, /not valid UTF-8/);
  });
  it('a header that is not an object', () => expectError(rawFile([1, 2]), /header is not a JSON object/));
  it('an unknown dtype', () => expectError(rawFile({ a: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, f32(1)), /tensor "a": unknown dtype "F8_E4M3"/));
  it('a malformed shape', () => expectError(rawFile({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)), /tensor "a": shape \[1.5\] is not a list/));
  it('malformed offsets', () => {
    expectError(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4] } }, f32(1)), /data_offsets \[4\] is not a pair/);
    expectError(rawFile({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, f32(2)), /0 ≤ begin ≤ end/);
  });
  it('offsets out of range', () => expectError(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /data_offsets \[0, 8\] run past the end of the data section \(4 bytes/));
  it('shape × dtype size different from the byte length', () => expectError(rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/));
  it('offsets misaligned with the dtype size', () => expectError(rawFile({
    a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'F32', shape: [1], data_offsets: [2, 6] },
  }, new Uint8Array(6)), /tensor "b": data offset 2 is not a multiple of the F32 element size 4/));
  it('overlapping tensors', () => expectError(rawFile({
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
  }, f32(3)), /tensors "a" and "b" overlap/));
  it('a gap between tensors', () => expectError(rawFile({
    a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  }, f32(3)), /4 unused bytes before tensor "b"/));
  it('non-string metadata', () => expectError(rawFile({ __metadata__: { step: 3 } }), /__metadata__ must map strings to strings, but "step" is 3/));
});

describe('safetensors files', () => {
  it('writes atomically, replaces an existing file, leaves no temporary file, and reads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperrl-safetensors-'));
    try {
      const path = join(dir, 'params.safetensors');
      await writeFile(path, 'old contents');
      await writeSafetensorsAtomic(path, SAMPLE, { step: '7' });
      assert.deepEqual(await readdir(dir), ['params.safetensors']);
      const { tensors, metadata } = await readSafetensors(path);
      assert.deepEqual(metadata, { step: '7' });
      assert.deepEqual(tensors, SAMPLE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the file in errors about a truncated file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperrl-safetensors-'));
    try {
      const path = join(dir, 'optim.safetensors');
      await writeSafetensorsAtomic(path, SAMPLE);
      const bytes = await readFile(path);
      await writeFile(path, bytes.subarray(0, bytes.length - 10));
      await assert.rejects(readSafetensors(path), (error: Error) => error.message.startsWith(`${path}: `) && /truncated/.test(error.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves the old file and no temporary file when encoding fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperrl-safetensors-'));
    try {
      const path = join(dir, 'params.safetensors');
      await writeFile(path, 'old contents');
      await assert.rejects(writeSafetensorsAtomic(path, { t: { dtype: 'F32', shape: [2], data: new Float32Array(1) } }), /has 2 elements/);
      assert.deepEqual(await readdir(dir), ['params.safetensors']);
      assert.equal(await readFile(path, 'utf8'), 'old contents');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('removes its temporary file when the rename fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperrl-safetensors-'));
    try {
      const path = join(dir, 'taken');
      await mkdir(join(path, 'child'), { recursive: true }); // a non-empty directory cannot be renamed over
      await assert.rejects(writeSafetensorsAtomic(path, SAMPLE));
      assert.deepEqual(await readdir(dir), ['taken']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
