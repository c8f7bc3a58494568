/**
 * Every frame, command and message that crosses a socket or an IPC channel. Both sides import
 * from here; docs/protocol.md describes the same frames for people.
 */
import type { Config } from "./config.js";
import type { ErrorInfo } from "../stdlib/errors.js";
import type { CurveClientKeys } from "./curve.js";

export const PROTOCOL_VERSION = 1;

/** Room for a message's own fields beyond the payload it carries, in bytes. */
export const FRAME_OVERHEAD_BYTES = 1024 * 1024;

/** Environment variable that hands a child process its RuntimeContext (JSON). */
export const RUNTIME_ENV = "STRMBRKR_RUNTIME";
/** The context of a process forked before it was known (runtime/children.ts forkEarly): its owner's first IPC message. */
export interface ContextMessage {
  type: "context";
  context: RuntimeContext;
}

/** What a child process needs to know about the run it belongs to. */
export interface RuntimeContext {
  config: Config;
  runDir: string;
  /** Set for workers: where they take jobs, submit nested jobs, and reach the KVS. */
  backend?: string;
  frontend?: string;
  kvs?: string;
  bundle?: string;
  poolId?: number;
  workerId?: string;
  /** Hub and KVS of a host run with --listen: where and how remote processes reach them. */
  listen?: ListenContext;
  /** A restarted KVS binds its predecessor's remote endpoint again. */
  remoteKvs?: string;
  /** Remote workers: CURVE keys for their connections to the host (absent with --insecure). */
  curve?: CurveClientKeys;
  /** Remote workers: their supervisor's secret, the end of their routing id on the host's backend (Welcome.workerSecret). */
  workerSecret?: string;
}

// Batches of jobs and results travel as [command, JSON {items without their payloads, sizes},
// payloads concatenated] (runtime/batch.ts): the broker never decodes arguments or values.

// Local sockets (runtime/local/): peers on the host's machine send the same messages over unix
// sockets in the run directory (<name>-local.sock, runtime/endpoints.ts), each message as u32 BE
// length, then each frame as u32 BE length + bytes; on the broker's, a connection's first message
// is [routing id] (empty: the broker assigns one). docs/protocol.md has the details.

// ---- Broker frontend: QueueManager (DEALER) <-> broker (ROUTER) -------------------------------
// QueueManager -> broker: [Front.SUBMIT, JSON, args]        batch of JobRequest
// QueueManager -> broker: [Front.CANCEL, JSON job ids]     cancel jobs it submitted (unknown ids are ignored)
// QueueManager -> broker: [Front.DIRECT, path]              its results socket, for direct copies (runtime/direct.ts)
// broker -> QueueManager: [Front.RESULTS, JSON, values]     batch of JobResult
// worker -> QueueManager's results socket: the same, for direct copies of ok results
export const Front = { SUBMIT: "submit", CANCEL: "cancel", DIRECT: "direct", RESULTS: "results" } as const;

// ---- Broker backend: worker (DEALER, routing id = worker id) <-> broker (ROUTER) ----------------
// worker -> broker: [Back.READY, JSON WorkerHello]      once connected: it has room for jobs
// worker -> broker: [Back.RESULTS, JSON, values]         batch of JobResult; each frees room
// worker -> broker: [Back.HEARTBEAT]                     every STRMBRKR_HEARTBEAT_INTERVAL seconds
// broker -> worker: [Back.JOBS, JSON, args]              batch of JobDispatch, run in order
// broker -> worker: [Back.CANCEL, JSON job ids]          drop these if not started (their results are ignored)
// broker -> worker: [Back.HEARTBEAT]                     every STRMBRKR_HEARTBEAT_INTERVAL seconds
export const Back = { READY: "ready", JOBS: "jobs", RESULTS: "results", CANCEL: "cancel", HEARTBEAT: "heartbeat" } as const;

export interface WorkerHello {
  version: number;
  pid: number;
  poolId: number;
}

export interface JobRequest {
  id: string;
  /** Export name of the job function in the bundle. */
  fn: string;
  /** Structured-clone encoded argument array, opaque to the broker. */
  args: Uint8Array;
  /** Watchdog limit for this job; undefined means the worker pool's limit, 0 means none. */
  timeoutMs?: number;
  /** Times to run it again after it throws, with backoff. */
  retries?: number;
  /** Higher goes to a worker first; equal priorities keep FIFO order. Undefined means 0. */
  priority?: number;
}

export interface JobDispatch extends JobRequest {
  delegatedAt: number;
  /** Where the worker also sends an ok result, straight to its QueueManager (runtime/direct.ts). */
  replyTo?: string;
}

export interface JobResult {
  id: string;
  ok: boolean;
  /** Structured-clone encoded return value, when ok; when the job threw a non-Error, that value (ErrorInfo.thrown). */
  value?: Uint8Array;
  error?: ErrorInfo;
  /** Pipeline times, epoch milliseconds. */
  delegatedAt?: number;
  startedAt?: number;
  processedAt?: number;
  /** On failures the broker reports (a lost, killed or cancelled job's worker). */
  workerPid?: number;
  /** How long the function ran, in milliseconds (worker -> broker only). */
  runMs?: number;
  /** The worker's resident memory, on the last result of a batch (worker -> broker only). */
  memoryMb?: number;
}

