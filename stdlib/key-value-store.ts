import { getInstance } from "../runtime/instance.js";
import type { KvsOp } from "../runtime/protocol.js";

async function call<T>(op: KvsOp, ...args: unknown[]): Promise<T> {
  const client = await getInstance().kvsClient();
  return (await client.request(op, args)) as T;
}

export interface InitCacheOptions {
  /** Replace whatever is stored under the name instead of throwing ValueAlreadySet. */
  clearExisting?: boolean;
  /** Records kept before the least recently used is evicted. Default 128. */
  maxSize?: number;
}

/**
 * The run's shared key-value store, reachable from `main` and from every job (also as the
 * global `KeyValueStore`). Every operation runs whole on the server, one at a time.
 * Values are anything structured clone supports. A request unanswered within
 * STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT ms (times …_ATTEMPTS) rejects with TransactionTimeout.
 *
 * ```ts
 * await KeyValueStore.setValue("best", 0.5);
 * const best = await KeyValueStore.getValue<number>("best");
 * ```
 */
export class KeyValueStore {
  private constructor() {}

  /** The value under `key`, or undefined. */
  static getValue<T = unknown>(key: string): Promise<T | undefined> {
    return call("get", key);
  }

  /** Stores `value` under `key`; resolves with the value. */
  static setValue<T>(key: string, value: T): Promise<T> {
    return call("set", key, value);
  }

  /** Appends to the list under `key` (made if missing); resolves with the list. TypeError if the value is not a list. */
  static appendValue<T = unknown>(key: string, value: T): Promise<T[]> {
    return call("append", key, value);
  }

  /** Removes and returns the element at `index` (negative counts from the end) of the list under `key`; undefined when missing. TypeError if not a list. */
  static popValue<T = unknown>(key: string, index: number): Promise<T | undefined> {
    return call("pop", key, index);
  }

  /** Deletes every key; resolves with `{}`. */
  static flush(): Promise<Record<string, never>> {
    return call("flush");
  }

  /** Writes the whole store to `kvs_dump_<nanoseconds>.json` in the host's working directory; resolves with the file's path. */
  static dump(): Promise<string> {
    return call("dump");
  }

  /** Checks the server answers; resolves with its pid, key count and uptime. */
  static pingServer(): Promise<{ pid: number; keys: number; uptimeSeconds: number }> {
    return call("ping");
  }

  /** Makes an LRU cache under `name`. ValueAlreadySet if the name holds a value, unless `clearExisting`. */
  static initCache(name: string, { clearExisting = false, maxSize = 128 }: InitCacheOptions = {}): Promise<{ cacheName: string; clearExisting: boolean; maxSize: number }> {
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

  /** Stops the server (its data is gone); the next operation starts a fresh one in the host. */
  static async stopServerProcess(): Promise<void> {
    const instance = getInstance();
    await call("shutdown");
    await instance.kvsStopped();
  }
}
