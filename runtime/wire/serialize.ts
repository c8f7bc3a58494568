import { deserialize, serialize } from "node:v8";

/**
 * How values cross processes: structured clone (`node:v8`: Map, Set, Date, BigInt, typed arrays,
 * undefined, -0, NaN, sparse arrays, nesting), or JSON for the values JSON carries exactly (plain
 * objects and arrays of strings, finite numbers, booleans and null: what most jobs take and
 * return). JSON text never starts with 0xFF, the version byte v8 writes first, so `decode` tells
 * them apart. Why both: `v8.serialize` churns memory on every call (its buffer and serializer),
 * which queueing a million small jobs turns into a large share of the host's memory; JSON churns
 * a small fraction of that (BENCHMARKS.md, "Figures behind choices in the code").
 */
export function encode(value: unknown): Buffer {
  return jsonExact(value, 0) ? Buffer.from(JSON.stringify(value)) : serialize(value);
}

export function decode<T = unknown>(bytes: Uint8Array): T {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeAt(buffer, 0, buffer.length);
}

/** `decode(buffer.subarray(start, end))`, with no view made for JSON text. */
export function decodeAt<T = unknown>(buffer: Buffer, start: number, end: number): T {
  if (buffer[start] === V8_VERSION_TAG)
    return deserialize(start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end)) as T;
  return JSON.parse(buffer.toString("utf8", start, end)) as T;
}

const V8_VERSION_TAG = 0xff;
/** Deeper than this, structured clone decides (JSON.stringify would also recurse without end on a cycle). */
const MAX_JSON_DEPTH = 32;

/** Whether `JSON.parse(JSON.stringify(value))` gives back a value that structured clone would. */
function jsonExact(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      const proto = Object.getPrototypeOf(value);
      if (proto === Array.prototype) {
        const array = value as unknown[];
        // Holes and extra properties survive structured clone, not JSON.
        if (Object.keys(array).length !== array.length) return false;
        for (let i = 0; i < array.length; i++) if (!jsonExact(array[i], depth + 1)) return false;
        return true;
      }
      if (proto !== Object.prototype && proto !== null) return false; // Date, Map, class instances, …
      for (const key in value) {
        if (key === "__proto__" || !Object.hasOwn(value, key)) return false;
        if (!jsonExact((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false; // undefined, bigint, symbol, function
  }
}

/** A short description of why a value cannot be encoded, e.g. "a function" or "a symbol". */
export function unencodableReason(value: unknown): string | undefined {
  try {
    serialize(value);
    return undefined;
  } catch (error) {
    if (typeof value === "function") return "a function";
    if (typeof value === "symbol") return "a symbol";
    return (error as Error).message;
  }
}
