/**
 * The Protocol Buffers wire format, writing side: each field encoded as bytes, a message the
 * concatenation of its fields (fields of a sub-message: `lengthDelimited`). Enough for the
 * messages hyperrl writes by hand: TensorBoard events and ONNX models. Node-free.
 */

export type Bytes = Uint8Array;

const utf8 = new TextEncoder();

export function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf: cannot encode ${value} as a varint`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A field's key: field number and wire type (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit). */
export const key = (field: number, wireType: 0 | 1 | 2 | 5): number[] => varint(field * 8 + wireType);

export function concat(parts: readonly (Bytes | number[])[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes, a string or a sub-message. */
export const lengthDelimited = (field: number, bytes: Bytes): Bytes => concat([key(field, 2), varint(bytes.length), bytes]);
export const stringField = (field: number, s: string): Bytes => lengthDelimited(field, utf8.encode(s));
export const varintField = (field: number, v: number): Bytes => concat([key(field, 0), varint(v)]);

export function doubleField(field: number, v: number): Bytes {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return concat([key(field, 1), b]);
}

export function floatField(field: number, v: number): Bytes {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return concat([key(field, 5), b]);
}
