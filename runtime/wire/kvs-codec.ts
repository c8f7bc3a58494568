import { deserialize, serialize } from "node:v8";
import { decodeAt, encode } from "./serialize.js";

/**
 * The KVS's encoding of request arguments and answers. Most requests carry a key and a small
 * value (a string, a number, a boolean…), for which `node:v8` structured clone costs more than
 * the rest of the request (BENCHMARKS.md, "Figures behind choices in the code"); those travel in
 * a compact form instead, and everything else as structured clone, as before.
 *
 * Other values travel as runtime/wire/serialize.ts encodes job arguments: JSON text when JSON carries
 * them exactly, else structured clone. A structured-clone payload always starts with 0xFF (its
 * version tag); a compact one with COMPACT_LIST (the arguments array) or COMPACT_VALUE (one
 * answer), then its items; anything else is JSON text:
 *
 *   0x00 undefined   0x01 null   0x02 true   0x03 false
 *   0x04 int32 LE (4 bytes)     0x05 float64 LE (8 bytes: -0, NaN, ±Infinity as they are)
 *   0x06 string of code units < 256: u32 LE length, one byte each (latin1)
 *   0x07 any other string: u32 LE length in code units, two bytes each (UTF-16 LE, lone surrogates kept)
 *
 * A list holds at most 255 items (a u8 count). Strings are stored as V8 stores them (one or two
 * bytes per code unit), so a value's encoded size, and so the size limit, is nearly the same
 * either way. Readers accept both forms; a server answers compactly only a client that asked
 * compactly (docs/protocol.md), so a client that knows only structured clone keeps working.
 */
export const COMPACT_LIST = 0x01;
export const COMPACT_VALUE = 0x02;
const V8_TAG = 0xff;

const UNDEFINED = 0x00;
const NULL = 0x01;
const TRUE = 0x02;
const FALSE = 0x03;
const INT32 = 0x04;
const FLOAT64 = 0x05;
const LATIN1 = 0x06;
const UTF16 = 0x07;

const NOT_LATIN1 = /[^\u0000-\u00ff]/;
const NOT_COMPACT = -1;

/** Bytes `value` takes as a compact item, or NOT_COMPACT. */
function itemSize(value: unknown): number {
  switch (typeof value) {
    case "string":
      return NOT_LATIN1.test(value) ? 5 + 2 * value.length : 5 + value.length;
    case "number":
      return (value | 0) === value && !Object.is(value, -0) ? 5 : 9;
    case "boolean":
    case "undefined":
      return 1;
    case "object":
      return value === null ? 1 : NOT_COMPACT;
    default:
      return NOT_COMPACT;
  }
}

/** Writes `value` (compact, as `itemSize` said) at `at`; returns the offset after it. */
function writeItem(buffer: Buffer, at: number, value: unknown, size: number): number {
  switch (typeof value) {
    case "string":
      if (size === 5 + value.length) {
        buffer[at] = LATIN1;
        buffer.writeUInt32LE(value.length, at + 1);
        buffer.write(value, at + 5, value.length, "latin1");
      } else {
        buffer[at] = UTF16;
        buffer.writeUInt32LE(value.length, at + 1);
        buffer.write(value, at + 5, 2 * value.length, "utf16le");
      }
      return at + size;
    case "number":
      if (size === 5) {
        buffer[at] = INT32;
        buffer.writeInt32LE(value, at + 1);
      } else {
        buffer[at] = FLOAT64;
        buffer.writeDoubleLE(value, at + 1);
      }
      return at + size;
    case "boolean":
      buffer[at] = value ? TRUE : FALSE;
      return at + 1;
    case "undefined":
      buffer[at] = UNDEFINED;
      return at + 1;
    default:
      buffer[at] = NULL;
      return at + 1;
  }
}

// Sizes of the items of the list being encoded (one list at a time: encoding never re-enters).
const sizes: number[] = [];

