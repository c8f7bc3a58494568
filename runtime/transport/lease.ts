import { basename, dirname, join } from "node:path";
import { connect, type Socket } from "node:net";
import { writeMessage } from "../wire/framing.js";
import { Lease } from "../wire/jobs.js";
import { listenForMessages, type MessageSocket } from "./local-router.js";

/**
 * A lone job's lease (docs/architecture.md): the broker lets one QueueManager send jobs straight to
 * an idle local worker, which runs them at once and reports each result to the broker as well as to
 * the QueueManager. The broker hears of a leased job before its result only when it must: when the
 * result has not come within ANNOUNCE_MS (LEASED, so the watchdog runs), before its client cancels
 * it, and when the lease is revoked (the worker's REVOKED lists what it took). A job is the
 * QueueManager's to send again until its result comes: if the worker's socket closes first, it goes
 * to the broker as RESEND (queued unless the broker had a word of it). The sockets are in the run
 * directory (0700), like every socket of a run.
 */

/**
 * A leased job's result not in by then is announced to the broker (LEASED): long enough that a
 * lone short job never wakes the broker before it ends, short beside any watchdog limit.
 */
export const ANNOUNCE_MS = 2;

const WORKER_SOCKET = /^worker-\d+\.sock$/;

/** Where a local worker takes leased jobs. */
export function workerSocketPath(runDir: string, pid: number): string {
  return join(runDir, `worker-${pid}.sock`);
}

/** Whether `path` names a worker's socket in `runDir`. */
export function isWorkerSocketPath(runDir: string, path: string): boolean {
  return dirname(path) === runDir && WORKER_SOCKET.test(basename(path));
}

/**
 * The worker's side: listens at `path`; `onJob` gets each [Lease.JOB, ...] message, `onReport` each
 * [Lease.REPORT]. Anything else, or a message `onJob` throws on, costs its sender the connection
 * (which then sends the job again, the broker's way).
 */
export function listenForLeasedJobs(
  path: string,
  maxMessageBytes: number,
  onJob: (frames: Buffer[]) => void,
  onReport: () => void,
): Promise<MessageSocket> {
  return listenForMessages(path, maxMessageBytes, (frames) => {
    const command = frames[0]?.toString();
    if (command === Lease.JOB) onJob(frames);
    else if (command === Lease.REPORT) onReport();
    else throw new Error("not a leased job");
  });
}

/** A job sent under a lease, not settled: its SUBMIT frames ([SUBMIT, JSON, args]) and its announcement's timer. */
interface SentJob {
  submit: readonly (Buffer | string)[];
  announce?: NodeJS.Timeout;
}

/** The QueueManager's side: its connection to the leased worker's socket, and the jobs sent there whose results have not come. */
export class LeaseLink {
  readonly epoch: number;
  #socket: Socket;
  #unsettled = new Map<string, SentJob>();
  #lost: (submits: (readonly (Buffer | string)[])[]) => void;
  #ended = false;

  /** `lost` hears of the jobs unsettled when the connection closes: the worker may never have read them. */
  constructor(path: string, epoch: number, lost: (submits: (readonly (Buffer | string)[])[]) => void) {
    this.epoch = epoch;
    this.#lost = lost;
    // Written before it connects waits in the socket; if it never connects, "close" reports it lost.
    this.#socket = connect(path);
    this.#socket.unref(); // the broker's connection keeps a process alive, not a lease's
    this.#socket.on("error", () => {}); // "close" follows
    this.#socket.on("close", () => this.#end());
    this.#socket.on("data", () => this.#socket.destroy()); // the worker sends nothing here
  }

  /** Jobs sent and not settled yet. */
  get unsettled(): number {
    return this.#unsettled.size;
  }

  /**
   * Sends job `id` (`submit`: its SUBMIT frames) to the worker as `client`; `announce` gets it if
   * its result has not come within ANNOUNCE_MS.
   */
  send(
    client: string,
    replyTo: string,
    id: string,
    submit: readonly (Buffer | string)[],
    announce: (submit: readonly (Buffer | string)[]) => void,
  ): void {
    const sent: SentJob = { submit };
    sent.announce = setTimeout(() => this.announce(id, announce), ANNOUNCE_MS).unref();
    this.#unsettled.set(id, sent);
    writeMessage(this.#socket, [Lease.JOB, client, String(this.epoch), replyTo, ...submit.slice(1)]);
  }

  /**
   * Hands job `id` to `announce` now, unless it is settled or was announced. The broker then holds
   * the job until the worker reports it, so the worker is told to send the reports it holds back
   * (runtime/worker/link.ts): it reads that before any later job.
   */
  announce(id: string, announce: (submit: readonly (Buffer | string)[]) => void): void {
    const sent = this.#unsettled.get(id);
    if (!sent?.announce) return;
    clearTimeout(sent.announce);
    sent.announce = undefined;
    announce(sent.submit);
    writeMessage(this.#socket, [Lease.REPORT]);
  }

  /** Whether job `id` was sent here and is not settled. */
  has(id: string): boolean {
    return this.#unsettled.has(id);
  }

  /** Job `id`'s result came. */
  settled(id: string): void {
    clearTimeout(this.#unsettled.get(id)?.announce);
    this.#unsettled.delete(id);
  }

  /** Closes the connection, leaving what is unsettled to the broker (the client is stopping). */
  close(): void {
    this.#ended = true;
    for (const sent of this.#unsettled.values()) clearTimeout(sent.announce);
    this.#socket.destroy();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const lost = [...this.#unsettled.values()].map((sent) => {
      clearTimeout(sent.announce);
      return sent.submit;
    });
    this.#unsettled.clear();
    if (lost.length > 0) this.#lost(lost);
  }
}
