/**
 * TensorBoard event files, written without TensorFlow: `tensorboard --logdir runs`
 * (and W&B's TensorBoard import) read the same scalars as metrics.jsonl.
 *
 * An event file is a sequence of TFRecords, each
 *   uint64 length | uint32 masked CRC32C(length bytes) | data | uint32 masked CRC32C(data)
 * (little-endian; mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8), and each record's
 * data is an `Event` protobuf (TensorFlow's event.proto, summary.proto): the first
 * carries `file_version = "brain.Event:2"`, the others a `Summary` of scalar values
 * (`simple_value`) or a text-plugin tensor. Only the fields written here are encoded.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { concat, doubleField, floatField, lengthDelimited, stringField, varintField, type Bytes } from '../core/protobuf.js';

// ---- CRC32C (Castagnoli, reflected polynomial 0x82f63b78) ----

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: a CRC stored next to the data it covers would otherwise be easy to confuse with data. */
export const maskedCrc32c = (bytes: Uint8Array): number => {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** The complete, checksum-valid records of an event file, with their byte ranges; reading stops at a torn or corrupt record. */
export function readTfRecords(file: Buffer): { data: Buffer; end: number }[] {
  const out: { data: Buffer; end: number }[] = [];
  let at = 0;
  while (at + 12 <= file.length) {
    if (file.readUInt32LE(at + 8) !== maskedCrc32c(file.subarray(at, at + 8))) break;
    const length = Number(file.readBigUInt64LE(at));
    const end = at + 12 + length + 4;
    if (end > file.length) break;
    const data = file.subarray(at + 12, at + 12 + length);
    if (file.readUInt32LE(at + 12 + length) !== maskedCrc32c(data)) break;
    out.push({ data, end });
    at = end;
  }
  return out;
}

/** Event field numbers (event.proto). */
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5 } as const;
/** Summary (1: repeated Value) and Summary.Value field numbers (summary.proto). */
const VALUE = { tag: 1, simpleValue: 2, tensor: 8, metadata: 9 } as const;
/** TensorProto (tensor.proto), TensorShapeProto (tensor_shape.proto), DataType (types.proto). */
const TENSOR = { dtype: 1, shape: 2, stringVal: 8 } as const;
const DT_STRING = 7;

function event(wallTime: number, step: number, what: Bytes): Bytes {
  return concat([doubleField(EVENT.wallTime, wallTime), varintField(EVENT.step, step), what]);
}

const summary = (values: Bytes[]): Bytes => lengthDelimited(EVENT.summary, concat(values.map((v) => lengthDelimited(1, v))));

/** A scalar as TensorBoard's scalar dashboard reads it: a tag and a float32 `simple_value`. */
const scalarValue = (tag: string, value: number): Bytes => concat([stringField(VALUE.tag, tag), floatField(VALUE.simpleValue, value)]);

/** A text-plugin value: metadata naming the plugin, and a [1]-shaped DT_STRING tensor holding the markdown. */
function textValue(tag: string, markdown: string): Bytes {
  const pluginData = stringField(1, 'text');
  const metadata = lengthDelimited(1, pluginData);
  const shape = lengthDelimited(2, varintField(1, 1)); // dim { size: 1 }
  const tensor = concat([varintField(TENSOR.dtype, DT_STRING), lengthDelimited(TENSOR.shape, shape), lengthDelimited(TENSOR.stringVal, Buffer.from(markdown, 'utf8'))]);
  return concat([stringField(VALUE.tag, tag), lengthDelimited(VALUE.metadata, metadata), lengthDelimited(VALUE.tensor, tensor)]);
}

/** The `step` of an encoded Event (0 when absent), skipping the other fields by wire type. */
function eventStep(data: Buffer): number {
  let at = 0;
  const readVarint = (): number => {
    let v = 0, scale = 1, b: number;
    do {
      b = data[at++]!;
      v += (b & 0x7f) * scale;
      scale *= 0x80;
    } while (b & 0x80);
    return v;
  };
  while (at < data.length) {
    const k = readVarint(), field = Math.floor(k / 8), wire = k % 8;
    if (field === EVENT.step && wire === 0) return readVarint();
    if (wire === 0) readVarint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) at += readVarint();
    else throw new Error(`tensorboard: unexpected wire type ${wire} in an event record`);
  }
  return 0;
}

const FILE_PREFIX = 'events.out.tfevents.';

/** The run folder's event file, or null. */
export function eventFile(runDir: string): string | null {
  const name = readdirSync(runDir).filter((f) => f.startsWith(FILE_PREFIX)).sort()[0];
  return name === undefined ? null : join(runDir, name);
}

/**
 * Appends events to the run folder's event file (created with its file-version
 * record on first use, reused on resume). Values are appended as they are logged,
 * like metrics.jsonl, so a crash loses nothing already written.
 */
export class TensorBoardWriter {
  readonly path: string;

  constructor(runDir: string, private readonly now: () => number = () => Date.now() / 1000) {
    const existing = eventFile(runDir);
    if (existing !== null) {
      this.path = existing;
    } else {
      // TensorBoard finds event files by the "tfevents" in their name; time and host keep names unique as TensorFlow's do.
      this.path = join(runDir, `${FILE_PREFIX}${Math.floor(this.now())}.${hostname()}.hyperrl`);
      writeFileSync(this.path, tfRecord(event(this.now(), 0, stringField(EVENT.fileVersion, 'brain.Event:2'))));
    }
  }

  /** Scalars logged at `step` (tags such as `losses/qf1_loss`). */
  scalars(step: number, values: Record<string, number>): void {
    const entries = Object.entries(values);
    if (entries.length === 0) return;
    appendFileSync(this.path, tfRecord(event(this.now(), step, summary(entries.map(([tag, v]) => scalarValue(tag, v))))));
  }

  /** Markdown shown in TensorBoard's Text tab. */
  text(tag: string, markdown: string, step = 0): void {
    appendFileSync(this.path, tfRecord(event(this.now(), step, summary([textValue(tag, markdown)]))));
  }

  /** Drop the events after `step` and any torn record at the end (on resume from a checkpoint at that step). */
  truncateAfter(step: number): void {
    const file = readFileSync(this.path);
    const records = readTfRecords(file);
    // The file-version record (step 0) is first and always kept.
    const kept = records.filter((r, i) => i === 0 || eventStep(r.data) <= step);
    writeFileSync(this.path, Buffer.concat(kept.map((r) => tfRecord(r.data))));
  }
}

/** A markdown table of settings, as CleanRL logs its hyperparameters. */
export function settingsTable(settings: Record<string, unknown>): string {
  const cell = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : String(v)).replace(/\|/g, '\\|');
  return ['|setting|value|', '|-|-|', ...Object.entries(settings).map(([k, v]) => `|${k}|${cell(v)}|`)].join('\n');
}
