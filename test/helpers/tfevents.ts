/**
 * An event-file reader independent of src/train/tensorboard.ts: the TFRecord framing
 * and CRC32C written out again here (bit by bit, no table), the Event protobufs
 * decoded by protobufjs from TensorFlow's message definitions in
 * test/fixtures/tensorboard/events.proto.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'tensorboard', 'events.proto');

/** CRC-32C, one bit at a time (Castagnoli polynomial 0x1EDC6F41, reflected). */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

const masked = (bytes: Uint8Array): number => {
  const crc = crc32cBitwise(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
};

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: { tag: string; simpleValue?: number; metadata?: { pluginData?: { pluginName: string } }; tensor?: { dtype: number; tensorShape?: { dim: { size: number }[] }; stringVal: Uint8Array[] } }[] };
}

/** Every record of an event file, decoded; throws on a bad length or data checksum. */
export function readEvents(path: string): DecodedEvent[] {
  const Event = protobuf.loadSync(PROTO).lookupType('tensorboard.Event');
  const file = readFileSync(path);
  const events: DecodedEvent[] = [];
  for (let at = 0; at < file.length;) {
    if (at + 12 > file.length) throw new Error(`${path}: truncated record header at byte ${at} (bad length checksum)`);
    const header = file.subarray(at, at + 8);
    if (file.readUInt32LE(at + 8) !== masked(header)) throw new Error(`${path}: bad length checksum at byte ${at}`);
    const length = Number(file.readBigUInt64LE(at));
    if (at + 16 + length > file.length) throw new Error(`${path}: truncated record at byte ${at} (bad data checksum)`);
    const data = file.subarray(at + 12, at + 12 + length);
    if (file.readUInt32LE(at + 12 + length) !== masked(data)) throw new Error(`${path}: bad data checksum at byte ${at}`);
    const e = Event.toObject(Event.decode(data), { longs: Number }) as DecodedEvent;
    e.step ??= 0; // proto3 leaves out fields at their default
    events.push(e);
    at += 12 + length + 4;
  }
  return events;
}

/** Scalar values by tag, as [step, value] in file order. */
export function scalarsByTag(events: DecodedEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) for (const v of e.summary?.value ?? []) {
    if (v.simpleValue === undefined) continue;
    if (!out.has(v.tag)) out.set(v.tag, []);
    out.get(v.tag)!.push([e.step, v.simpleValue]);
  }
  return out;
}
