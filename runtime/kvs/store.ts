import { resolve } from "node:path";
import { safeWriteFileSync } from "../util/safe-write.js";
import { Cache, jsonReplacer } from "./cache.js";
import type { KeySpace } from "./ops.js";
import { summarize } from "./summarize.js";
import type { StoreEntryView } from "../wire/dashboard.js";

/** One key as a snapshot keeps it: a value or a cache, and when it expires (epoch ms). */
export interface SnapshotEntry {
  key: string;
  value?: unknown;
  cache?: { maxSize: number; records: [string, unknown][] };
  expiresAt?: number;
}

/**
 * The key-value store's data and operations. Each operation runs whole before the next starts
 * (the server is single-threaded), so each is atomic. Keys with a TTL are dropped when a read
 * finds them expired, and by `purgeExpired`, which the server calls now and then to free memory.
 */
export class Store implements KeySpace {
  #data = new Map<string, unknown>();
  #expiry = new Map<string, number>();
  #changes = 0;

  /** Requests that could have changed the data since start: a snapshot is due when it moved. */
  get changes(): number {
    return this.#changes;
  }

  /** Counts a request that could change the data, whether or not it did. */
  /** Requests served, for the dashboard and /metrics. */
  operations = 0;

  countChange(): void {
    this.#changes++;
  }

  get size(): number {
    this.purgeExpired();
    return this.#data.size;
  }

  read(key: string): unknown {
    if (this.#expiry.size !== 0 && this.#expired(key)) return undefined;
    return this.#data.get(key);
  }

  has(key: string): boolean {
    if (this.#expiry.size !== 0 && this.#expired(key)) return false;
    return this.#data.has(key);
  }

  write(key: string, value: unknown, ttlMs?: number | "keep"): void {
    this.#data.set(key, value);
    if (ttlMs === "keep") return;
    if (ttlMs === undefined) {
      if (this.#expiry.size !== 0) this.#expiry.delete(key);
    } else this.#expiry.set(key, Date.now() + ttlMs);
  }

  remove(key: string): boolean {
    if (this.#expiry.size !== 0 && this.#expired(key)) return false;
    this.#expiry.delete(key);
    return this.#data.delete(key);
  }

  *keys(): IterableIterator<string> {
    for (const key of this.#data.keys()) if (this.#expiry.size === 0 || !this.#expired(key)) yield key;
  }

  clear(): void {
    this.#data.clear();
    this.#expiry.clear();
  }

  /** Every live key and its value (a cache described), for `strmbrkr kvs dump`. */
  entries(): Map<string, unknown> {
    return new Map([...this.keys()].map((k) => [k, this.#shown(k)]));
  }

  /**
   * How many keys, and the first `limit` (insertion order: O(limit), however big the store) with
   * their type, size and a short preview, for the dashboard.
   */
  overview(limit: number): { keys: number; operations: number; entries: StoreEntryView[] } {
    const entries: StoreEntryView[] = [];
    for (const key of this.keys()) {
      if (entries.length >= limit) break;
      entries.push({ key, ...summarize(this.#shown(key)) });
    }
    return { keys: this.size, operations: this.operations, entries };
  }

  /** Drops every expired key; O(keys with a TTL). */
  purgeExpired(now = Date.now()): void {
    for (const [key, at] of this.#expiry) {
      if (at <= now) {
        this.#expiry.delete(key);
        this.#data.delete(key);
      }
    }
  }

  /** Every live key, for a snapshot; values are shared, not copied (the caller serialises at once). */
  toSnapshot(): SnapshotEntry[] {
    this.purgeExpired();
    const entries: SnapshotEntry[] = [];
    for (const [key, value] of this.#data) {
      const expiresAt = this.#expiry.get(key);
      const entry: SnapshotEntry =
        value instanceof Cache ? { key, cache: { maxSize: value.maxSize, records: [...value.records] } } : { key, value };
      if (expiresAt !== undefined) entry.expiresAt = expiresAt;
      entries.push(entry);
    }
    return entries;
  }

  /** Replaces the data with a snapshot's; keys that expired meanwhile are left out. */
  load(entries: SnapshotEntry[], now = Date.now()): void {
    this.#data.clear();
    this.#expiry.clear();
    for (const { key, value, cache, expiresAt } of entries) {
      if (expiresAt !== undefined && expiresAt <= now) continue;
      if (cache) {
        const restored = new Cache(key, cache.maxSize);
        for (const [name, record] of cache.records) restored.records.set(name, record);
        this.#data.set(key, restored);
      } else this.#data.set(key, value);
      if (expiresAt !== undefined) this.#expiry.set(key, expiresAt);
    }
  }

  #expired(key: string): boolean {
    const at = this.#expiry.get(key);
    if (at === undefined || at > Date.now()) return false;
    this.#expiry.delete(key);
    this.#data.delete(key);
    return true;
  }

  #shown(key: string): unknown {
    const value = this.#data.get(key);
    return value instanceof Cache ? value.describe() : value;
  }

  /** Writes every live key to `kvs_dump_<nanoseconds>.json` in the working directory; returns its path. */
  dump(): string {
    const path = resolve(`kvs_dump_${BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)}.json`);
    this.purgeExpired();
    // In the store process's working directory (the owner's), and private: it holds every value.
    safeWriteFileSync(path, JSON.stringify(Object.fromEntries(this.#data), jsonReplacer, 2));
    return path;
  }
}
