import { CacheMiss } from "../util/errors.js";

/** An LRU cache stored under one key: Map order is recency order. */
export class Cache {
  readonly records = new Map<string, unknown>();
  constructor(
    readonly name: string,
    readonly maxSize: number,
  ) {}

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

  /** What `getValue` shows for a cache: its records stay behind cacheGrab. */
  describe(): { cache: string; maxSize: number; size: number } {
    return { cache: this.name, maxSize: this.maxSize, size: this.records.size };
  }
}

/** JSON for what structured clone allows: Maps, Sets, BigInts, typed arrays, caches. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Cache) return { cache: value.name, maxSize: value.maxSize, records: Object.fromEntries(value.records) };
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (typeof value === "bigint") return value.toString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** A value in at most 80 characters, for error messages. */
export function abbreviate(value: unknown): string {
  const text = value instanceof Cache ? `<cache '${value.name}'>` : (JSON.stringify(value, jsonReplacer) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
