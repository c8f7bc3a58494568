import { getLogger } from "../config/logger.js";
import { connect, type DealerLike } from "../transport/connect.js";
import { listenForResults, resultsSocketPath, type ResultsSocket } from "../transport/direct.js";
import { localPathOf } from "../transport/endpoints.js";
import { LeaseLink } from "../transport/lease.js";
import { Outbox } from "../transport/outbox.js";
import { NumberMap } from "../util/number-map.js";
import { SpinWait } from "../util/spin-wait.js";
import { recordFailure, recordPipeline, runStats, tallyOf } from "../util/stats.js";
import { Cancelled, toErrorInfo } from "../util/errors.js";
import { kindOf } from "../util/describe.js";
import { FRAME_OVERHEAD_BYTES } from "../wire/context.js";
import { BatchBuilder, readBatch, type ReceivedBatch } from "../wire/job-batch.js";
import { jobJson, type JobHeader } from "../wire/job-json.js";
import { Front, processedAtOf, startedAtOf, type JobResult, type LeaseGrant } from "../wire/jobs.js";
import { decodeAt, encode, unencodableReason } from "../wire/serialize.js";
import type { ClientContext } from "./context.js";
import type { RecordedResult } from "./job-events.js";
import { Job, jobIdOf, jobNumber, jobNumberOf, stampPipeline } from "./job.js";
import { flushReports, writeReport } from "./pipeline-reports.js";

const log = getLogger("queue");

/**
 * What a connection holds unsent before the outbox waits to make the next batch: 4 messages on
 * zeromq; on a local socket, nothing beyond what the kernel takes. Batches that waited longer
 * outlived young-generation collections, and their buffers stayed until the next major one
 * (BENCHMARKS.md, "Figures behind choices in the code").
 */
const SEND_LIMIT = { messages: 4, bytes: 0 };
/** Primitive arguments up to about this much JSON are encoded as they leave, not at queueJobs (see encodeLater). */
const LATE_ARGS_CHARS = 1024;
/**
 * The first SUBMIT of a call holds at most this many jobs, the rest follow in BATCH_BYTES ones: the
 * broker dispatches only once it has read a whole message, so workers start on the first jobs
 * while the rest are encoded and read (4,000 jobs: the first started ~32 ms after queueJobs, ~17
 * with this). Not when the jobs' priorities differ: the broker must see them all to order them.
 */
const FIRST_BATCH_JOBS = 32;

/** What a JobClient tells its owner (the QueueManager). */
export interface JobClientEvents {
  /** A queued job came back: its status, and its value or error, are set. */
  settled(job: Job): void;
  /** Results were taken, or the client failed or stopped: whoever waits may look again. */
  changed(): void;
  /** The connection to the broker failed; every outstanding job is lost to this client. */
  failed(error: Error): void;
}

/**
 * The wire side of a QueueManager: its connection to the broker (and, on the broker's machine, the
 * socket local workers send direct copies of results to), the jobs outstanding by number, their
 * arguments encoded and batched as the broker takes them, cancels, and results decoded into the
 * Jobs they belong to.
 */
export class JobClient {
  readonly #context: ClientContext;
  readonly #events: JobClientEvents;
  // Connected once the broker's endpoint is known. A small send limit: queued jobs wait in the
  // outbox as Jobs, and are encoded only as the broker takes them.
  #socket?: DealerLike;
  /** Where local workers send direct copies of results (runtime/transport/direct.ts). */
  #resultsSocket?: ResultsSocket;
  #resultsPath?: string;
  /** A lease on an idle local worker (runtime/transport/lease.ts): a lone job goes to it straight. */
  #lease?: { grant: LeaseGrant; link: LeaseLink };
  /** Connections to leased workers with jobs whose results have not come (the current lease's, and revoked ones'). */
  #leaseLinks = new Set<LeaseLink>();
  #stopped = false;
  #outbox: Outbox;
  // Jobs by their number (see Job): a million queued jobs cost no id string each.
  #outstanding = new NumberMap<Job>();
  /** Removes the abort listener of a job queued with a signal. */
  #unlisten = new Map<number, () => void>();
  /** Jobs to send and ids to cancel in this tick, sent together by `#flush` (jobs first). */
  #unsent: Job[] = [];
  /** Arguments encoded when their jobs were queued, by job number: all but short primitives (see encodeLater). */
  #encoded = new Map<number, Buffer>();
  #cancelling: string[] = [];
  /** Numbers of the jobs a cancel was sent for and that have not come back: a second cancel is refused. */
  #cancelled = new Set<number>();
  #flushing = false;
  /** With job events installed: numbers of the jobs whose end is not reported (answered from a record, aborted before queueing). */
  #unreported = new Set<number>();
  #finished = 0;
  #totalDurationMs = 0;
  readonly #reports: boolean;
  /** After sending jobs, the loop polls a while for their results instead of sleeping (runtime/util/spin-wait.ts). */
  readonly #spin: SpinWait;

