import { isDeepStrictEqual } from "node:util";
import { UninitializedCache, ValueAlreadySet } from "../util/errors.js";
import type { KvsOp } from "../wire/kvs.js";
import { abbreviate, Cache } from "./cache.js";
import { compileGlob, MAX_PATTERN_LENGTH } from "./glob.js";

/**
 * Keys and values as the operations see them: the store itself, or a transaction's journal over
 * it. Each operation is written once against this, so a transaction's `incrValue` is the server's.
 */
export interface KeySpace {
  /** The live value (an expired key is absent). It belongs to this space: changing it in place is a write. */
  read(key: string): unknown;
  has(key: string): boolean;
  /** `ttlMs`: a new lifetime; undefined clears any TTL; "keep" leaves it as it is. */
  write(key: string, value: unknown, ttlMs?: number | "keep"): void;
  remove(key: string): boolean;
  keys(): Iterable<string>;
}

export type Operation = (space: KeySpace, args: unknown[]) => unknown;

/**
 * The operations that act on keys, by wire name (runtime/wire/kvs.ts): the store runs them on
 * itself, a transaction on its journal. The others are in handlers.ts.
 */
export const OPERATIONS = {
  get: (space, [name]) => describe(space.read(key(name))),
  set: (space, [name, value, options]) => {
    const k = key(name);
    const { ttl, onlyIfAbsent } = setOptions(options);
    if (onlyIfAbsent && space.has(k)) return describe(space.read(k));
    space.write(k, value, ttl === undefined ? undefined : ttl * 1000);
    return value;
  },
  delete: (space, [name]) => space.remove(key(name)),
  exists: (space, [name]) => space.has(key(name)),
  keys: (space, [pattern = "*"]) => {
    if (typeof pattern !== "string") throw new TypeError(`keys pattern must be a string, got ${typeof pattern}`);
    if (pattern.length > MAX_PATTERN_LENGTH)
      throw new TypeError(`keys pattern is ${pattern.length} characters, over MAX_PATTERN_LENGTH (${MAX_PATTERN_LENGTH})`);
    const glob = compileGlob(pattern);
    const found: string[] = [];
    for (const k of space.keys()) if (glob.matches(k)) found.push(k);
    return found.sort();
  },
  incr: (space, [name, by = 1]) => {
    const k = key(name);
    const next = add(space.read(k), by, `'${k}'`);
    space.write(k, next, "keep");
    return next;
  },
  compareAndSet: (space, [name, expected, next]) => {
    const k = key(name);
    const current = space.read(k);
    const same =
      expected === undefined ? !space.has(k) || current === undefined : !(current instanceof Cache) && isDeepStrictEqual(current, expected);
    if (same) space.write(k, next, "keep");
    return same;
  },
  append: (space, [name, value]) => {
    const k = key(name);
    const list = listAt(space, k, "append to", true)!;
    list.push(value);
    return list;
  },
  pop: (space, [name, index]) => {
    const list = listAt(space, key(name), "pop from", false);
    if (!list) return undefined;
    if (!Number.isInteger(index)) throw new TypeError(`popValue index must be an integer, got ${String(index)}`);
    const at = (index as number) < 0 ? list.length + (index as number) : (index as number);
    if (at < 0 || at >= list.length) return undefined;
    return list.splice(at, 1)[0];
  },
  push: (space, [name, ...values]) => {
    const list = listAt(space, key(name), "push to", true)!;
    list.push(...values);
    return list.length;
  },
  shift: (space, [name]) => listAt(space, key(name), "shift from", false)?.shift(),
  hashSet: (space, [name, field, value]) => {
    hashAt(space, key(name), true)!.set(fieldName(field), value);
    return value;
  },
  hashGet: (space, [name, field]) => hashAt(space, key(name), false)?.get(fieldName(field)),
  hashGetAll: (space, [name]) => hashAt(space, key(name), false) ?? new Map(),
  hashIncr: (space, [name, field, by = 1]) => {
    const k = key(name);
    const f = fieldName(field);
    const hash = hashAt(space, k, true)!;
    const next = add(hash.get(f), by, `field '${f}' of '${k}'`);
    hash.set(f, next);
    return next;
  },
  hashDelete: (space, [name, field]) => hashAt(space, key(name), false)?.delete(fieldName(field)) ?? false,
  initCache: (space, [name, clearExisting, maxSize]) => {
    const cacheName = key(name);
    const size = maxSize ?? 128;
    if (!Number.isInteger(size) || (size as number) < 1)
      throw new RangeError(`initCache maxSize must be a positive integer, got ${String(size)}`);
    const existing = space.read(cacheName);
    if (existing !== undefined && !clearExisting)
      throw new ValueAlreadySet(`Value already set for key '${cacheName}': ${abbreviate(existing)}`);
    space.write(cacheName, new Cache(cacheName, size as number));
    return { cacheName, clearExisting: Boolean(clearExisting), maxSize: size };
  },
  cachePut: (space, [name, recordName, value]) => {
    cacheAt(space, name).put(key(recordName), value);
    return { cacheName: name, recordName, recordValue: value };
  },
  cacheGrab: (space, [name, recordName]) => cacheAt(space, name).grab(key(recordName)),
} satisfies { [Op in KvsOp]?: Operation };

