import { serialize } from "node:v8";
import { Cache } from "./cache.js";
import { OPERATIONS, type KeySpace } from "./ops.js";
import type { Store } from "./store.js";
import type { TransactionOp } from "../wire/kvs.js";
import type { SetOptions, TransactionStore } from "../wire/transaction-store.js";

const DELETED = Symbol("deleted");
type Entry = { value: unknown; ttlMs?: number | "keep" } | typeof DELETED;

/**
 * A transaction's journal over the store: reads copy a value into the journal the first time
 * (so changing it in place changes only the copy), writes and deletes go to the journal, and
 * `commit` applies it all at once. Until then the store is untouched, so dropping the journal is
 * the rollback.
 */
class Journal implements KeySpace {
  readonly entries = new Map<string, Entry>();
  constructor(readonly base: Store) {}

  read(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry !== undefined) return entry === DELETED ? undefined : entry.value;
    const value = this.base.read(key);
    // Caches are only described inside a transaction, never changed in place: no copy needed.
    if (value === undefined || value instanceof Cache) return value;
    const copy = structuredClone(value);
    this.entries.set(key, { value: copy, ttlMs: "keep" });
    return copy;
  }

  has(key: string): boolean {
    const entry = this.entries.get(key);
    return entry === undefined ? this.base.has(key) : entry !== DELETED;
  }

  write(key: string, value: unknown, ttlMs?: number | "keep"): void {
    const earlier = this.entries.get(key);
    // "keep" after a write in this transaction keeps that write's TTL, not the store's
    const keep = ttlMs === "keep" && earlier !== undefined && earlier !== DELETED ? earlier.ttlMs : ttlMs;
    this.entries.set(key, { value, ttlMs: ttlMs === "keep" && earlier === DELETED ? undefined : keep });
  }

  remove(key: string): boolean {
    const existed = this.has(key);
    this.entries.set(key, DELETED);
    return existed;
  }

  *keys(): IterableIterator<string> {
    for (const key of this.base.keys()) if (this.entries.get(key) !== DELETED) yield key;
    for (const [key, entry] of this.entries) if (entry !== DELETED && !this.base.has(key)) yield key;
  }
}

/**
 * The `store` a transaction function receives (TransactionStore): the usual operations, on a
 * journal. Closed when the transaction ends, so a reference kept past it cannot change anything.
 */
export class TransactionView implements TransactionStore {
  #journal: Journal;
  #open = true;

  constructor(store: Store) {
    this.#journal = new Journal(store);
  }

  getValue<T>(key: string): T | undefined {
    return this.#run("get", [key]) as T | undefined;
  }
  setValue<T>(key: string, value: T, options?: SetOptions): T {
    return this.#run("set", [key, value, options]) as T;
  }
  deleteValue(key: string): boolean {
    return this.#run("delete", [key]) as boolean;
  }
  exists(key: string): boolean {
    return this.#run("exists", [key]) as boolean;
  }
  keys(pattern?: string): string[] {
    return this.#run("keys", [pattern]) as string[];
  }
  incrValue(key: string, by?: number): number;
  incrValue(key: string, by: bigint): bigint;
  incrValue(key: string, by?: number | bigint): number | bigint {
    return this.#run("incr", [key, by]) as number;
  }
  compareAndSet<T>(key: string, expected: unknown, next: T): boolean {
    return this.#run("compareAndSet", [key, expected, next]) as boolean;
  }
  appendValue<T>(key: string, value: T): T[] {
    return this.#run("append", [key, value]) as T[];
  }
  popValue<T>(key: string, index: number): T | undefined {
    return this.#run("pop", [key, index]) as T | undefined;
  }
  pushValue<T>(key: string, ...values: T[]): number {
    return this.#run("push", [key, ...values]) as number;
  }
  shiftValue<T>(key: string): T | undefined {
    return this.#run("shift", [key]) as T | undefined;
  }
  hashSet<T>(key: string, field: string, value: T): T {
    return this.#run("hashSet", [key, field, value]) as T;
  }
  hashGet<T>(key: string, field: string): T | undefined {
    return this.#run("hashGet", [key, field]) as T | undefined;
  }
  hashGetAll<T>(key: string): Map<string, T> {
    return this.#run("hashGetAll", [key]) as Map<string, T>;
  }
  hashIncr(key: string, field: string, by?: number): number;
  hashIncr(key: string, field: string, by: bigint): bigint;
  hashIncr(key: string, field: string, by?: number | bigint): number | bigint {
    return this.#run("hashIncr", [key, field, by]) as number;
  }
  hashDelete(key: string, field: string): boolean {
    return this.#run("hashDelete", [key, field]) as boolean;
  }

  /**
   * Checks every value the transaction wrote (or read and could have changed) can be stored, then
   * applies them to the store. Throws, leaving the store as it was, if one cannot.
   */
  commit(maxValueBytes: number): void {
    this.close();
    const { entries, base } = this.#journal;
    for (const [key, entry] of entries) {
      if (entry === DELETED || entry.value instanceof Cache) continue;
      let bytes: number;
      try {
        bytes = serialize(entry.value).length;
      } catch (error) {
        throw new TypeError(`the transaction wrote a value under '${key}' that cannot be stored: ${(error as Error).message}`);
      }
      if (bytes > maxValueBytes)
        throw new RangeError(`the transaction wrote ${bytes} bytes under '${key}', over STRMBRKR_KVS_MAX_VALUE_BYTES (${maxValueBytes})`);
    }
    for (const [key, entry] of entries) {
      if (entry === DELETED) base.remove(key);
      else base.write(key, entry.value, entry.ttlMs);
    }
  }

  close(): void {
    this.#open = false;
  }

  #run(op: TransactionOp, args: unknown[]): unknown {
    if (!this.#open) throw new Error("this transaction has ended: its store can no longer be used");
    return OPERATIONS[op](this.#journal, args);
  }
}