  constructor(context: ClientContext, events: JobClientEvents) {
    this.#context = context;
    this.#events = events;
    this.#reports = context.config.kvsDumpPipelineStatusReports;
    this.#spin = new SpinWait(context.config.spinWait, { spinOnNearMiss: true });
    const connected = context.brokerEndpoint().then((endpoint) => {
      const socket = connect(endpoint, { routingId: "", curve: context.clientKeys, sendLimit: SEND_LIMIT }); // "": the broker names it
      this.#socket = socket;
      if (this.#stopped) socket.close();
      else {
        void this.#receive(socket);
        if (localPathOf(endpoint) !== undefined) this.#offerResultsSocket();
      }
      return socket;
    });
    connected.catch((error: Error) => this.#fail(error));
    this.#outbox = new Outbox(connected, (error) => this.#fail(error));
  }

  /** Jobs queued and not yet back. */
  get outstanding(): number {
    return this.#outstanding.size;
  }

  get outstandingIds(): string[] {
    return [...this.#outstanding.keys()].map(jobIdOf);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Jobs finished so far and their average run time on a worker. */
  get stats(): { finished: number; averageDurationMs: number } {
    return { finished: this.#finished, averageDurationMs: this.#finished ? this.#totalDurationMs / this.#finished : 0 };
  }

  /** Queues `jobs` and sends them now (before the caller may busy-loop), after what `sendSoon` left. */
  sendNow(jobs: Job[]): void {
    const sent = this.#add(jobs);
    this.#flush();
    if (sent.length > 0) this.#send(sent);
  }

  /** Queues `jobs` and sends them at the end of this tick, with whatever else was queued in it. */
  sendSoon(jobs: Job[]): void {
    this.#unsent.push(...this.#add(jobs));
    this.#flushSoon();
  }

  /** Validates and records the jobs; returns those to send (the same array when none was aborted). */
  #add(jobs: Job[]): Job[] {
    if (this.#stopped) throw new Error("QueueManager: stopHandling() was called; make a new QueueManager");
    const maxBytes = this.#context.config.maxMessageBytes;
    // Everything is checked before anything is queued; arguments that cannot wait are encoded now,
    // the rest as they leave (#batchesOf).
    let index = 0;
    try {
      for (; index < jobs.length; index++) {
        const job = jobs[index]!;
        if (!(job instanceof Job)) throw new TypeError(`queueJobs: job ${index} is not a Job (got ${kindOf(job)})`);
        if (this.#outstanding.has(jobNumber(job))) throw new Error(`queueJobs: job ${job.id} is already queued`);
        this.#exportName(job);
        if (!encodeLater(job.args, maxBytes)) this.#encoded.set(jobNumber(job), encodeArgs(job, maxBytes));
      }
    } catch (error) {
      for (let i = 0; i < index; i++) this.#encoded.delete(jobNumber(jobs[i]!));
      throw error;
    }
    const now = Date.now();
    const events = this.#context.jobEvents;
    let aborted: Job[] | undefined;
    let answered: Map<Job, RecordedResult> | undefined;
    for (const job of jobs) {
      job.status = Job.Status.UNPROCESSED;
      stampPipeline(job, "queued", now);
      const number = jobNumber(job);
      this.#outstanding.set(number, job);
      if (job.signal?.aborted) {
        (aborted ??= []).push(job); // never sent: it ends FAILED below
        if (events) this.#unreported.add(number);
        continue;
      }
      tallyOf(job.name).queued++;
      if (events) {
        const recorded = events.queued(job, this.#exportName(job), this.#encoded.get(number));
        if (recorded) {
          (answered ??= new Map()).set(job, recorded); // never sent: its recorded result settles it below
          this.#encoded.delete(number);
          this.#unreported.add(number);
          continue;
        }
      }
      if (job.signal) this.#listen(job, job.signal);
    }
    runStats.queued += jobs.length;
    if (!aborted && !answered) return jobs;
    // Aborted before it was queued: it ends FAILED without reaching a worker; answered from a
    // record: PROCESSED as it was then. Either after queueJobs returns, like any result.
    const cancelled = new Set(aborted);
    const recorded = answered ?? new Map<Job, RecordedResult>();
    queueMicrotask(() => {
      const results = [...cancelled].map((job) => cancelledHere(job));
      if (results.length > 0) this.#settle({ items: results, sizes: results.map(() => -1), blob: Buffer.alloc(0) });
      if (recorded.size > 0) this.#settle(recordedBatch(recorded));
    });
    return jobs.filter((job) => !cancelled.has(job) && !recorded.has(job));
  }

  /** Asks the broker to cancel an outstanding job; false when it is not outstanding or was cancelled already. */
  cancel(jobId: string): boolean {
    const number = jobNumberOf(jobId);
    if (number === undefined || !this.#outstanding.has(number) || this.#cancelled.has(number) || this.#stopped) return false;
    this.#cancelled.add(number);
    // A leased job the broker may not know of is announced first, on the same connection as the cancel.
    for (const link of this.#leaseLinks) link.announce(jobId, (submit) => this.#announce(link, submit));
    this.#cancelling.push(jobId);
    this.#flushSoon();
    return true;
  }

  /**
   * Sends jobs the broker's way, or a lone job (nothing else outstanding, no retries: the broker
   * may see only its result) straight to the worker this client leases: one process fewer on its way.
   * The broker's way, the first batch names the lease when nothing sent under it is unsettled (its
   * worker runs none of this client's jobs, and gets none while these are out): if they are more
   * than the open workers take, the broker gives that worker some at once, not after it answers the revoke.
   */
  #send(jobs: Job[]): void {
    const lease = this.#lease;
    if (lease && jobs.length === 1 && this.#outstanding.size === 1 && jobs[0]!.retries === 0) {
      const { link } = lease;
      link.send(lease.grant.client, this.#resultsPath!, jobs[0]!.id, this.#batchesOf(jobs)()!, (submit) => this.#announce(link, submit));
    } else this.#outbox.sendEach(this.#batchesOf(jobs, lease && lease.link.unsettled === 0 ? String(lease.grant.epoch) : undefined));
    this.#spin.sent();
  }

  /** Tells the broker of a leased job (LEASED): its result is late, or it is to be cancelled. */
  #announce(link: LeaseLink, [, ...batch]: readonly (Buffer | string)[]): void {
    if (!this.#stopped) this.#outbox.send([Front.LEASED, String(link.epoch), ...batch]);
  }

  /** The broker leased this client a worker: the previous lease, if any, ends here. */
  #leased(grant: LeaseGrant): void {
    if (this.#stopped || this.#resultsPath === undefined) return;
    this.#endLease();
    const link: LeaseLink = new LeaseLink(grant.path, grant.epoch, (submits) => {
      // The worker's socket closed before these jobs' results came: the broker runs them unless it had a word of them.
      this.#leaseLinks.delete(link);
      if (this.#lease?.link === link) this.#lease = undefined;
      if (!this.#stopped) for (const [, ...batch] of submits) this.#outbox.send([Front.RESEND, ...batch]);
    });
    this.#lease = { grant, link };
    this.#leaseLinks.add(link);
  }

  /** The lease is over: lone jobs go the broker's way again; the connection stays until the results of what was sent on it come. */
  #endLease(epoch?: number): void {
    const lease = this.#lease;
    if (!lease || (epoch !== undefined && lease.grant.epoch !== epoch)) return;
    this.#lease = undefined;
    this.#closeIfSettled(lease.link);
  }

  #closeIfSettled(link: LeaseLink): void {
    if (link === this.#lease?.link || link.unsettled > 0) return;
    this.#leaseLinks.delete(link);
    link.close();
  }

  /**
   * Sends what was submitted and cancelled in this turn of the event loop as few messages: `submit`
   * and `map` queue one job per call, often hundreds in a row as results come in.
   */
  #flushSoon(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    process.nextTick(() => this.#flush());
  }

  #flush(): void {
    this.#flushing = false;
    if (this.#stopped) return;
    if (this.#unsent.length > 0) this.#send(this.#unsent);
    this.#unsent = [];
    if (this.#cancelling.length > 0) this.#outbox.send([Front.CANCEL, JSON.stringify(this.#cancelling)]);
    this.#cancelling = [];
  }

  /** SUBMIT messages of about BATCH_BYTES each for `jobs`, made one by one as the outbox sends them; the first ends in `idleLease`, if given. */
  #batchesOf(jobs: Job[], idleLease?: string): () => (Buffer | string)[] | undefined {
    let next = 0;
    const split = jobs.length > FIRST_BATCH_JOBS && jobs.every((job) => job.priority === jobs[0]!.priority);
    return () => {
      const first = next === 0;
      if (next === jobs.length) return undefined;
      const batch = new BatchBuilder();
      const end = first && split ? FIRST_BATCH_JOBS : jobs.length;
      for (; next < end; next++) {
        const job = jobs[next]!;
        const number = jobNumber(job);
        const args = this.#encoded.get(number) ?? JSON.stringify(job.args); // short primitives: JSON carries them exactly
        if (batch.overflows(typeof args === "string" ? args.length : args.byteLength)) break;
        this.#encoded.delete(number);
        const header: JobHeader = { id: jobIdOf(number), fn: this.#exportName(job) };
        if (job.timeout !== undefined) header.timeoutMs = job.timeout * 1000;
        if (job.retries > 0) header.retries = job.retries;
        if (job.priority !== 0) header.priority = job.priority;
        batch.add(jobJson(header), args);
      }
      const frames = batch.frames(Front.SUBMIT);
      if (first && idleLease !== undefined) frames.push(idleLease);
      return frames;
    };
  }

  /** Closes the connection to the broker; results still out are no longer received. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#flush();
    this.#stopped = true;
    this.#socket?.close();
    this.#resultsSocket?.close();
    for (const link of this.#leaseLinks) link.close();
    await flushReports();
    await this.#context.releaseBroker();
  }

  #exportName(job: Job): string {
    return this.#context.script.nameOf(job.fn, `Job ${job.id}`, "jobs");
  }

  /**
   * Listens for direct copies of results from local workers, and tells the broker where before it
   * sends anything else (runtime/transport/direct.ts). Best effort: a copy that finds no socket is lost, and
   * the broker's comes.
   */
  #offerResultsSocket(): void {
    const path = resultsSocketPath(this.#context.runDir);
    this.#resultsPath = path;
    this.#outbox.sendFirst([Front.DIRECT, path]);
    listenForResults(path, this.#context.config.maxMessageBytes + FRAME_OVERHEAD_BYTES, (frames) => {
      if (frames[0]?.toString() === Front.RESULTS && !this.#stopped) this.#settle(readBatch<JobResult>(frames, 1));
    }).then(
      (socket) => {
        if (this.#stopped) socket.close();
        else this.#resultsSocket = socket;
      },
      (error: Error) => log.debug(`no results socket at ${path}: ${error.message}`),
    );
  }

  async #receive(socket: DealerLike): Promise<void> {
    try {
      for await (const frames of socket) {
        const name = frames[0]?.toString();
        if (name === Front.RESULTS) this.#settle(readBatch<JobResult>(frames, 1));
        else if (name === Front.LEASE) this.#leased(JSON.parse(frames[1]!.toString()) as LeaseGrant);
        else if (name === Front.REVOKE) this.#endLease(Number(frames[1]!.toString()));
      }
    } catch (error) {
      if (!this.#stopped) this.#fail(error as Error);
    }
  }

  /**
   * Values are decoded from the batch's blob as each result is taken, with no view per value: a
   * view would keep the whole blob alive while its result object waits for the major collector.
   */
  #settle({ items, sizes, blob }: ReceivedBatch<JobResult>): void {
    this.#spin.answered();
    let offset = 0;
    for (let i = 0; i < items.length; i++) {
      const size = sizes[i]!;
      this.#accept(items[i]!, blob, offset, offset + Math.max(size, 0));
      if (size > 0) offset += size;
    }
    this.#events.changed();
  }

  #listen(job: Job, signal: AbortSignal): void {
    const abort = () => this.cancel(job.id);
    signal.addEventListener("abort", abort, { once: true });
    this.#unlisten.set(jobNumber(job), () => signal.removeEventListener("abort", abort));
  }

  /** Takes a result whose value (when ok) is `blob` from `start` to `end`. */
  #accept(result: JobResult, blob: Buffer, start: number, end: number): void {
    const number = jobNumberOf(result.id);
    const job = number === undefined ? undefined : this.#outstanding.get(number);
    if (!job) return;
    if (this.#leaseLinks.size > 0) this.#settledLeased(result.id);
    this.#outstanding.delete(number!);
    this.#cancelled.delete(number!);
    this.#encoded.delete(number!); // cancelled before it was sent
    const unlisten = this.#unlisten.get(number!);
    if (unlisten) {
      this.#unlisten.delete(number!);
      unlisten();
    }
    const events = this.#context.jobEvents;
    if (events && !this.#unreported.delete(number!)) events.ended(job, result, blob.subarray(start, end));
    stampPipeline(job, "delegated", result.delegatedAt);
    stampPipeline(job, "started", startedAtOf(result));
    stampPipeline(job, "processed", processedAtOf(result));
    stampPipeline(job, "returned", Date.now());
    if (result.ok) {
      job.status = Job.Status.PROCESSED;
      job.retval = decodeAt(blob, start, end);
      runStats.processed++;
      tallyOf(job.name).processed++;
    } else {
      job.status = Job.Status.FAILED;
      job.error = result.error;
      if (job.error && end > start) job.error.thrown = decodeAt(blob, start, end); // a non-Error the job threw
      runStats.failed++;
      tallyOf(job.name).failed++;
      recordFailure({ id: job.id, fn: job.name, error: job.error, args: job.args, retries: job.retries ?? 0, at: Date.now() });
    }
    if (result.processedMs !== undefined) {
      this.#finished++;
      this.#totalDurationMs += result.processedMs;
    }
    if (this.#reports) {
      const pipeline = job.pipeline;
      writeReport(job.id, { id: job.id, fn: job.name, status: job.status, ...pipeline });
      recordPipeline(pipeline);
    }
    this.#events.settled(job);
  }

  #settledLeased(id: string): void {
    for (const link of this.#leaseLinks) {
      link.settled(id);
      this.#closeIfSettled(link);
    }
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    log.error(`queue manager failed: ${error.message}`);
    this.#events.failed(error);
  }
}

/** The result of a job whose signal was aborted before it was queued. */
function cancelledHere(job: Job): JobResult {
  return {
    id: job.id,
    ok: false,
    error: toErrorInfo(new Cancelled(`Job ${job.id} (${job.name}) was cancelled before it was queued: its signal was already aborted`)),
  };
}

/** Results made from recorded ones, as a batch off the wire would bring them: the same settle path as a worker's. */
function recordedBatch(recorded: Map<Job, RecordedResult>): ReceivedBatch<JobResult> {
  const items: JobResult[] = [];
  const sizes: number[] = [];
  for (const [job, { value, delegatedAt, startedAt, processedAt }] of recorded) {
    const result: JobResult = { id: job.id, ok: true, delegatedAt };
    if (delegatedAt !== undefined && startedAt !== undefined) {
      result.startedMs = startedAt - delegatedAt;
      if (processedAt !== undefined) result.processedMs = processedAt - startedAt;
    }
    items.push(result);
    sizes.push(value.length);
  }
  return { items, sizes, blob: Buffer.concat([...recorded.values()].map(({ value }) => value)) };
}

/**
 * Whether a job's arguments are short primitives (numbers, strings, booleans, null), encoded only
 * when the job leaves: nothing the caller holds can change them meanwhile, and a million queued
 * jobs then wait as Jobs, not also as a million buffers. Anything else is encoded at queueJobs,
 * so what is sent is what the arguments were then.
 */
function encodeLater(args: readonly unknown[], maxBytes: number): boolean {
  let chars = 2;
  for (const arg of args) {
    if (typeof arg === "number") {
      if (!Number.isFinite(arg) || Object.is(arg, -0)) return false; // JSON would change them
      chars += 25;
    } else if (typeof arg === "string")
      chars += 6 * arg.length + 3; // \u escapes at worst
    else if (typeof arg === "boolean" || arg === null) chars += 6;
    else return false;
    if (chars > LATE_ARGS_CHARS) return false;
  }
  return 3 * chars <= maxBytes;
}

function encodeArgs(job: Job, maxBytes: number): Buffer {
  let bytes: Buffer;
  try {
    bytes = encode(job.args);
  } catch {
    const index = job.args.findIndex((arg) => unencodableReason(arg) !== undefined);
    const reason = unencodableReason(job.args[index]) ?? "it cannot be serialised";
    throw new TypeError(`Job ${job.id} (${job.name}): argument ${index} cannot be sent to a worker: it is ${reason}`);
  }
  if (bytes.length > maxBytes) {
    throw new RangeError(
      `Job ${job.id} (${job.name}): its arguments are ${bytes.length} bytes, over STRMBRKR_MAX_MESSAGE_BYTES (${maxBytes})`,
    );
  }
  return bytes;
}
