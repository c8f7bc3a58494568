import type { KvsClient } from "../runtime/client/kvs-client.js";
import type { SetOptions, TransactionFunction, TransactionStore } from "../runtime/wire/transaction-store.js";
import type { KvsOp } from "../runtime/wire/kvs.js";
import { currentRun } from "./run-context.js";

function call<T>(op: KvsOp, ...args: unknown[]): Promise<T> {
  let client: KvsClient | undefined;
  try {
    client = currentRun().readyKvsClient;
  } catch (error) {
    return Promise.reject(error);
  }
  // Once connected, straight to the client: no await of the connection on every request.
  return (client ? client.request(op, args) : callWhenConnected(op, args)) as Promise<T>;
}

async function callWhenConnected(op: KvsOp, args: unknown[]): Promise<unknown> {
  const client = await currentRun().kvsClient();
  return await client.request(op, args);
}

export interface InitCacheOptions {
  /** Replace whatever is stored under the name instead of throwing ValueAlreadySet. */
  clearExisting?: boolean;
  /** Records kept before the least recently used is evicted. Default 128. */
  maxSize?: number;
}

type TransactionArgs<F> = F extends (store: TransactionStore, ...args: infer A) => unknown ? A : never;

/**
 * The run's shared key-value store, reachable from `main` and from every job (also as the
 * global `KeyValueStore`). Every operation runs whole on the server, one at a time, so each is
 * atomic; `transact` makes your own. Values are anything structured clone supports. A request
 * unanswered within STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT ms (times …_ATTEMPTS) rejects with
 * TransactionTimeout. docs/kvs.md has an example of each operation.
 *
 * ```ts
 * await KeyValueStore.setValue("best", 0.5);
 * const best = await KeyValueStore.getValue<number>("best");
 * ```
 */
export class KeyValueStore {
  private constructor() {}

  /** The value under `key`, or undefined (also once its TTL has passed). */
  static getValue<T = unknown>(key: string): Promise<T | undefined> {
    return call("get", key);
  }

  /**
   * Stores `value` under `key`; resolves with the value now stored. `ttl` (seconds) makes it expire;
   * without it, any earlier TTL is cleared. With `onlyIfAbsent`, an existing value is kept and
   * resolved instead.
   */
  static setValue<T>(key: string, value: T, options?: SetOptions): Promise<T> {
    return options === undefined ? call("set", key, value) : call("set", key, value, options);
  }

  /** Deletes `key`; resolves true if it was there. */
  static deleteValue(key: string): Promise<boolean> {
    return call("delete", key);
  }

  /** True if `key` holds a value (that has not expired). */
  static exists(key: string): Promise<boolean> {
    return call("exists", key);
  }

  /** The keys matching a glob (`*`, `?`, `[a-z]`, `[^a]`, `\` escapes), sorted. Walks every key: for inspection, not hot paths. */
  static keys(globPattern = "*"): Promise<string[]> {
    return call("keys", globPattern);
  }

  /**
   * Adds `by` (default 1) to the number or BigInt under `key` (missing counts as 0); resolves with
   * the sum. TypeError for any other value. Keeps the key's TTL.
   */
  static incrValue(key: string, by?: number): Promise<number>;
  static incrValue(key: string, by: bigint): Promise<bigint>;
  static incrValue(key: string, by: number | bigint = 1): Promise<number | bigint> {
    return call("incr", key, by);
  }

  /** Stores `next` only if `key` holds a value deep-equal to `expected` (undefined: absent); resolves true if it did. Keeps the key's TTL. */
  static compareAndSet<T>(key: string, expected: unknown, next: T): Promise<boolean> {
    return call("compareAndSet", key, expected, next);
  }

  /** Appends to the list under `key` (made if missing); resolves with the list. TypeError if the value is not a list. */
  static appendValue<T = unknown>(key: string, value: T): Promise<T[]> {
    return call("append", key, value);
  }

  /** Removes and returns the element at `index` (negative counts from the end) of the list under `key`; undefined when missing. TypeError if not a list. */
  static popValue<T = unknown>(key: string, index: number): Promise<T | undefined> {
    return call("pop", key, index);
  }

  /** Adds values at the end of the list under `key` (made if missing); resolves with its new length (not the list: cheap for long lists). */
  static pushValue<T = unknown>(key: string, ...values: T[]): Promise<number> {
    return call("push", key, ...values);
  }

  /** Removes and returns the first element of the list under `key`; undefined when missing or empty. With pushValue, a FIFO queue. */
  static shiftValue<T = unknown>(key: string): Promise<T | undefined> {
    return call("shift", key);
  }

  /** Sets `field` of the hash (a Map) under `key`, made if missing; resolves with the value. TypeError if the key holds something else. */
  static hashSet<T>(key: string, field: string, value: T): Promise<T> {
    return call("hashSet", key, field, value);
  }

