/**
 * The safetensors format (Hugging Face), for parameters and optimizer state:
 *
 *   [u64 little-endian N][N bytes of UTF-8 JSON header][data]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]},
 * byte offsets relative to the first data byte, and may hold "__metadata__", a
 * string → string map. Data is raw little-endian and row-major ('C' order).
 *
 * Writing: tensors are laid out by decreasing element size, then by name, so
 * every tensor starts at a multiple of its element size; the header is padded
 * with spaces so the data starts 8-byte aligned (as the reference writer does).
 * Reading: the checks of the reference implementation (tensors tile the data
 * section exactly: no overlap, no gap, nothing left over) plus element alignment;
 * any violation throws a SafetensorsError naming the file and the problem.
 * Decoded arrays are copies with their own aligned buffers.
 */
import { platform } from '#platform';
import { writeFileAtomic } from '../platform/files.js';

/** Typed array per dtype; F16 and BF16 are kept as raw 16-bit patterns, BOOL as bytes. */
const ARRAY_TYPES = {
  F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array,
  I64: BigInt64Array, I32: Int32Array, I16: Int16Array, I8: Int8Array,
  U64: BigUint64Array, U32: Uint32Array, U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array,
} as const;

export type SafetensorsDType = keyof typeof ARRAY_TYPES;
export type TensorArray = InstanceType<(typeof ARRAY_TYPES)[SafetensorsDType]>;

export interface SafeTensor {
  dtype: SafetensorsDType;
  /** Dimensions, outermost first; [] is a scalar. */
  shape: number[];
  /** Row-major elements; the typed array that matches dtype (e.g. Float32Array for F32). */
  data: TensorArray;
}

export interface DecodedSafetensors {
  tensors: Record<string, SafeTensor>;
  /** The "__metadata__" map; {} when the file has none. */
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(readonly source: string, readonly problem: string) {
    super(`${source}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndianHost(): void {
  // Typed arrays use host byte order; the format is little-endian.
  if (!LITTLE_ENDIAN_HOST) throw new Error('safetensors: this implementation needs a little-endian host');
}

const isDType = (value: unknown): value is SafetensorsDType => typeof value === 'string' && Object.hasOwn(ARRAY_TYPES, value);
const elementCount = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);
const isDimension = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Serialises tensors (and optional string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  requireLittleEndianHost();
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    const fail = (problem: string): never => { throw new SafetensorsError('encodeSafetensors', `tensor "${name}": ${problem}`); };
    if (name === METADATA_KEY) fail(`the name ${METADATA_KEY} is reserved for metadata`);
    if (!isDType(t.dtype)) fail(`unknown dtype "${String(t.dtype)}"`);
    if (!(t.data instanceof ARRAY_TYPES[t.dtype])) fail(`dtype ${t.dtype} needs a ${ARRAY_TYPES[t.dtype].name}, got ${t.data?.constructor?.name}`);
    if (!Array.isArray(t.shape) || !t.shape.every(isDimension)) fail(`shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    if (elementCount(t.shape) !== t.data.length) fail(`shape [${t.shape}] has ${elementCount(t.shape)} elements but data has ${t.data.length}`);
  }
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (typeof value !== 'string') throw new SafetensorsError('encodeSafetensors', `metadata "${key}" must be a string, got ${typeof value}`);
  }

  const size = (t: SafeTensor): number => ARRAY_TYPES[t.dtype].BYTES_PER_ELEMENT;
  entries.sort(([nameA, a], [nameB, b]) => size(b) - size(a) || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0));
  const header: Record<string, unknown> = metadata === undefined ? {} : { [METADATA_KEY]: metadata };
  let offset = 0;
  for (const [name, t] of entries) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, t] of entries) {
    bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), position);
    position += t.data.byteLength;
  }
  return bytes;
}

interface TensorEntry { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }

/** Parses safetensors bytes; `source` (e.g. the file path) prefixes every error message. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): DecodedSafetensors {
  requireLittleEndianHost();
  const fail = (problem: string): never => { throw new SafetensorsError(source, problem); };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short to hold the 8-byte header length (truncated?)`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) fail(`header length ${declared} is beyond the end of the file (${bytes.length} bytes; truncated?)`);
  const headerLength = Number(declared);
  const dataStart = 8 + headerLength, dataLength = bytes.length - dataStart;

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) return fail('header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(info)) fail(`${METADATA_KEY} is not an object`);
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`${METADATA_KEY} must map strings to strings, but "${key}" is ${JSON.stringify(value)}`);
      }
      metadata = info as Record<string, string>;
      continue;
    }
    entries.push(parseEntry(name, info, dataLength, fail));
  }

  // The tensors must tile the data section exactly, as in the reference implementation.
  const byPosition = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0, previous = '';
  for (const e of byPosition) {
    if (e.begin < covered) fail(`tensors "${previous}" and "${e.name}" overlap (byte ${e.begin} < ${covered})`);
    if (e.begin > covered) fail(`${e.begin - covered} unused bytes before tensor "${e.name}" (data_offsets must be contiguous)`);
    covered = e.end;
    previous = e.name;
  }
  if (covered !== dataLength) fail(`data section is ${dataLength} bytes but the tensors cover ${covered}`);

  const tensors = Object.fromEntries(entries.map((e): [string, SafeTensor] => {
    // Copying into a fresh buffer aligns the data (Buffer.slice would return an unaligned view).
    const copy = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)).buffer;
    return [e.name, { dtype: e.dtype, shape: e.shape, data: new ARRAY_TYPES[e.dtype](copy) }];
  }));
  return { tensors, metadata };
}

function parseEntry(name: string, info: unknown, dataLength: number, fail: (problem: string) => never): TensorEntry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(info)) fail(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isDType(dtype)) return fail(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isDimension)) return fail(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDimension) || offsets[0] > offsets[1]) {
    return fail(`${where}: data_offsets ${JSON.stringify(offsets)} is not a pair [begin, end] with 0 ≤ begin ≤ end`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes; truncated?)`);
  const elementSize = ARRAY_TYPES[dtype].BYTES_PER_ELEMENT;
  if (begin % elementSize !== 0) fail(`${where}: data offset ${begin} is not a multiple of the ${dtype} element size ${elementSize}`);
  const expected = elementCount(shape) * elementSize;
  if (end - begin !== expected) fail(`${where}: shape [${shape}] of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  return { name, dtype, shape: shape as number[], begin, end };
}

/**
 * Writes the file so that readers see either the old file or the complete new
 * one, never a partial write (Node; see writeFileAtomic in src/platform/files.ts).
 */
export async function writeSafetensorsAtomic(path: string, tensors: Record<string, SafeTensor>, metadata?: Record<string, string>): Promise<void> {
  writeFileAtomic(platform.files, path, encodeSafetensors(tensors, metadata));
}

/** Reads and decodes a safetensors file (a browser fetches the path or URL); errors name the path. */
export async function readSafetensors(path: string | URL): Promise<DecodedSafetensors> {
  return decodeSafetensors(await platform.readFile(path), String(path));
}
