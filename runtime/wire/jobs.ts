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
//                          [Front.SUBMIT, JSON, args, epoch] the same, its lease idle (nothing sent under it unsettled): if jobs
//                                                           wait, the broker may dispatch to that lease's worker before it answers REVOKED
// QueueManager -> broker: [Front.CANCEL, JSON job ids]     cancel jobs it submitted (unknown ids are ignored)
// QueueManager -> broker: [Front.DIRECT, path]              its results socket, for direct copies (runtime/transport/direct.ts)
// QueueManager -> broker: [Front.LEASED, epoch, JSON, args] a job sent under that lease whose result has not come within ANNOUNCE_MS,
//                                                           or one it cancels: the broker holds it on the leased worker (watchdog, cancel)
// QueueManager -> broker: [Front.RESEND, JSON, args]        jobs sent under a lease whose worker's socket closed before their results came
//                                                           (runtime/transport/lease.ts): queued unless the broker already has them
// broker -> QueueManager: [Front.RESULTS, JSON, values]     batch of JobResult
// broker -> QueueManager: [Front.LEASE, JSON LeaseGrant]    it may send a lone job straight to that worker (runtime/transport/lease.ts)
// broker -> QueueManager: [Front.REVOKE, epoch]             that lease is over: jobs go the broker's way again
// worker -> QueueManager's results socket: the same, for direct copies of ok results
export const Front = {
  SUBMIT: "submit",
  CANCEL: "cancel",
  DIRECT: "direct",
  RESULTS: "results",
  LEASE: "lease",
  REVOKE: "revoke",
  LEASED: "leased",
  RESEND: "resend",
} as const;

// ---- Broker backend: worker (DEALER, routing id = worker id) <-> broker (ROUTER) ----------------
// worker -> broker: [Back.READY, JSON WorkerHello]      once connected: it has room for jobs
// worker -> broker: [Back.RESULTS, JSON, values]         batch of JobResult; each frees room
// worker -> broker: [Back.HEARTBEAT]                     every STRMBRKR_HEARTBEAT_INTERVAL seconds
// broker -> worker: [Back.JOBS, JSON, args]              batch of JobDispatch, run in order
// broker -> worker: [Back.CANCEL, JSON job ids]          drop these if not started (their results are ignored)
// broker -> worker: [Back.HEARTBEAT]                     every STRMBRKR_HEARTBEAT_INTERVAL seconds
// A lone job's lease (docs/architecture.md), local workers only:
// broker -> worker: [Back.LEASE, epoch]                  take jobs of this epoch from the lease's client
// broker -> worker: [Back.REVOKE, epoch]                 take no more of them; answer REVOKED
// worker -> broker: [Back.REVOKED, epoch, JSON, args]   done: the leased jobs it took and has not reported (in order, stamped),
//                                                        which it runs before anything the broker sends next; it takes no more
// worker -> broker: [Back.PASSED, client, JSON, args]    jobs that came under a lease it does not hold: queue them for that client
// A leased job's result travels in RESULTS like any other, naming its client (JobResult.lease): the broker
// may never have held that job.
export const Back = {
  READY: "ready",
  JOBS: "jobs",
  RESULTS: "results",
  CANCEL: "cancel",
  HEARTBEAT: "heartbeat",
  LEASE: "lease",
  REVOKE: "revoke",
  REVOKED: "revoked",
  PASSED: "passed",
} as const;

// ---- A lease: QueueManager (unix socket) -> the leased worker's socket, worker-<pid>.sock ---------
// QueueManager -> worker: [Lease.JOB, client, epoch, replyTo, JSON, args]   a SUBMIT's batch, sent straight
// (the worker answers nothing there: results come as direct copies and through the broker)
// QueueManager -> worker: [Lease.REPORT]   it announced a job (LEASED): the reports the worker holds back go to the broker now
export const Lease = { JOB: "job", REPORT: "report" } as const;

/** What a QueueManager is told of its lease. */
export interface LeaseGrant {
  epoch: number;
  /** The leased worker's socket. */
  path: string;
  /** The client's own routing id at the broker (base64), which the worker names when it passes a job on. */
  client: string;
}

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
  /** A leased job's client (its routing id at the broker, base64): it came straight, not from the broker. */
  lease?: string;
}

export interface JobResult {
  id: string;
  ok: boolean;
  /** Structured-clone encoded return value, when ok; when the job threw a non-Error, that value (ErrorInfo.thrown). */
  value?: Uint8Array;
  error?: ErrorInfo;
  /** When the broker (or, for a leased job, its worker) handed the job to its worker: epoch milliseconds. */
  delegatedAt?: number;
  /**
   * When it started, in milliseconds after `delegatedAt`, and when it ended, in milliseconds after
   * it started (`startedAtOf` and `processedAtOf` give the epoch times): small integers where epoch
   * milliseconds are 13-digit numbers, which a worker writes and the hub and the host parse for
   * every result; two of them cost a tiny-jobs run ~9 % of its throughput (BENCHMARKS.md).
   */
  startedMs?: number;
  processedMs?: number;
  /** The pid of the worker that ran it (on its own machine), or of a lost, killed or cancelled job's worker. */
  workerPid?: number;
  /** How long the function ran, in milliseconds (worker -> broker only). */
  runMs?: number;
  /** The worker's resident memory, on the last result of a batch (worker -> broker only). */
  memoryMb?: number;
  /** Its direct copy reached the QueueManager's socket: the broker does not forward it (worker -> broker only). */
  copied?: boolean;
  /** A leased job's client and function (worker -> broker only): the broker may never have held the job. */
  lease?: { client: string; fn: string };
}

/** When a result's job started, epoch milliseconds (JobResult.startedMs), if known. */
export function startedAtOf(result: JobResult): number | undefined {
  return result.delegatedAt === undefined || result.startedMs === undefined ? undefined : result.delegatedAt + result.startedMs;
}

/** When a result's job ended, epoch milliseconds (JobResult.processedMs), if known. */
export function processedAtOf(result: JobResult): number | undefined {
  const startedAt = startedAtOf(result);
  return startedAt === undefined || result.processedMs === undefined ? undefined : startedAt + result.processedMs;
}
