/** The key-value store's channel: clients (DEALER, or the local socket) and the server (ROUTER). */

// ---- KVS: client (DEALER) <-> server (ROUTER), or the same messages on the local socket -----------
// client -> server: [requestId (4 bytes, u32 BE), op, args]              one request
// client -> server: [empty, packed requests]                            a batch (runtime/wire/kvs-batch.ts)
// server -> client: [requestId, KvsStatus, value | encode(ErrorInfo)]   one answer
// server -> client: [empty, packed answers]                             a batch, in request order
// args / value: encode(...) (structured clone, first byte 0xFF) or, for primitives, the compact form
// of runtime/wire/kvs-codec.ts; compact answers only in batches or to compact requests.
// The local socket (runtime/kvs/local.ts, unix://<runDir>/kvs-local.sock): the local framing, no routing-id message.
// "transact" args: [exportName, ...args]; docs/kvs.md lists every op's arguments. No op stops the
// store: its host does, over the private IPC channel (a signal), never a socket anyone admitted reaches.

/** What the code derives from an op, beside its name. */
interface KvsOpSpec {
  /**
   * It never changes the store: its answer is not kept for resends, and it does not make a snapshot
   * due. `dump` is not read-only: it writes a file, which a resend must not write again.
   */
  readonly readOnly: boolean;
  /** The `KeyValueStore` method that sends it; none for `entries` (`strmbrkr kvs dump` sends it) and `overview` (the dashboard). */
  readonly method: string | null;
  /**
   * The store a `transact` function is given (`TransactionStore`) has that method too. Not the ops on
   * the whole store, nor caches (changed in place, beyond a transaction's journal), nor `transact`.
   */
  readonly inTransaction: boolean;
}

/**
 * Every store operation, by wire name: the one list the protocol, the read-only set, the server's
 * dispatch (runtime/kvs/handlers.ts, keyed by these names: an op missing there, or one not listed
 * here, fails to compile) and test/kvs-op-table.test.ts (the public methods exist) derive from.
 */
export const KVS_OPS = {
  ping: { readOnly: true, method: "pingServer", inTransaction: false },
  get: { readOnly: true, method: "getValue", inTransaction: true },
  set: { readOnly: false, method: "setValue", inTransaction: true },
  append: { readOnly: false, method: "appendValue", inTransaction: true },
  pop: { readOnly: false, method: "popValue", inTransaction: true },
  flush: { readOnly: false, method: "flush", inTransaction: false },
  dump: { readOnly: false, method: "dump", inTransaction: false },
  initCache: { readOnly: false, method: "initCache", inTransaction: false },
  cachePut: { readOnly: false, method: "cachePut", inTransaction: false },
  cacheGrab: { readOnly: true, method: "cacheGrab", inTransaction: false },
  delete: { readOnly: false, method: "deleteValue", inTransaction: true },
  exists: { readOnly: true, method: "exists", inTransaction: true },
  keys: { readOnly: true, method: "keys", inTransaction: true },
  incr: { readOnly: false, method: "incrValue", inTransaction: true },
  compareAndSet: { readOnly: false, method: "compareAndSet", inTransaction: true },
  push: { readOnly: false, method: "pushValue", inTransaction: true },
  shift: { readOnly: false, method: "shiftValue", inTransaction: true },
  hashSet: { readOnly: false, method: "hashSet", inTransaction: true },
  hashGet: { readOnly: true, method: "hashGet", inTransaction: true },
  hashGetAll: { readOnly: true, method: "hashGetAll", inTransaction: true },
  hashIncr: { readOnly: false, method: "hashIncr", inTransaction: true },
  hashDelete: { readOnly: false, method: "hashDelete", inTransaction: true },
  transact: { readOnly: false, method: "transact", inTransaction: false },
  entries: { readOnly: true, method: null, inTransaction: false },
  overview: { readOnly: true, method: null, inTransaction: false },
} as const satisfies Record<string, KvsOpSpec>;
export type KvsOp = keyof typeof KVS_OPS;
/** The ops a transaction's store runs (runtime/kvs/view.ts). */
export type TransactionOp = { [Op in KvsOp]: (typeof KVS_OPS)[Op]["inTransaction"] extends true ? Op : never }[KvsOp];
/** True for the ops of KVS_OPS, not for other strings (`toString` included). */
export const isKvsOp = (op: string): op is KvsOp => Object.hasOwn(KVS_OPS, op);
/** Ops that never change the store: not kept for resends, not counted as changes for snapshots. */
export const KVS_READ_ONLY_OPS: ReadonlySet<string> = new Set(
  Object.entries(KVS_OPS).flatMap(([op, { readOnly }]) => (readOnly ? [op] : [])),
);
export const KvsStatus = { OK: "ok", ERROR: "error" } as const;
/**
 * Times the store may run one `transact` before it answers: a transaction stopped by
 * STRMBRKR_KVS_TRANSACTION_TIMEOUT while starved of CPU is run again, up to twice. Clients wait
 * that long for it (runtime/client/kvs-client.ts transactTimeoutMs).
 */
export const KVS_TRANSACTION_MAX_RUNS = 3;
/** A running store writes its endpoint to this file in the run directory, for `strmbrkr kvs --instance`. */
export const KVS_ENDPOINT_FILE = "kvs.endpoint";
