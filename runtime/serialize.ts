import { deserialize, serialize } from "node:v8";

/** Structured-clone encoding (Map, Set, Date, BigInt, typed arrays, undefined, nesting). */
export function encode(value: unknown): Buffer {
  return serialize(value);
}

export function decode<T = unknown>(bytes: Uint8Array): T {
  return deserialize(bytes) as T;
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
