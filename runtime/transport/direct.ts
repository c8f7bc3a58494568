import { basename, dirname, join } from "node:path";
import { connect, type Socket } from "node:net";
import { packBatches } from "../wire/job-batch.js";
import { resultJson } from "../wire/job-json.js";
import { writeMessage } from "../wire/framing.js";
import { listenForMessages, type MessageSocket } from "./local-router.js";
import { Front, type JobResult } from "../wire/jobs.js";

/**
 * Direct copies: a worker on this machine sends the result of a job from a small dispatch (an idle
 * pool's lone job) straight to the QueueManager that queued it, as well as to the broker, which
 * still decides the job's fate. The broker forwards its own copy unless the worker marked the
 * result `copied` (the copy was written whole to an open connection, so it is the kernel's to
 * deliver even if the worker dies next); a copy that may not arrive is never so marked, and the
 * QueueManager takes whichever copy comes first and ignores the other. The copy spares a lone
 * job's round trip the hop back through the hub, and `copied` the host's wake-up for a second
 * copy (figures: BENCHMARKS.md, "Figures behind choices in the code").
 */

/** A dispatch of at most this many jobs asks for direct copies: past it, jobs queue at a worker and a copy would only double the host's work. */
export const DIRECT_MAX_JOBS = 4;
const RESULTS_SOCKET = /^results-\d+-\d+\.sock$/;
/** Connections a worker keeps to QueueManagers' results sockets (one per QueueManager, usually one). */
const MAX_LINKS = 64;

let sequence = 0;

/** Where a QueueManager of this process listens for direct copies: a new path in the run directory. */
export function resultsSocketPath(runDir: string): string {
  return join(runDir, `results-${process.pid}-${++sequence}.sock`);
}

/** The pid of the process whose results socket `path` is (0 when the name says none). */
export function resultsSocketPid(path: string): number {
  return Number(/^results-(\d+)-/.exec(basename(path))?.[1] ?? 0);
}

/** Whether `path` names a results socket in `runDir` (the broker passes no other path to workers). */
export function isResultsSocketPath(runDir: string, path: string): boolean {
  return dirname(path) === runDir && RESULTS_SOCKET.test(basename(path));
}

/** A QueueManager's results socket, listening. */
export type ResultsSocket = MessageSocket;

/** Listens at `path` for direct copies: the copies are only a shortcut, so it keeps no process alive. */
export const listenForResults = listenForMessages;

/** A worker's side: sends each result to the socket its job named, over a connection kept per socket. */
export class DirectResults {
  #links = new Map<string, Socket>();

  /**
   * Sends each result to its socket and marks it `copied` when the copy is in the kernel's hands:
   * written whole, at once, to a connection already open. Its QueueManager reads it then even if
   * this worker dies next, so the broker need not forward its own copy.
   */
  send(copies: readonly { path: string; result: JobResult }[]): void {
    const byPath = new Map<string, JobResult[]>();
    for (const { path, result } of copies) {
      const results = byPath.get(path);
      if (results) results.push(result);
      else byPath.set(path, [result]);
    }
    for (const [path, results] of byPath) {
      const link = this.#link(path);
      const open = !link.connecting && link.writableLength === 0;
      for (const message of packBatches(Front.RESULTS, results, "value", resultJson)) writeMessage(link, message);
      if (open && link.writableLength === 0) for (const result of results) result.copied = true;
    }
  }

  close(): void {
    for (const link of this.#links.values()) link.destroy();
    this.#links.clear();
  }

  #link(path: string): Socket {
    let link = this.#links.get(path);
    if (link) return link;
    if (this.#links.size >= MAX_LINKS) this.close();
    // What is written before it connects waits in the socket; if it never connects, that copy is lost, and the broker's arrives.
    link = connect(path);
    link.unref(); // the broker's link keeps a worker alive, not a copy's
    link.on("error", () => {});
    link.on("close", () => {
      if (this.#links.get(path) === link) this.#links.delete(path);
    });
    this.#links.set(path, link);
    return link;
  }
}
