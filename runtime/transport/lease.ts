import { basename, dirname, join } from "node:path";
import { connect, type Socket } from "node:net";
import { writeMessage } from "../wire/framing.js";
import { Lease } from "../wire/jobs.js";
import { listenForMessages, type MessageSocket } from "./local-router.js";

/**
 * A lone job's lease (docs/architecture.md): the broker lets one QueueManager send jobs straight to
 * an idle local worker, which tells the broker (TAKEN or PASSED) before it runs them, so the broker
 * stays the one authority on every job's fate. A job is the QueueManager's to send again until its
 * result comes: if the worker's socket closes first, it goes to the broker as RESEND (the broker
 * runs it unless the worker's TAKEN reached it). The sockets are in the run directory (0700),
 * like every socket of a run.
 */

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
 * The worker's side: listens at `path`; `onJob` gets each [Lease.JOB, ...] message. Anything else,
 * or a message `onJob` throws on, costs its sender the connection (which then sends the job again,
 * the broker's way).
 */
export function listenForLeasedJobs(path: string, maxMessageBytes: number, onJob: (frames: Buffer[]) => void): Promise<MessageSocket> {
  return listenForMessages(path, maxMessageBytes, (frames) => {
    if (frames[0]?.toString() !== Lease.JOB) throw new Error("not a leased job");
    onJob(frames);
  });
}

/** The QueueManager's side: its connection to the leased worker's socket, and the jobs sent there whose results have not come. */
export class LeaseLink {
  #socket: Socket;
  /** SUBMIT frames ([SUBMIT, JSON, args]) of each job sent and not settled, by id. */
  #unsettled = new Map<string, readonly (Buffer | string)[]>();
  #lost: (submits: (readonly (Buffer | string)[])[]) => void;
  #ended = false;

  /** `lost` hears of the jobs unsettled when the connection closes: the worker may never have read them. */
  constructor(path: string, lost: (submits: (readonly (Buffer | string)[])[]) => void) {
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

  /** Sends job `id` (`submit`: its SUBMIT frames) to the worker, under `epoch` of `client`. */
  send(client: string, epoch: number, replyTo: string, id: string, submit: readonly (Buffer | string)[]): void {
    this.#unsettled.set(id, submit);
    writeMessage(this.#socket, [Lease.JOB, client, String(epoch), replyTo, ...submit.slice(1)]);
  }

  /** Job `id`'s result came. */
  settled(id: string): void {
    this.#unsettled.delete(id);
  }

  /** Closes the connection, leaving what is unsettled to the broker (the client is stopping). */
  close(): void {
    this.#ended = true;
    this.#socket.destroy();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const lost = [...this.#unsettled.values()];
    this.#unsettled.clear();
    if (lost.length > 0) this.#lost(lost);
  }
}
