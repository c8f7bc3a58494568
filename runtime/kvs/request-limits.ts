/**
 * Limits on what one KVS request may carry, beyond its size (STRMBRKR_KVS_MAX_VALUE_BYTES): shapes
 * that cost the store far more than their bytes. Each was measured to hold the store's one thread:
 * JSON nested 10 million levels deep parses in ~8 s (and no stored copy can be serialised again);
 * an array of length 2**32 - 1 with one element is 26 bytes and `pop` splices it for minutes; a
 * structured-clone value that shares an object twice per level doubles at each level for the code
 * that walks it as a tree (JSON, isDeepStrictEqual): 166 bytes took ~1 s, a few more bytes hours;
 * a BigInt's decimal text (the dump, error messages) costs ~2 s at 16 million bits.
 */

/** Deepest nesting of a request's arguments, the arguments array being level 1. */
export const MAX_VALUE_DEPTH = 512;
/** Largest BigInt magnitude accepted, in bits. */
export const MAX_BIGINT_BITS = 65_536;

const BIGINT_LIMIT = 1n << BigInt(MAX_BIGINT_BITS);
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

/** Checks JSON text's nesting before it is parsed (a deep one parses slowly). Skips what sits in strings. */
export function checkJsonDepth(buffer: Buffer, start: number, end: number): void {
  if (end - start <= 2 * MAX_VALUE_DEPTH) return; // each level takes two bytes at least
  let depth = 0;
  for (let at = start; at < end; at++) {
    const byte = buffer[at]!;
    if (byte === 0x22) {
      // a string: to its closing quote, past escaped characters
      for (at++; at < end && buffer[at] !== 0x22; at++) if (buffer[at] === 0x5c) at++;
    } else if (OPEN.has(byte)) {
      if (++depth > MAX_VALUE_DEPTH) throw tooDeep();
    } else if (CLOSE.has(byte)) depth--;
  }
}

/**
 * Checks decoded structured-clone arguments, walked as the tree that JSON and deep equality see (a
 * shared object once per path to it): nesting, arrays no longer than the `bytes` that carried them
 * (else they are mostly holes), BigInts within MAX_BIGINT_BITS, and a tree of at most twice as many
 * nodes as bytes (plus some room): a few shared objects pass, a value that doubles at each level or
 * refers to itself does not. The walk stops at that budget: linear in the request's size.
 */
export function checkStructuredValue(args: unknown[], bytes: number): void {
  let budget = 2 * bytes + 1_000;
  const pending: unknown[] = [args];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const value = pending.pop();
    const depth = depths.pop()!;
    if (typeof value === "bigint") {
      if (value >= BIGINT_LIMIT || value <= -BIGINT_LIMIT)
        throw new RangeError(`KeyValueStore arguments hold a BigInt over MAX_BIGINT_BITS (${MAX_BIGINT_BITS} bits)`);
      continue;
    }
    const children = childrenOf(value);
    if (!children) continue;
    if (depth > MAX_VALUE_DEPTH) throw tooDeep();
    if (Array.isArray(value) && value.length > bytes) {
      throw new RangeError(
        `KeyValueStore arguments hold an array of length ${value.length} in ${bytes} bytes: arrays that are mostly holes are refused`,
      );
    }
    for (const child of children) {
      if (--budget < 0)
        throw new TypeError(
          `KeyValueStore arguments refer to the same objects too often (cyclic, or shared at many levels): as a tree they would be over ${2 * bytes + 1_000} nodes`,
        );
      pending.push(child);
      depths.push(depth + 1);
    }
  }
}

/** What a container holds (Map keys too); undefined for a leaf (a primitive, Date, typed array…). */
function childrenOf(value: unknown): Iterable<unknown> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (value instanceof Map) return [...value.keys(), ...value.values()];
  if (value instanceof Set) return value.values();
  const proto = Object.getPrototypeOf(value);
  // Own enumerable properties: an array's elements (holes skipped) and any other keys it has.
  if (Array.isArray(value) || proto === Object.prototype || proto === null) return Object.values(value);
  return undefined;
}

const tooDeep = () =>
  new RangeError(
    `KeyValueStore arguments are nested deeper than MAX_VALUE_DEPTH (${MAX_VALUE_DEPTH} levels), or hold themselves (a cycle)`,
  );