  /** One field of the hash under `key`, or undefined. */
  static hashGet<T = unknown>(key: string, field: string): Promise<T | undefined> {
    return call("hashGet", key, field);
  }

  /** The whole hash under `key` as a Map (empty if missing). */
  static hashGetAll<T = unknown>(key: string): Promise<Map<string, T>> {
    return call("hashGetAll", key);
  }

  /** Adds `by` (default 1) to a number or BigInt field of the hash under `key`; resolves with the sum. */
  static hashIncr(key: string, field: string, by?: number): Promise<number>;
  static hashIncr(key: string, field: string, by: bigint): Promise<bigint>;
  static hashIncr(key: string, field: string, by: number | bigint = 1): Promise<number | bigint> {
    return call("hashIncr", key, field, by);
  }

  /** Deletes a field of the hash under `key`; resolves true if it was there. */
  static hashDelete(key: string, field: string): Promise<boolean> {
    return call("hashDelete", key, field);
  }

  /**
   * Runs an exported, synchronous function of the job script on the server, atomically:
   * `fn(store, ...args)`, where `store` (TransactionStore) has these operations, synchronous. Its
   * writes are kept only if it returns; if it throws, the store is unchanged and the error reaches
   * you (a TypeError as a TypeError, with the function's own lines in the stack). Past
   * STRMBRKR_KVS_TRANSACTION_TIMEOUT ms it is stopped: TransactionAborted (the call waits for that
   * answer STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT + 3 × that limit; the store may rerun a starved
   * transaction twice). Resolves with its result.
   * TypeError for a function that is not an export, or is async.
   *
   * ```ts
   * export function claim(store: TransactionStore, task: string, worker: string) {
   *   if (store.hashGet("owners", task) !== undefined) return false;
   *   store.hashSet("owners", task, worker);
   *   return true;
   * }
   * const mine = await KeyValueStore.transact(claim, "task-7", "w1");
   * ```
   */
  static async transact<F extends TransactionFunction>(fn: F | string, ...args: TransactionArgs<F>): Promise<Awaited<ReturnType<F>>> {
    // `return await` keeps this frame in the async stack, so a rejection points at the caller's line
    return await call<Awaited<ReturnType<F>>>("transact", await exportName(fn), ...args);
  }

  /** Deletes every key; resolves with `{}`. */
  static flush(): Promise<Record<string, never>> {
    return call("flush");
  }

  /** Writes the whole store to `kvs_dump_<nanoseconds>.json` in the host's working directory; resolves with its path. */
  static dump(): Promise<string> {
    return call("dump");
  }

  /** Checks the server answers; resolves with its pid, key count and uptime. */
  static pingServer(): Promise<{ pid: number; keys: number; uptimeSeconds: number }> {
    return call("ping");
  }

  /** Makes an LRU cache under `name`. ValueAlreadySet if the name holds a value, unless `clearExisting`. */
  static initCache(
    name: string,
    { clearExisting = false, maxSize = 128 }: InitCacheOptions = {},
  ): Promise<{ cacheName: string; clearExisting: boolean; maxSize: number }> {
    return call("initCache", name, clearExisting, maxSize);
  }

  /** Stores a record in a cache, evicting the least recently used past its size. UninitializedCache if `name` is not a cache. */
  static cachePut<T>(name: string, recordName: string, value: T): Promise<{ cacheName: string; recordName: string; recordValue: T }> {
    return call("cachePut", name, recordName, value);
  }

  /** A record from a cache. UninitializedCache if `name` is not a cache; CacheMiss if the record is absent. */
  static cacheGrab<T = unknown>(name: string, recordName: string): Promise<T> {
    return call("cacheGrab", name, recordName);
  }

  /**
   * Stops the server (writing its snapshot first with `--kvs-snapshot`); the next operation starts a
   * fresh one (empty, or loaded from the snapshot). Only the run's host (`main`, or the program
   * using the library) may stop its store: in a job it rejects, and no request over a socket can.
   */
  static async stopServerProcess(): Promise<void> {
    const run = currentRun();
    if (run.kind !== "host")
      throw new Error("KeyValueStore.stopServerProcess(): the store belongs to the run's host; call it in main, not in a job");
    await run.stopKvs();
  }
}

/** The export name a transaction travels by, as for jobs; TypeError when `fn` is not an export. */
async function exportName(fn: TransactionFunction | string): Promise<string> {
  if (typeof fn === "string" && fn !== "") return fn; // the server checks it against the script
  if (typeof fn !== "function")
    throw new TypeError(`KeyValueStore.transact: fn must be an exported function or its name, got ${fn === null ? "null" : typeof fn}`);
  return currentRun().script.nameOfLoaded(fn, "KeyValueStore.transact", "transactions");
}
