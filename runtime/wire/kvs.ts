/** The key-value store's channel: clients (DEALER, or the local socket) and the server (ROUTER). */

// ---- KVS: client (DEALER) <-> server (ROUTER), or the same messages on the local socket -----------
// client -> server: [requestId (4 bytes, u32 BE), op, args]              one request
// client -> server: [empty, packed requests]                            a batch (runtime/wire/kvs-batch.ts)
// server -> client: [requestId, KvsStatus, value | encode(ErrorInfo)]   one answer
// server -> client: [empty, packed answers]                             a batch, in request order
// args / value: encode(...) (structured clone, first byte 0xFF) or, for primitives, the compact form
// of runtime/wire/kvs-codec.ts; compact answers only in batches or to compact requests.
// The local socket (KVS_LOCAL_SOCKET, runtime/kvs/local.ts): the local framing, no routing-id message.
// "transact" args: [exportName, ...args]; docs/kvs.md lists every op's arguments. No op stops the
// store: its host does, over the private IPC channel (a signal), never a socket anyone admitted reaches.
export const KVS_OPS = [
  "ping", "get", "set", "append", "pop", "flush", "dump", "initCache", "cachePut", "cacheGrab",
  "delete", "exists", "keys", "incr", "compareAndSet", "push", "shift",
  "hashSet", "hashGet", "hashGetAll", "hashIncr", "hashDelete", "transact", "entries",
] as const;
export type KvsOp = (typeof KVS_OPS)[number];
export const KvsStatus = { OK: "ok", ERROR: "error" } as const;
/** Ops that never change the store: not kept for resends, not counted as changes for snapshots. */
export const KVS_READ_ONLY_OPS: ReadonlySet<string> = new Set<KvsOp>([
  "ping", "get", "cacheGrab", "exists", "keys", "hashGet", "hashGetAll", "entries",
]);
/**
 * Times the store may run one `transact` before it answers: a transaction stopped by
 * STRMBRKR_KVS_TRANSACTION_TIMEOUT while starved of CPU is run again, up to twice. Clients wait
 * that long for it (runtime/client/kvs-client.ts transactTimeoutMs).
 */
export const KVS_TRANSACTION_MAX_RUNS = 3;
/** A running store writes its endpoint to this file in the run directory, for `strmbrkr kvs --instance`. */
export const KVS_ENDPOINT_FILE = "kvs.endpoint";
/** The store's local socket (a unix socket in the run directory): the same messages as above, for clients on this machine. */
export const KVS_LOCAL_SOCKET = "kvs-local.sock";
