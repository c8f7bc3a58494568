import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { CacheMiss, UninitializedCache, ValueAlreadySet } from "../../stdlib/errors.js";
import type { KvsOp } from "../protocol.js";

/** An LRU cache stored under one key: Map order is recency order. */
class Cache {
  readonly records = new Map<string, unknown>();
  constructor(readonly name: string, readonly maxSize: number) {}

  grab(key: string): unknown {
    if (!this.records.has(key)) throw new CacheMiss(`Cache '${this.name}' does not have a populated value for key '${key}'`);
    const value = this.records.get(key);
    this.records.delete(key);
    this.records.set(key, value);
    return value;
  }

  put(key: string, value: unknown): void {
    this.records.delete(key);
    this.records.set(key, value);
    if (this.records.size > this.maxSize) this.records.delete(this.records.keys().next().value!);
  }
}

/**
 * The key-value store's data and operations. Each operation runs whole before the next starts
 * (the server is single-threaded), so each is atomic.
 */
export class Store {
  #data = new Map<string, unknown>();

  /** Runs `op`; throws TypeError for unknown operations or bad arguments, typed errors otherwise. */
  apply(op: KvsOp, args: unknown[]): unknown {
    switch (op) {
      case "ping":
        return { pid: process.pid, keys: this.#data.size, uptimeSeconds: process.uptime() };
      case "get":
        return this.get(args);
      case "set":
        this.#data.set(key(args[0]), args[1]);
        return args[1];
      case "append":
        return this.append(args);
      case "pop":
        return this.pop(args);
      case "flush":
        this.#data.clear();
        return {};
      case "dump":
        return this.dump();
      case "initCache":
        return this.initCache(args);
      case "cachePut":
        return this.cachePut(args);
      case "cacheGrab":
        return this.cache(args[0]).grab(key(args[1]));
      default:
        throw new TypeError(`unknown KeyValueStore operation ${JSON.stringify(op)}`);
    }
  }

  private get([name]: unknown[]): unknown {
    const value = this.#data.get(key(name));
    return value instanceof Cache ? { cache: value.name, maxSize: value.maxSize, size: value.records.size } : value;
  }

  private append([name, value]: unknown[]): unknown[] {
    const existing = this.#data.get(key(name));
    if (existing === undefined) {
      const list = [value];
      this.#data.set(name as string, list);
      return list;
    }
    if (!Array.isArray(existing)) throw new TypeError(`cannot append to '${name}': its value is not a list`);
    existing.push(value);
    return existing;
  }

  private pop([name, index]: unknown[]): unknown {
    const existing = this.#data.get(key(name));
    if (existing === undefined) return undefined;
    if (!Array.isArray(existing)) throw new TypeError(`cannot pop from '${name}': its value is not a list`);
    if (!Number.isInteger(index)) throw new TypeError(`popValue index must be an integer, got ${String(index)}`);
    const at = (index as number) < 0 ? existing.length + (index as number) : (index as number);
    if (at < 0 || at >= existing.length) return undefined;
    return existing.splice(at, 1)[0];
  }

  private dump(): string {
    const path = resolve(`kvs_dump_${BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)}.json`);
    writeFileSync(path, JSON.stringify(Object.fromEntries(this.#data), jsonReplacer, 2));
    return path;
  }

  private initCache([name, clearExisting, maxSize]: unknown[]): object {
    const cacheName = key(name);
    const size = maxSize ?? 128;
    if (!Number.isInteger(size) || (size as number) < 1) throw new RangeError(`initCache maxSize must be a positive integer, got ${String(size)}`);
    const existing = this.#data.get(cacheName);
    if (existing !== undefined && !clearExisting) {
      throw new ValueAlreadySet(`Value already set for key '${cacheName}': ${abbreviate(existing)}`);
    }
    this.#data.set(cacheName, new Cache(cacheName, size as number));
    return { cacheName, clearExisting: Boolean(clearExisting), maxSize: size };
  }

  private cachePut([name, recordName, value]: unknown[]): object {
    this.cache(name).put(key(recordName), value);
    return { cacheName: name, recordName, recordValue: value };
  }

  private cache(name: unknown): Cache {
    const cache = this.#data.get(key(name));
    if (!(cache instanceof Cache)) throw new UninitializedCache(`Cache '${String(name)}' has not been initialized.`);
    return cache;
  }
}

function key(value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`keys must be strings, got ${value === null ? "null" : typeof value}`);
  return value;
}

function abbreviate(value: unknown): string {
  const text = value instanceof Cache ? `<cache '${value.name}'>` : JSON.stringify(value, jsonReplacer) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** JSON for what structured clone allows: Maps, Sets, BigInts, typed arrays, caches. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Cache) return { cache: value.name, maxSize: value.maxSize, records: Object.fromEntries(value.records) };
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (typeof value === "bigint") return value.toString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}
