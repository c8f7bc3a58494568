import { getLogger } from "../config/logger.js";
import { Outbox } from "../transport/outbox.js";
import { Back, type JobDispatch, type JobResult } from "../wire/jobs.js";
import { BatchBuilder, packBatches, unpackBatch } from "../wire/job-batch.js";
import { jobJson, resultJson } from "../wire/job-json.js";
import { Fifo } from "../util/fifo.js";
import { Heartbeat, Liveness } from "../util/liveness.js";
import { SpinWait } from "../util/spin-wait.js";
import { connect, type DealerLike } from "../transport/connect.js";
import { DIRECT_MAX_JOBS, DirectResults, isResultsSocketPath } from "../transport/direct.js";
import { localPathOf } from "../transport/endpoints.js";
import type { CurveClientKeys } from "../util/curve.js";

const log = getLogger("worker");
const MAX_BACKOFF_MS = 32_000;
/**
 * Results of short jobs leave together, at least this often (ms), and at once when nothing is left
 * to run: each message wakes the hub and the host. Half the broker's credit (hub/credit.ts).
 */
const FLUSH_MS = 20;
/** …or once this many wait: half of a full dispatch (hub/credit.ts MAX_AHEAD), so the broker refills a worker of tiny jobs while it runs the rest. */
const FLUSH_RESULTS = 256;
const MEMORY_SAMPLE_MS = 100;
/**
 * A leased job's report to the broker, once its client has the result, waits this long at most,
 * with the reports after it: one report per job woke the hub just as the client and this worker
 * wanted the cores (docs/architecture.md, "Reports held back").
 */
const REPORT_WAIT_MS = 5;
/** Held reports leave at once when this many wait. */
const REPORT_MAX = 256;

export interface LinkOptions {
  endpoint: string;
  routingId: string;
  /** CURVE keys, for a tcp:// endpoint (a remote worker's). */
  curve?: CurveClientKeys;
  /** The READY frame's JSON, sent on every (re)connect. */
  hello: string;
  heartbeatMs: number;
  liveness: number;
  /** Runs one job; never throws. */
  run(job: JobDispatch): Promise<JobResult>;
  /** The run directory, for a local worker: where its QueueManagers' results sockets are. */
  runDir?: string;
  /** How long a held report may wait (REPORT_WAIT_MS unless a test says otherwise). */
  reportWaitMs?: number;
  /** µs to poll for the next job, once idle, before sleeping (runtime/util/spin-wait.ts); 0: never. */
  spinWaitUs?: number;
}

/**
 * A worker's connection to the broker, in the ZeroMQ guide's Paranoid Pirate pattern: it beats
 * every `heartbeatMs`, and when the broker has been silent for `liveness` beats it drops the
 * connection and reconnects, waiting longer each time (up to 32 s). A result still unsent on the
 * old connection is lost with it; the broker re-dispatches that job.
 */
