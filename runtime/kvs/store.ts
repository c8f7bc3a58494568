import { resolve } from "node:path";
import type { KvsOp } from "../wire/kvs.js";
import { safeWriteFileSync } from "../util/safe-write.js";
import { Cache, jsonReplacer } from "./cache.js";
import { OPERATIONS, type KeySpace } from "./ops.js";

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

  /** Counts a request that could change the data, whether it goes through `apply` or a transaction. */
  countChange(): void {
    this.#changes++;
  }

  /** Runs `op` (not "transact", which the server handles); throws TypeError for unknown ones or bad arguments. */
  apply(op: KvsOp, args: unknown[]): unknown {
    switch (op) {
      case "ping":
        return { pid: process.pid, keys: this.size, uptimeSeconds: process.uptime() };
      case "flush":
        this.#data.clear();
        this.#expiry.clear();
        return {};
      case "dump":
        return this.#dump();
      case "entries":
        return new Map([...this.keys()].map((k) => [k, this.#shown(k)]));
    }
    const operation = OPERATIONS[op];
    if (!operation) throw new TypeError(`unknown KeyValueStore operation ${JSON.stringify(op)}`);
    return operation(this, args);
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

  #dump(): string {
    const path = resolve(`kvs_dump_${BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)}.json`);
    this.purgeExpired();
    // In the store process's working directory (the owner's), and private: it holds every value.
    safeWriteFileSync(path, JSON.stringify(Object.fromEntries(this.#data), jsonReplacer, 2));
    return path;
  }
}