/** A request's arguments: compact when they are at most 255 primitives, else structured clone. Throws as `serialize` does for what cannot be encoded. */
export function encodeArgs(args: unknown[]): Buffer {
  const count = args.length;
  if (count > 255) return encode(args);
  let total = 2;
  for (let i = 0; i < count; i++) {
    const size = itemSize(args[i]);
    if (size === NOT_COMPACT) return encode(args);
    sizes[i] = size;
    total += size;
  }
  const buffer = Buffer.allocUnsafe(total);
  buffer[0] = COMPACT_LIST;
  buffer[1] = count;
  let at = 2;
  for (let i = 0; i < count; i++) at = writeItem(buffer, at, args[i], sizes[i]!);
  return buffer;
}

/**
 * An answer. To a client that speaks the newer forms (`compact`): compact for a primitive, else
 * JSON or structured clone; to one that only speaks structured clone, structured clone.
 */
export function encodeValue(value: unknown, compact: boolean): Buffer {
  if (!compact) return serialize(value);
  const size = itemSize(value);
  if (size === NOT_COMPACT) return encode(value);
  const buffer = Buffer.allocUnsafe(1 + size);
  buffer[0] = COMPACT_VALUE;
  writeItem(buffer, 1, value, size);
  return buffer;
}

/** True if the payload is not structured clone (compact or JSON), so its sender reads those forms in answers. */
export function isCompact(payload: Uint8Array): boolean {
  return payload.length > 0 && payload[0] !== V8_TAG;
}

/** The form of the payload starting at `start`, as `decodePayload` will read it. */
export function payloadForm(buffer: Buffer, start: number): "compact" | "structured clone" | "json" {
  const tag = buffer[start];
  return tag === V8_TAG ? "structured clone" : tag === COMPACT_LIST || tag === COMPACT_VALUE ? "compact" : "json";
}

/**
 * Decodes `buffer[start, end)`, any form. Throws (a TypeError, RangeError or SyntaxError) for
 * bytes that are none of them, truncated, or followed by extra bytes.
 */
export function decodePayload(buffer: Buffer, start = 0, end = buffer.length): unknown {
  if (end <= start) throw new TypeError("empty payload");
  const tag = buffer[start];
  if (tag === V8_TAG) return deserialize(start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end));
  const reader = { at: start + 1 };
  let value: unknown;
  if (tag === COMPACT_LIST) {
    if (end < start + 2) throw new TypeError("truncated payload");
    const count = buffer[start + 1]!;
    reader.at = start + 2;
    const list = new Array<unknown>(count);
    for (let i = 0; i < count; i++) list[i] = readItem(buffer, reader, end);
    value = list;
  } else if (tag === COMPACT_VALUE) value = readItem(buffer, reader, end);
  else return decodeAt(buffer, start, end); // JSON text (SyntaxError if it is not)
  if (reader.at !== end) throw new TypeError(`${end - reader.at} unexpected bytes after the payload`);
  return value;
}

function readItem(buffer: Buffer, reader: { at: number }, end: number): unknown {
  const at = reader.at;
  if (at >= end) throw new TypeError("truncated payload");
  switch (buffer[at]) {
    case UNDEFINED:
      reader.at = at + 1;
      return undefined;
    case NULL:
      reader.at = at + 1;
      return null;
    case TRUE:
      reader.at = at + 1;
      return true;
    case FALSE:
      reader.at = at + 1;
      return false;
    case INT32:
      if (at + 5 > end) throw new TypeError("truncated payload");
      reader.at = at + 5;
      return buffer.readInt32LE(at + 1);
    case FLOAT64:
      if (at + 9 > end) throw new TypeError("truncated payload");
      reader.at = at + 9;
      return buffer.readDoubleLE(at + 1);
    case LATIN1: {
      if (at + 5 > end) throw new TypeError("truncated payload");
      const stop = at + 5 + buffer.readUInt32LE(at + 1);
      if (stop > end) throw new TypeError("truncated payload");
      reader.at = stop;
      return buffer.toString("latin1", at + 5, stop);
    }
    case UTF16: {
      if (at + 5 > end) throw new TypeError("truncated payload");
      const stop = at + 5 + 2 * buffer.readUInt32LE(at + 1);
      if (stop > end) throw new TypeError("truncated payload");
      reader.at = stop;
      return buffer.toString("utf16le", at + 5, stop);
    }
    default:
      throw new TypeError(`unknown item tag 0x${buffer[at]!.toString(16).padStart(2, "0")}`);
  }
}
