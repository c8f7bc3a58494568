/**
 * The public types of KeyValueStore options and of the store a transaction is given. Types only:
 * the server's implementation is `TransactionView` (view.ts).
 */

/** Options of `KeyValueStore.setValue`. */
export interface SetOptions {
  /** Seconds until the key expires; every read after that finds it absent. Without it, a set clears any earlier TTL. */
  ttl?: number;
  /** Store only if the key is absent; otherwise leave it and resolve with the value already there. */
  onlyIfAbsent?: boolean;
}

/**
 * What a transaction function receives: the KeyValueStore operations, synchronous, on a private
 * view of the store. Writes are kept only if the function returns normally; if it throws, runs past
 * STRMBRKR_KVS_TRANSACTION_TIMEOUT, or returns something that cannot be sent back, the store is
 * left exactly as it was. Values read are the transaction's own copies: changing one in place is
 * a write, committed with the rest.
 *
 * ```ts
 * export function transfer(store: TransactionStore, from: string, to: string, amount: number) {
 *   const balance = store.getValue<number>(from) ?? 0;
 *   if (balance < amount) throw new RangeError(`${from} has only ${balance}`);
 *   store.incrValue(from, -amount);
 *   return store.incrValue(to, amount);
 * }
 * ```
 */
export interface TransactionStore {
  getValue<T = unknown>(key: string): T | undefined;
  /** Resolves like `KeyValueStore.setValue`: the value now stored. */
  setValue<T>(key: string, value: T, options?: SetOptions): T;
  deleteValue(key: string): boolean;
  exists(key: string): boolean;
  keys(pattern?: string): string[];
  incrValue(key: string, by?: number): number;
  incrValue(key: string, by: bigint): bigint;
  compareAndSet<T>(key: string, expected: unknown, next: T): boolean;
  appendValue<T = unknown>(key: string, value: T): T[];
  popValue<T = unknown>(key: string, index: number): T | undefined;
  pushValue<T = unknown>(key: string, ...values: T[]): number;
  shiftValue<T = unknown>(key: string): T | undefined;
  hashSet<T>(key: string, field: string, value: T): T;
  hashGet<T = unknown>(key: string, field: string): T | undefined;
  hashGetAll<T = unknown>(key: string): Map<string, T>;
  hashIncr(key: string, field: string, by?: number): number;
  hashIncr(key: string, field: string, by: bigint): bigint;
  hashDelete(key: string, field: string): boolean;
}

/** An exported function of the job script that `KeyValueStore.transact` can run on the server. */
export type TransactionFunction = (store: TransactionStore, ...args: any[]) => unknown;
