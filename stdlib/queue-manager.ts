import { connectDealer, type DealerLike } from "../runtime/transport/dealer.js";
import { listenForResults, resultsSocketPath, type ResultsSocket } from "../runtime/transport/direct.js";
import { localPathOf } from "../runtime/transport/endpoints.js";
import { getInstance } from "../runtime/host/instance.js";
import { getLogger } from "../runtime/config/logger.js";
import { Outbox } from "../runtime/transport/outbox.js";
import { flushReports, writeReport } from "../runtime/client/pipeline-reports.js";
import { FRAME_OVERHEAD_BYTES } from "../runtime/wire/context.js";
import { Front, type JobRequest, type JobResult } from "../runtime/wire/jobs.js";
import { BatchBuilder, readBatch, type ReceivedBatch } from "../runtime/wire/job-batch.js";
import { decodeAt, encode, unencodableReason } from "../runtime/wire/serialize.js";
import { NumberMap } from "../runtime/util/number-map.js";
import { ResultBuffer } from "../runtime/util/result-buffer.js";
import { runStats } from "../runtime/util/stats.js";
import { Cancelled, JobError, JobTimeoutError, Stopped, toErrorInfo } from "../runtime/util/errors.js";
import { Job, jobIdOf, jobNumber, jobNumberOf, stampPipeline, type JobFunction, type JobOptions } from "../runtime/client/job.js";
import { drain, mapWithBackPressure, type MapOptions } from "./streams.js";
import { KeyValueStore } from "./key-value-store.js";
import { exportNameOf } from "../runtime/client/exports.js";

const log = getLogger("queue");

/**
 * What a connection holds unsent before the outbox waits to make the next batch: 4 messages on
 * zeromq; on a local socket, nothing beyond what the kernel takes. Batches that waited longer
 * (4 MiB of them) outlived young-generation collections, and their buffers stayed until the next
 * major one (~40 MB at a million queued jobs).
 */
const SEND_LIMIT = { messages: 4, bytes: 0 };
/** Primitive arguments up to about this much JSON are encoded as they leave, not at queueJobs (see encodeLater). */
const LATE_ARGS_CHARS = 1024;

export interface QueueManagerOptions {
  /** Called with each finished job instead of keeping it for `getResults()`. */
  processedCallback?: (job: Job) => void;
}

export interface BlockOptions {
  /** Seconds to wait; default forever. */
  timeout?: number;
  /** Dump the KVS to a file when the wait times out. Default true. */
  dumpOnTimeout?: boolean;
}

/**
 * Sends jobs to the broker and collects their results. Results come back to the QueueManager
 * that queued them, even when several share one broker.
 *
 * ```ts
 * const queue = new QueueManager();
 * queue.queueJobs(new Job(square, [3]));
 * await queue.blockUntilProcessed({ timeout: 10 });
 * for (const job of queue.getResults()) console.log(job.id, job.status, job.retval);
 * ```
 */
export class QueueManager {
  // Connected once the broker's endpoint is known. A small send limit: queued jobs wait in the
  // outbox as Jobs, and are encoded only as the broker takes them.
  #socket?: DealerLike;
  /** Where local workers send direct copies of results (runtime/transport/direct.ts). */
  #resultsSocket?: ResultsSocket;
  #stopped = false;
  #outbox: Outbox;
  // Jobs by their number (see Job): a million queued jobs cost no id string each.
  #outstanding = new NumberMap<Job>();
  #results = new ResultBuffer<Job>();
  /** Jobs awaited through submit/map: settled here, never added to the results. */
  #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Removes the abort listener of a job queued with a signal. */
  #unlisten = new Map<number, () => void>();
  /** Jobs submitted and ids to cancel in this tick, sent together by `#flush` (jobs first). */
  #unsent: Job[] = [];
  /** Arguments encoded when their jobs were queued, by job number: all but short primitives (see encodeLater). */
  #encoded = new Map<number, Buffer>();
  #cancelling: string[] = [];
  /** Numbers of the jobs a cancel was sent for and that have not come back: a second cancel is refused. */
  #cancelled = new Set<number>();
  #flushing = false;
  #callback?: (job: Job) => void;
  #error?: Error;
  #waiters = new Set<() => void>();
  #finished = 0;
  #totalDurationMs = 0;
  #reports = getInstance().config.kvsDumpPipelineStatusReports;