// ---- KVS: client (DEALER) <-> server (ROUTER), or the same messages on the local socket -----------
// client -> server: [requestId (4 bytes, u32 BE), op, args]              one request
// client -> server: [empty, packed requests]                            a batch (runtime/kvs/batch.ts)
// server -> client: [requestId, KvsStatus, value | encode(ErrorInfo)]   one answer
// server -> client: [empty, packed answers]                             a batch, in request order
// args / value: encode(...) (structured clone, first byte 0xFF) or, for primitives, the compact form
// of runtime/kvs/codec.ts; compact answers only in batches or to compact requests.
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
 * that long for it (runtime/kvs/client.ts transactTimeoutMs).
 */
export const KVS_TRANSACTION_MAX_RUNS = 3;
/** A running store writes its endpoint to this file in the run directory, for `strmbrkr kvs --instance`. */
export const KVS_ENDPOINT_FILE = "kvs.endpoint";
/** The store's local socket (a unix socket in the run directory): the same messages as above, for clients on this machine. */
export const KVS_LOCAL_SOCKET = "kvs-local.sock";

// ---- Gateway: remote worker supervisor (DEALER) <-> hub (ROUTER, CURVE server) --------------------
// Every message is [Gate.*, JSON] (CHUNK adds the bytes); docs/protocol.md has the sequence.
// supervisor -> hub: [HELLO, SupervisorHello]           first, and again until welcomed
// hub -> supervisor: [WELCOME, Welcome] | [REFUSED, Refused]
// supervisor -> hub: [FETCH, {hash, offset}]            hub -> supervisor: [CHUNK, {hash, offset, total}, bytes]
// supervisor -> hub: [HEARTBEAT, SupervisorBeat]        hub -> supervisor: [HEARTBEAT, {}]
// supervisor -> hub: [GONE, {workerId, how, countAsLoss}] a worker process exited
// supervisor -> hub: [FATAL, ErrorInfo]                 its workers cannot load the bundle
// hub -> supervisor: [KILL, {workerId}] (watchdog, silence) | [RELEASE, {workerId}] (retire when idle)
// hub -> supervisor: [DRAIN, {}]                        shutting down: replace no worker; RELEASEs follow
// both ways:         [BYE, {rejoin?}]                    the run ends / the supervisor leaves; rejoin: the hub forgot it, hello again
export const Gate = {
  HELLO: "hello", WELCOME: "welcome", REFUSED: "refused", FETCH: "fetch", CHUNK: "chunk", HEARTBEAT: "heartbeat",
  GONE: "gone", FATAL: "fatal", KILL: "kill", RELEASE: "release", DRAIN: "drain", BYE: "bye",
} as const;

export interface SupervisorHello {
  protocol: number;
  /** strmbrkr's package version: both ends must run the same one. */
  version: string;
  workers: number;
  hostname: string;
  pid: number;
}

export interface Welcome {
  protocol: number;
  version: string;
  /** Prefix of this supervisor's worker ids (`r<n>`): the broker admits `r<n>.<m>` from it only. */
  supervisorId: string;
  /**
   * A secret of this supervisor's (128 random bits, hex), sent only over its CURVE connection: its
   * workers' routing ids are `r<n>.<m>#<secret>`, so no other admitted key can speak as them.
   */
  workerSecret: string;
  poolId: number;
  bundle: { hash: string; bytes: number; stdlibUrl: string };
  /** TCP ports on the host the supervisor connected to. */
  ports: { backend: number; frontend: number; kvs: number };
  config: Config;
}

export interface Refused {
  protocol: number;
  version: string;
  message: string;
}

export interface SupervisorBeat {
  /** Its worker processes now, and those of them running (not stopped): for the broker's liveness check. */
  workers: string[];
  running: string[];
}

/** Bytes of the bundle per CHUNK message. */
export const BUNDLE_CHUNK_BYTES = 1024 * 1024;

/** With --listen: the address and, unless --insecure, the host's CURVE keys and the admitted public keys (Z85). */
export interface ListenContext {
  address: string;
  curve?: { publicKey: string; secretKey: string; authorized: string[] };
}

export type { CurveClientKeys } from "./curve.js";

// ---- IPC: host <-> hub (broker + worker pools) -------------------------------------------------
export type HostToHub =
  // kvs: the store's endpoint when it runs already; else workers find it in the run directory.
  | { type: "start-pool"; poolId: number; count: number; watchdogMs: number; bundle: string; kvs?: string }
  | { type: "stop-pool"; poolId: number; noWait: boolean }
  /** Shutting down: let every worker finish its job, then stop; answered with "drained". */
  | { type: "drain" }
  /** With --listen: the KVS's remote endpoint, for remote workers. */
  | { type: "remote-kvs"; endpoint: string };

export type HubToHost =
  | { type: "ready"; frontend: string; backend: string; gateway?: string }
  /** `workers`: the pool's local processes; `remote`: with --listen, remote worker processes (they all join the first pool). */
  | { type: "pool"; poolId: number; workers: number; ready: number; busy: number; remote?: number; remoteInPool?: boolean }
  | { type: "pool-stopped"; poolId: number }
  | { type: "drained" }
  /** A worker needs the store before the host has started it (its script's top level calls it). */
  | { type: "need-kvs" }
  | { type: "fatal"; error: ErrorInfo };

// ---- IPC: hub <-> worker ---------------------------------------------------------------------
export type HubToWorker = { type: "stop" };
export type WorkerToHub = { type: "fatal"; error: ErrorInfo } | { type: "need-kvs" };

// ---- IPC: host <-> KVS server ------------------------------------------------------------------
export type KvsToHost = { type: "ready"; endpoint: string; remote?: string } | { type: "fatal"; error: ErrorInfo };
/** The job script's bundle, once known, for `transact` (a store started before the bundle existed). */
export type HostToKvs = { type: "bundle"; path: string };
