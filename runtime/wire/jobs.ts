/** The broker's two channels: QueueManagers on its frontend, workers on its backend. */
import type { ErrorInfo } from "../util/errors.js";

// Batches of jobs and results travel as [command, JSON {items without their payloads, sizes},
// payloads concatenated] (runtime/wire/job-batch.ts): the broker never decodes arguments or values.

// Local sockets (runtime/transport/local-router.ts, local-link.ts): peers on the host's machine send the same messages over unix
// sockets in the run directory (<name>-local.sock, runtime/transport/endpoints.ts), each message as u32 BE
// length, then each frame as u32 BE length + bytes; on the broker's, a connection's first message
// is [routing id] (empty: the broker assigns one). docs/protocol.md has the details.

// ---- Broker frontend: QueueManager (DEALER) <-> broker (ROUTER) -------------------------------
// QueueManager -> broker: [Front.SUBMIT, JSON, args]        batch of JobRequest
// QueueManager -> broker: [Front.CANCEL, JSON job ids]     cancel jobs it submitted (unknown ids are ignored)
// QueueManager -> broker: [Front.DIRECT, path]              its results socket, for direct copies (runtime/transport/direct.ts)
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
  /** Where the worker also sends an ok result, straight to its QueueManager (runtime/transport/direct.ts). */
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
  /** The pid of the worker that ran it (on its own machine), or of a lost, killed or cancelled job's worker. */
  workerPid?: number;
  /** How long the function ran, in milliseconds (worker -> broker only). */
  runMs?: number;
  /** The worker's resident memory, on the last result of a batch (worker -> broker only). */
  memoryMb?: number;
}