export function key(value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`keys must be strings, got ${value === null ? "null" : typeof value}`);
  return value;
}

const fieldName = (value: unknown): string => {
  if (typeof value !== "string") throw new TypeError(`hash fields must be strings, got ${value === null ? "null" : typeof value}`);
  return value;
};

/** A cache's records stay behind cacheGrab; reading its key shows what it is. */
const describe = (value: unknown) => (value instanceof Cache ? value.describe() : value);

function setOptions(options: unknown): { ttl?: number; onlyIfAbsent?: boolean } {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null)
    throw new TypeError(`setValue options must be an object, got ${options === null ? "null" : typeof options}`);
  const { ttl, onlyIfAbsent } = options as { ttl?: unknown; onlyIfAbsent?: unknown };
  if (ttl !== undefined && (typeof ttl !== "number" || !(ttl > 0) || !Number.isFinite(ttl))) {
    throw new RangeError(`setValue ttl must be a number of seconds > 0, got ${String(ttl)}`);
  }
  if (onlyIfAbsent !== undefined && typeof onlyIfAbsent !== "boolean")
    throw new TypeError(`setValue onlyIfAbsent must be a boolean, got ${typeof onlyIfAbsent}`);
  return { ttl: ttl as number | undefined, onlyIfAbsent: onlyIfAbsent as boolean | undefined };
}

function add(current: unknown, by: unknown, what: string): number | bigint {
  if (typeof by === "number" ? !Number.isFinite(by) : typeof by !== "bigint") {
    throw new TypeError(`increment must be a finite number or a bigint, got ${typeof by === "number" ? by : typeof by}`);
  }
  if (current === undefined) return by as number | bigint;
  if (typeof current !== "number" && typeof current !== "bigint")
    throw new TypeError(`cannot increment ${what}: its value is not a number`);
  if (typeof current !== typeof by)
    throw new TypeError(`cannot increment ${what}: it holds a ${typeof current}, the increment is a ${typeof by}`);
  return (current as number) + (by as number);
}

function listAt(space: KeySpace, k: string, verb: string, create: boolean): unknown[] | undefined {
  const value = space.read(k);
  if (value === undefined) {
    if (!create) return undefined;
    const list: unknown[] = [];
    space.write(k, list);
    return list;
  }
  if (!Array.isArray(value)) throw new TypeError(`cannot ${verb} '${k}': its value is not a list`);
  return value;
}

function hashAt(space: KeySpace, k: string, create: boolean): Map<string, unknown> | undefined {
  const value = space.read(k);
  if (value === undefined) {
    if (!create) return undefined;
    const hash = new Map<string, unknown>();
    space.write(k, hash);
    return hash;
  }
  if (!(value instanceof Map)) throw new TypeError(`'${k}' does not hold a hash (a Map)`);
  return value as Map<string, unknown>;
}

function cacheAt(space: KeySpace, name: unknown): Cache {
  const cache = space.read(key(name));
  if (!(cache instanceof Cache)) throw new UninitializedCache(`Cache '${String(name)}' has not been initialized.`);
  return cache;
}
