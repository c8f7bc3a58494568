import { basename, dirname, join } from "node:path";
import { connect, type Socket } from "node:net";
import { readMessages, writeMessage } from "../wire/framing.js";
import { Lease } from "../wire/jobs.js";
import { listenLocal } from "./local-router.js";

/**
 * A lone job's lease (docs/architecture.md): the broker lets one QueueManager send jobs straight to
 * an idle local worker, which hands each to the broker (TAKEN or PASSED) before it acknowledges it,
 * so the broker stays the one authority on every job's fate. A job is the QueueManager's to resend
 * until acknowledged: if the worker's socket closes first, it goes the broker's way. The sockets are
 * in the run directory (0700), like every socket of a run.
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

/** A worker's socket for leased jobs, listening. */
export interface LeaseSocket {
  close(): void;
}

/**
 * The worker's side: listens at `path`; `onJob` gets each [Lease.JOB, ...] message and acknowledges
 * it with `ack` once the broker has been told. Anything else, or a message `onJob` throws on, costs
 * its sender the connection (the sender then resends what is unacknowledged the broker's way).
 */
export async function listenForLeasedJobs(
  path: string,
  maxMessageBytes: number,
  onJob: (frames: Buffer[], ack: (ids: readonly string[]) => void) => void,
): Promise<LeaseSocket> {
  const connections = new Set<Socket>();
  const server = await listenLocal(path, (socket) => {
    connections.add(socket);
    socket.unref();
    socket.on("error", () => {});
    socket.on("close", () => connections.delete(socket));
    const ack = (ids: readonly string[]) => void writeMessage(socket, [Lease.ACK, JSON.stringify(ids)]);
    readMessages(
      socket,
      (frames) => {
        if (frames[0]?.toString() !== Lease.JOB) throw new Error("not a leased job");
        onJob(frames, ack);
      },
      { maxMessageBytes },
    );
  });
  server.unref();
  return {
    close() {
      server.close();
      for (const socket of connections) socket.destroy();
    },
  };
}

/** A batch sent under a lease and not acknowledged yet: its job ids and its SUBMIT frames. */
export interface UnacknowledgedBatch {
  ids: readonly string[];
  submit: readonly (Buffer | string)[];
}

export interface LeaseLinkEvents {
  /** The worker handed these jobs to the broker. */
  acknowledged(ids: readonly string[]): void;
  /** The connection closed with these batches unacknowledged: they are the QueueManager's to send again. */
  lost(batches: UnacknowledgedBatch[]): void;
}

/** The QueueManager's side: its connection to the leased worker's socket. */
export class LeaseLink {
  #socket: Socket;
  #unacknowledged: UnacknowledgedBatch[] = [];
  #events: LeaseLinkEvents;
  #ended = false;

  constructor(path: string, maxMessageBytes: number, events: LeaseLinkEvents) {
    this.#events = events;
    // Written before it connects waits in the socket; if it never connects, "close" resends it.
    this.#socket = connect(path);
    this.#socket.unref(); // the broker's connection keeps a process alive, not a lease's
    this.#socket.on("error", () => {}); // "close" follows
    this.#socket.on("close", () => this.#end());
    readMessages(this.#socket, (frames) => this.#onAck(frames), { maxMessageBytes });
  }

  /** Batches sent and not acknowledged yet. */
  get unacknowledged(): number {
    return this.#unacknowledged.length;
  }

  /** Whether the job `id` was sent and not acknowledged yet. */
  holds(id: string): boolean {
    return this.#unacknowledged.some((batch) => batch.ids.includes(id));
  }

  /** Sends a SUBMIT's batch (`submit`: [SUBMIT, JSON, args]) to the worker, under `epoch` of `client`. */
  send(client: string, epoch: number, replyTo: string, ids: readonly string[], submit: readonly (Buffer | string)[]): void {
    this.#unacknowledged.push({ ids, submit });
    writeMessage(this.#socket, [Lease.JOB, client, String(epoch), replyTo, ...submit.slice(1)]);
  }

  /** Closes the connection; whatever is unacknowledged is reported lost (the worker may never have read it). */
  close(): void {
    this.#socket.destroy();
    this.#end();
  }

  /**
   * A result of job `id` came: the worker took it, so told the broker first (its acknowledgement,
   * on this connection, can come after the result, which travels on another).
   */
  settled(id: string): void {
    const index = this.#unacknowledged.findIndex((batch) => batch.ids.includes(id));
    if (index >= 0) this.#unacknowledged.splice(index, 1);
  }

  #onAck(frames: Buffer[]): void {
    if (frames[0]?.toString() !== Lease.ACK) throw new Error("not an acknowledgement");
    const ids = JSON.parse(frames[1]!.toString()) as string[];
    const index = this.#unacknowledged.findIndex((batch) => batch.ids.includes(ids[0]!));
    if (index >= 0) this.#unacknowledged.splice(index, 1);
    this.#events.acknowledged(ids);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const lost = this.#unacknowledged;
    this.#unacknowledged = [];
    if (lost.length > 0) this.#events.lost(lost);
  }
}