export class BrokerLink {
  #options: LinkOptions;
  #socket!: DealerLike;
  #outbox!: Outbox;
  /** Any message from the broker counts as a heartbeat. */
  #broker: Liveness;
  #backoffMs: number;
  #reconnectAt = 0;
  #heartbeat: Heartbeat;
  /** Jobs received and not yet run, in order. */
  #waiting = new Fifo<JobDispatch>();
  /** Resident memory, sampled at most every MEMORY_SAMPLE_MS (reading it is a system call). */
  #memoryMb = 0;
  #memorySampledAt = 0;
  #running = false;
  /** Direct copies of results (runtime/transport/direct.ts): only from a worker on the host's machine. */
  #direct?: DirectResults;
  /** The epoch of the lease this worker holds (runtime/transport/lease.ts), if any. */
  #lease?: number;
  /** Leased jobs taken and not reported to the broker yet (it may never have heard of them), by id. */
  #unreported = new Map<string, JobDispatch>();
  /** Results of lone leased jobs, copied to their client, whose report to the broker waits (REPORT_WAIT_MS). */
  #heldReports: JobResult[] = [];
  #reportTimer?: NodeJS.Timeout;
  /** The client announced a job while one ran here (it may be that one): its report goes at once. */
  #reportNext = false;
  /** Once idle, the loop polls a while for the next job instead of sleeping (runtime/util/spin-wait.ts). */
  #spin: SpinWait;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.#spin = new SpinWait(options.spinWaitUs ?? 0, { spinOnNearMiss: true });
    if (localPathOf(options.endpoint) !== undefined) this.#direct = new DirectResults();
    this.#broker = new Liveness(options.heartbeatMs * options.liveness);
    this.#backoffMs = options.heartbeatMs;
    this.#connect();
    this.#heartbeat = new Heartbeat(options.heartbeatMs, (now) => this.#beat(now), { unref: true });
  }

  close(): void {
    this.#sendHeldReports();
    this.#heartbeat.stop();
    this.#socket.close();
    this.#direct?.close();
  }

  #connect(): void {
    this.#waiting = new Fifo(); // held by the old connection: the broker re-dispatches them
    this.#lease = undefined; // went with it too
    this.#heldReports = []; // their clients have the results; the broker re-dispatches what it held
    this.#reportNext = false;
    const unreported = [...this.#unreported.values()];
    this.#unreported.clear();
    const socket = connect(this.#options.endpoint, { routingId: this.#options.routingId, curve: this.#options.curve });
    this.#socket = socket;
    this.#outbox = new Outbox(socket, (error) => log.error(`send to the broker failed: ${error.message}`));
    this.#outbox.send([Back.READY, this.#options.hello]);
    // Leased jobs the broker may not know of go back to it, to run again (their results here are dropped).
    for (const job of unreported) this.#pass(job.lease!, [job]);
    void this.#receive(socket);
  }

  #beat(now: number): void {
    if (!this.#broker.isSilent(now)) {
      this.#outbox.send([Back.HEARTBEAT]);
      return;
    }
    if (now < this.#reconnectAt) return;
    log.warning(`the broker has been silent for ${this.#broker.silentForMs(now)} ms; reconnecting (next try in ${this.#backoffMs} ms)`);
    this.#socket.close();
    this.#connect();
    this.#reconnectAt = now + this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
  }

  async #receive(socket: DealerLike): Promise<void> {
    try {
      for await (const frames of socket) {
        this.#heard();
        const name = frames[0]?.toString();
        if (name === Back.HEARTBEAT) continue;
        if (name === Back.CANCEL) {
          this.#drop(JSON.parse(frames[1]!.toString()) as string[]);
          continue;
        }
        if (name === Back.LEASE) {
          this.#lease = Number(frames[1]!.toString());
          continue;
        }
        if (name === Back.REVOKE) {
          // The leased jobs it took and has not reported go with the answer: the broker holds them from now.
          if (String(this.#lease) === frames[1]!.toString()) this.#lease = undefined;
          this.#sendHeldReports();
          this.#outbox.send([Back.REVOKED, frames[1]!, ...batchOf([...this.#unreported.values()]).slice(1)]);
          this.#unreported.clear();
          continue;
        }
        if (name !== Back.JOBS) {
          log.error(`dropped an unknown message from the broker: ${name?.slice(0, 32)}`);
          continue;
        }
        this.#spin.answered();
        for (const job of unpackBatch<JobDispatch>(frames, 1, "args")) this.#waiting.push(job);
        if (!this.#running) void this.#runWaiting(socket);
      }
    } catch (error) {
      if (!socket.closed) log.error(`receive from the broker failed: ${(error as Error).message}`);
    }
  }

  /**
   * A batch a QueueManager sent straight under a lease ([Lease.JOB, client, epoch, replyTo, JSON,
   * args]): run at once, the broker told nothing before (its wake-up would take a core from this
   * job and its client); the result names its client. Under a lease this worker does not hold, the
   * jobs go to the broker (PASSED), to be queued for the client.
   */
  takeLeased(frames: Buffer[]): void {
    const [, client, epoch, replyTo] = frames;
    this.#spin.answered();
    const jobs = unpackBatch<JobDispatch>(frames, 4, "args");
    const lease = client!.toString();
    if (this.#lease === undefined || String(this.#lease) !== epoch?.toString()) return this.#pass(lease, jobs);
    const delegatedAt = Date.now();
    const copiesTo = replyTo?.toString() ?? "";
    const copies = this.#options.runDir !== undefined && isResultsSocketPath(this.#options.runDir, copiesTo);
    for (const job of jobs) {
      job.delegatedAt = delegatedAt;
      job.lease = lease;
      if (copies) job.replyTo = copiesTo;
      this.#unreported.set(job.id, job);
      this.#waiting.push(job);
    }
    if (!this.#running) void this.#runWaiting(this.#socket);
  }

  /** Hands leased jobs to the broker, to be queued for their client (base64 routing id). */
  #pass(client: string, jobs: JobDispatch[]): void {
    this.#outbox.send([Back.PASSED, client, ...batchOf(jobs).slice(1)]);
  }

  /** Runs held jobs in order; results leave every FLUSH_MS or FLUSH_RESULTS, and when nothing is left to run. */
  async #runWaiting(socket: DealerLike): Promise<void> {
    this.#running = true;
    let results: JobResult[] = [];
    let copies: { path: string; result: JobResult }[] = [];
    let flushedAt = performance.now();
    while (this.#waiting.length > 0 && socket === this.#socket) {
      const job = this.#waiting.shift()!;
      const result = await this.#options.run(job);
      if (job.lease !== undefined) result.lease = { client: job.lease, fn: job.fn };
      results.push(result);
      if (job.replyTo !== undefined && result.ok && this.#direct) copies.push({ path: job.replyTo, result });
      if (this.#waiting.length > 0 && results.length < FLUSH_RESULTS && performance.now() - flushedAt < FLUSH_MS) continue;
      // Messages queued while a job blocked the event loop are read only now: don't count that as silence.
      this.#heard();
      if (socket === this.#socket && copies.length > 0 && results.length <= DIRECT_MAX_JOBS) this.#direct!.send(copies);
      results[results.length - 1]!.memoryMb = this.#memory();
      if (socket === this.#socket) {
        // Held back only while the broker holds none of them: not announced, not listed in a REVOKED.
        const hold = !this.#reportNext && results.every((result) => mayWaitToReport(result) && this.#unreported.has(result.id));
        if (this.#unreported.size > 0) for (const { id } of results) this.#unreported.delete(id);
        if (hold) this.#holdReports(results);
        else this.#report(results);
        this.#reportNext = false;
      }
      results = [];
      copies = [];
      flushedAt = performance.now();
    }
    this.#running = false;
    if (this.#waiting.length > 0)
      void this.#runWaiting(this.#socket); // arrived on a new connection meanwhile
    else this.#spin.sent(); // idle, its results out: the next job may come soon
  }

  /** Sends results to the broker, behind the reports held back. */
  #report(results: JobResult[]): void {
    const all = this.#heldReports.length > 0 ? [...this.#heldReports, ...results] : results;
    this.#heldReports = [];
    clearTimeout(this.#reportTimer);
    this.#reportTimer = undefined;
    for (const message of packBatches(Back.RESULTS, all, "value", resultJson)) this.#outbox.send(message);
  }

  #holdReports(results: JobResult[]): void {
    this.#heldReports.push(...results);
    if (this.#heldReports.length >= REPORT_MAX) this.#report([]);
    else this.#reportTimer ??= setTimeout(() => this.#sendHeldReports(), this.#options.reportWaitMs ?? REPORT_WAIT_MS).unref();
  }

  /**
   * The client announced a leased job (Lease.REPORT): the broker holds it until its report. The
   * reports held back go now, and a running job's (the announced one, maybe) as it ends.
   */
  reportAnnounced(): void {
    if (this.#running) this.#reportNext = true;
    this.#sendHeldReports();
  }

  /** Sends the reports held back. */
  #sendHeldReports(): void {
    if (this.#heldReports.length > 0) this.#report([]);
  }

  /**
   * Cancelled jobs not started yet are skipped, and reported so, which frees their room at the
   * broker; one already started runs on, and its result is ignored.
   */
  #drop(ids: string[]): void {
    const cancelled = new Set(ids);
    const skipped: JobResult[] = this.#waiting
      .removeAll((job) => cancelled.has(job.id))
      .map(({ id }) => ({
        id,
        ok: false,
        error: { name: "Cancelled", message: `Job ${id} was skipped: it was cancelled` },
      }));
    for (const { id } of skipped) this.#unreported.delete(id);
    if (skipped.length > 0) for (const message of packBatches(Back.RESULTS, skipped, "value", resultJson)) this.#outbox.send(message);
  }

  #memory(): number {
    const now = performance.now();
    if (now - this.#memorySampledAt > MEMORY_SAMPLE_MS) {
      this.#memoryMb = process.memoryUsage.rss() / 1_048_576;
      this.#memorySampledAt = now;
    }
    return this.#memoryMb;
  }

  #heard(): void {
    this.#broker.heard();
    this.#backoffMs = this.#options.heartbeatMs;
    this.#reconnectAt = 0;
  }
}

/**
 * Whether a result's report to the broker may wait: a leased job's whose copy its client has. If
 * the client announced the job, the broker holds it till the report, and the client asks for the
 * held reports (Lease.REPORT) before it sends another job; a job REVOKED listed is reported at once.
 */
function mayWaitToReport(result: JobResult): boolean {
  return result.lease !== undefined && result.copied === true;
}

/** Leased jobs as one batch ([command, JSON, args]): a lease carries one lone job at a time, never split. */
function batchOf(jobs: readonly JobDispatch[]): (Buffer | string)[] {
  const builder = new BatchBuilder();
  for (const job of jobs) builder.add(jobJson({ ...job, replyTo: undefined, lease: undefined }), job.args);
  return builder.frames("");
}