  constructor({ processedCallback }: QueueManagerOptions = {}) {
    if (processedCallback !== undefined && typeof processedCallback !== "function") {
      throw new TypeError(`QueueManager: processedCallback must be a function, got ${typeof processedCallback}`);
    }
    this.#callback = processedCallback;
    const connected = getInstance().brokerEndpoint().then((endpoint) => {
      const socket = connectDealer(endpoint, { sendLimit: SEND_LIMIT });
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

  /**
   * Queues jobs, given one by one or as arrays (`queueJobs(jobs)` for a million of them). Throws
   * TypeError, before any is sent, for a non-Job, a function that is not an export of the job
   * script, or an argument that cannot be sent (a function, a symbol).
   */
  queueJobs(...jobsOrLists: (Job | readonly Job[])[]): void {
    // Arrays too: spreading a million jobs into the call would overflow the stack. The flat copy is
    // this QueueManager's own, so it can wait to be encoded without the caller changing it.
    const jobs = this.#queue(jobsOrLists.flat() as Job[]);
    // Sent now, not at the end of the tick: main may busy-loop right after queueing. Earlier
    // submits first; these jobs go as they are, not copied into #unsent.
    this.#flush();
    if (jobs.length > 0) this.#outbox.sendEach(this.#batchesOf(jobs));
  }

  /** Validates and records the jobs; returns those to send (the same array when none was aborted). */
  #queue(jobs: Job[]): Job[] {
    if (this.#stopped) throw new Error("QueueManager: stopHandling() was called; make a new QueueManager");
    const maxBytes = getInstance().config.maxMessageBytes;
    // Everything is checked before anything is queued; arguments that cannot wait are encoded now,
    // the rest as they leave (#batchesOf).
    let index = 0;
    try {
      for (; index < jobs.length; index++) {
        const job = jobs[index]!;
        if (!(job instanceof Job)) throw new TypeError(`queueJobs: job ${index} is not a Job (got ${describe(job)})`);
        if (this.#outstanding.has(jobNumber(job))) throw new Error(`queueJobs: job ${job.id} is already queued`);
        exportNameOf(job);
        if (!encodeLater(job.args, maxBytes)) this.#encoded.set(jobNumber(job), encodeArgs(job, maxBytes));
      }
    } catch (error) {
      for (let i = 0; i < index; i++) this.#encoded.delete(jobNumber(jobs[i]!));
      throw error;
    }
    const now = Date.now();
    let aborted: Job[] | undefined;
    for (const job of jobs) {
      job.status = Job.Status.UNPROCESSED;
      stampPipeline(job, "queued", now);
      this.#outstanding.set(jobNumber(job), job);
      if (job.signal?.aborted) {
        (aborted ??= []).push(job); // never sent: it ends FAILED below
        continue;
      }
      if (job.signal) this.#listen(job, job.signal);
    }
    runStats.queued += jobs.length;
    if (!aborted) return jobs;
    // Aborted before it was queued: it ends FAILED without reaching a worker (after queueJobs returns, like any result).
    const cancelled = new Set(aborted);
    queueMicrotask(() => {
      const results = [...cancelled].map((job) => cancelledHere(job));
      this.#settle({ items: results, sizes: results.map(() => -1), blob: Buffer.alloc(0) });
    });
    return jobs.filter((job) => !cancelled.has(job));
  }

  /**
   * Cancels a job this QueueManager queued and that has not come back: a waiting job is dropped, a
   * running one has its worker killed and replaced; either way it ends FAILED with `Cancelled`
   * (a `submit` rejects with a JobError whose cause is Cancelled). Returns false, doing nothing,
   * when the job is not outstanding or was cancelled already. A job that finishes before the
   * cancel reaches the broker keeps its result.
   */
  cancel(jobId: string): boolean {
    const number = jobNumberOf(jobId);
    if (number === undefined || !this.#outstanding.has(number) || this.#cancelled.has(number) || this.#stopped) return false;
    this.#cancelled.add(number);
    this.#cancelling.push(jobId);
    this.#flushSoon();
    return true;
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
    if (this.#unsent.length > 0) this.#outbox.sendEach(this.#batchesOf(this.#unsent));
    this.#unsent = [];
    if (this.#cancelling.length > 0) this.#outbox.send([Front.CANCEL, JSON.stringify(this.#cancelling)]);
    this.#cancelling = [];
  }

  /** SUBMIT messages of about BATCH_BYTES each for `jobs`, made one by one as the outbox sends them. */
  #batchesOf(jobs: Job[]): () => (Buffer | string)[] | undefined {
    let next = 0;
    return () => {
      if (next === jobs.length) return undefined;
      const batch = new BatchBuilder();
      for (; next < jobs.length; next++) {
        const job = jobs[next]!;
        const number = jobNumber(job);
        const args = this.#encoded.get(number) ?? JSON.stringify(job.args); // short primitives: JSON carries them exactly
        if (batch.overflows(typeof args === "string" ? args.length : args.byteLength)) break;
        this.#encoded.delete(number);
        const header: Omit<JobRequest, "args"> = { id: jobIdOf(number), fn: exportNameOf(job) };
        if (job.timeout !== undefined) header.timeoutMs = job.timeout * 1000;
        if (job.retries > 0) header.retries = job.retries;
        if (job.priority !== 0) header.priority = job.priority;
        batch.add(header, args);
      }
      return batch.frames(Front.SUBMIT);
    };
  }

  /**
   * Runs `fn(...args)` on a worker and resolves with what it returned; the arguments are checked
   * against `fn`'s parameters at compile time. Rejects with `JobError` (carrying `jobId` and the
   * remote error) when the job fails, with TypeError/RangeError when it cannot be sent, and with
   * `Stopped` when `stopHandling()` comes first (under `strmbrkr run`: when `main` returns). The
   * job is not added to `getResults()` nor given to a `processedCallback`; `blockUntilProcessed()`
   * does wait for it.
   *
   * ```ts
   * const squared: number = await queue.submit(square, 7);
   * ```
   */
  submit<F extends JobFunction>(fn: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    return this.submitWith({}, fn, ...args);
  }

  /** `submit` with job options: `queue.submitWith({ timeout: 5, retries: 2 }, fn, ...args)`. */
  submitWith<F extends JobFunction>(options: JobOptions, fn: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    return new Promise((resolve, reject) => {
      const job = new Job(fn, args, options);
      this.#pending.set(jobNumber(job), { resolve: resolve as (value: unknown) => void, reject });
      try {
        this.#unsent.push(...this.#queue([job]));
        this.#flushSoon();
      } catch (error) {
        this.#pending.delete(jobNumber(job));
        throw error;
      }
    });
  }

  /**
   * Runs `fn(item)` for each item of a sync or async iterable and yields the return values: as
   * they finish, or in input order with `ordered: true`. Pulls the input only while fewer than
   * `inFlight` (default 64) jobs are held, so memory stays bounded however long the input. A failed
   * job throws its `JobError` from the iterator; jobs still out then (or after a `break`) run on
   * and their values are dropped.
   *
   * ```ts
   * for await (const length of queue.map(measure, readLines("urls.txt"), { inFlight: 16 })) total += length;
   * ```
   */
  map<F extends (item: any) => unknown>(
    fn: F,
    input: Iterable<Parameters<F>[0]> | AsyncIterable<Parameters<F>[0]>,
    { ordered, inFlight, ...jobOptions }: MapOptions = {},
  ): AsyncGenerator<Awaited<ReturnType<F>>, void, undefined> {
    const start = (item: Parameters<F>[0]) => this.submitWith(jobOptions, fn, ...([item] as Parameters<F>));
    return mapWithBackPressure(input, start, { ordered: ordered ?? false, inFlight: inFlight ?? undefined, signal: jobOptions.signal });
  }

  /**
   * Yields the jobs queued with `queueJobs` as they finish, draining the same buffer as
   * `getResults()` (use one or the other). Ends when no queued job is outstanding and none is
   * buffered, or at `stopHandling()`; throws a processedCallback's error. With a
   * processedCallback, jobs go to the callback, so this throws TypeError.
   */
  results(): AsyncGenerator<Job, void, undefined> {
    return drain({
      take: () => {
        if (this.#callback) throw new TypeError("results: this QueueManager has a processedCallback, which receives every job");
        if (this.#error) throw this.#error;
        return this.#results.shift();
      },
      more: () => this.#outstanding.size > this.#pending.size && !this.#stopped,
      changed: () => new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
      }),
    });
  }

  /** True when every queued job has come back. */
  get queuedJobsProcessed(): boolean {
    return this.#outstanding.size === 0;
  }

  /** Ids of the jobs queued and not yet back. */
  get queuedJobIds(): string[] {
    return [...this.#outstanding.keys()].map(jobIdOf);
  }

  /** Jobs finished so far and their average run time on a worker. */
  get stats(): { finished: number; averageDurationMs: number } {
    return { finished: this.#finished, averageDurationMs: this.#finished ? this.#totalDurationMs / this.#finished : 0 };
  }

  /**
   * Resolves when every queued job has come back. Rejects with JobTimeoutError ("N jobs left")
   * after `timeout` seconds, dumping the KVS first unless `dumpOnTimeout` is false; rejects with
   * the error a `processedCallback` threw.
   */
  async blockUntilProcessed({ timeout, dumpOnTimeout = true }: BlockOptions = {}): Promise<void> {
    if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
      throw new RangeError(`blockUntilProcessed: timeout must be a number of seconds >= 0, got ${String(timeout)}`);
    }
    const settled = await new Promise<boolean>((resolve) => {
      const check = () => {
        if (this.#error || this.#outstanding.size === 0 || this.#stopped) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(true);
        }
      };
      const timer = timeout === undefined ? undefined : setTimeout(() => {
        this.#waiters.delete(check);
        resolve(false);
      }, timeout * 1000);
      this.#waiters.add(check);
      check();
    });
    if (this.#error) throw this.#error;
    if (this.#outstanding.size > 0 && this.#stopped) throw new Stopped(`QueueManager stopped with ${this.#outstanding.size} jobs left`);
    if (settled) return;
    const left = this.#outstanding.size;
    if (dumpOnTimeout) {
      const path = await KeyValueStore.dump().catch((error: Error) => `(dump failed: ${error.message})`);
      log.warning(`${left} jobs left after ${timeout} s; the key-value store was dumped to ${path}`);
    }
    throw new JobTimeoutError(left, timeout!);
  }

  /** Returns the finished jobs collected so far and forgets them; throws a processedCallback's error. */
  getResults(): Job[] {
    if (this.#error) throw this.#error;
    return this.#results.takeAll();
  }

  /** Closes the connection to the broker; results still out are no longer received. */
  async stopHandling(): Promise<void> {
    if (this.#stopped) return;
    this.#flush();
    this.#stopped = true;
    this.#socket?.close();
    this.#resultsSocket?.close();
    this.#rejectPending(new Stopped("QueueManager: stopHandling() was called before the job came back"));
    for (const wake of [...this.#waiters]) wake();
    await flushReports();
    if (getInstance().role === "host") await getInstance().releaseHub();
  }

  /**
   * Listens for direct copies of results from local workers, and tells the broker where before it
   * sends anything else (runtime/transport/direct.ts). Best effort: a copy that finds no socket is lost, and
   * the broker's comes.
   */
  #offerResultsSocket(): void {
    const path = resultsSocketPath(getInstance().runDir);
    this.#outbox.sendFirst([Front.DIRECT, path]);
    listenForResults(path, getInstance().config.maxMessageBytes + FRAME_OVERHEAD_BYTES, (frames) => {
      if (frames[0]?.toString() === Front.RESULTS && !this.#stopped) this.#settle(readBatch<JobResult>(frames, 1));
    }).then((socket) => {
      if (this.#stopped) socket.close();
      else this.#resultsSocket = socket;
    }, (error: Error) => log.debug(`no results socket at ${path}: ${error.message}`));
  }

  async #receive(socket: DealerLike): Promise<void> {
    try {
      for await (const frames of socket) {
        if (frames[0]?.toString() === Front.RESULTS) this.#settle(readBatch<JobResult>(frames, 1));
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
    let offset = 0;
    for (let i = 0; i < items.length; i++) {
      const size = sizes[i]!;
      this.#accept(items[i]!, blob, offset, offset + Math.max(size, 0));
      if (size > 0) offset += size;
    }
    for (const wake of [...this.#waiters]) wake();
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
    this.#outstanding.delete(number!);
    this.#cancelled.delete(number!);
    this.#encoded.delete(number!); // cancelled before it was sent
    const unlisten = this.#unlisten.get(number!);
    if (unlisten) {
      this.#unlisten.delete(number!);
      unlisten();
    }
    stampPipeline(job, "delegated", result.delegatedAt);
    stampPipeline(job, "started", result.startedAt);
    stampPipeline(job, "processed", result.processedAt);
    stampPipeline(job, "returned", Date.now());
    if (result.ok) {
      job.status = Job.Status.PROCESSED;
      job.retval = decodeAt(blob, start, end);
      runStats.processed++;
    } else {
      job.status = Job.Status.FAILED;
      job.error = result.error;
      if (job.error && end > start) job.error.thrown = decodeAt(blob, start, end); // a non-Error the job threw
      runStats.failed++;
    }
    if (result.startedAt !== undefined && result.processedAt !== undefined) {
      this.#finished++;
      this.#totalDurationMs += result.processedAt - result.startedAt;
    }
    if (this.#reports) writeReport(job.id, { id: job.id, fn: job.name, status: job.status, ...job.pipeline });
    const pending = this.#pending.get(number!);
    if (pending) {
      this.#pending.delete(number!);
      if (job.status === Job.Status.PROCESSED) pending.resolve(job.retval);
      else pending.reject(new JobError(job.id, job.error ?? { name: "Error", message: "no error was reported" }));
      return;
    }
    if (!this.#callback) {
      this.#results.push(job, this.#outstanding.size - this.#pending.size);
      return;
    }
    try {
      this.#callback(job);
    } catch (error) {
      this.#error ??= error as Error;
    }
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    log.error(`queue manager failed: ${error.message}`);
    this.#error ??= error;
    this.#rejectPending(error);
    for (const wake of [...this.#waiters]) wake();
  }

  #rejectPending(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}

/** The result of a job whose signal was aborted before it was queued. */
function cancelledHere(job: Job): JobResult {
  return { id: job.id, ok: false, error: toErrorInfo(new Cancelled(`Job ${job.id} (${job.name}) was cancelled before it was queued: its signal was already aborted`)) };
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
    } else if (typeof arg === "string") chars += 6 * arg.length + 3; // \u escapes at worst
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
    throw new RangeError(`Job ${job.id} (${job.name}): its arguments are ${bytes.length} bytes, over STRMBRKR_MAX_MESSAGE_BYTES (${maxBytes})`);
  }
  return bytes;
}

function describe(value: unknown): string {
  if (typeof value === "function") return `function ${value.name || "<anonymous>"}`;
  if (value === null) return "null";
  return typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value;
}
