import { JobClient } from "../runtime/client/job-client.js";
import { getLogger } from "../runtime/config/logger.js";
import { Fifo } from "../runtime/util/fifo.js";
import { JobError, JobTimeoutError, Stopped } from "../runtime/util/errors.js";
import { Job, jobNumber, type JobFunction, type JobOptions } from "../runtime/client/job.js";
import { drain, mapWithBackPressure, type MapOptions } from "./streams.js";
import { KeyValueStore } from "./key-value-store.js";
import { currentRun } from "./run-context.js";

const log = getLogger("queue");

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
  /** The connection, the outstanding jobs and their encoding (runtime/client/job-client.ts). */
  #client: JobClient;
  #results = new Fifo<Job>();
  /** Jobs awaited through submit/map: settled here, never added to the results. */
  #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #callback?: (job: Job) => void;
  #error?: Error;
  #waiters = new Set<() => void>();

  constructor({ processedCallback }: QueueManagerOptions = {}) {
    if (processedCallback !== undefined && typeof processedCallback !== "function") {
      throw new TypeError(`QueueManager: processedCallback must be a function, got ${typeof processedCallback}`);
    }
    this.#callback = processedCallback;
    this.#client = new JobClient(currentRun(), {
      settled: (job) => this.#settled(job),
      changed: () => this.#wake(),
      failed: (error) => {
        this.#error ??= error;
        this.#rejectPending(error);
        this.#wake();
      },
    });
  }

  /**
   * Queues jobs, given one by one or as arrays (`queueJobs(jobs)` for a million of them). Throws
   * TypeError, before any is sent, for a non-Job, a function that is not an export of the job
   * script, or an argument that cannot be sent (a function, a symbol).
   */
  queueJobs(...jobsOrLists: (Job | readonly Job[])[]): void {
    // Arrays too: spreading a million jobs into the call would overflow the stack. The flat copy is
    // this QueueManager's own, so it can wait to be encoded without the caller changing it.
    this.#client.sendNow(jobsOrLists.flat() as Job[]);
  }

  /**
   * Cancels a job this QueueManager queued and that has not come back: a waiting job is dropped, a
   * running one has its worker killed and replaced; either way it ends FAILED with `Cancelled`
   * (a `submit` rejects with a JobError whose cause is Cancelled). Returns false, doing nothing,
   * when the job is not outstanding or was cancelled already. A job that finishes before the
   * cancel reaches the broker keeps its result.
   */
  cancel(jobId: string): boolean {
    return this.#client.cancel(jobId);
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
        this.#client.sendSoon([job]);
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
      more: () => this.#client.outstanding > this.#pending.size && !this.#client.stopped,
      changed: () =>
        new Promise<void>((resolve) => {
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
    return this.#client.outstanding === 0;
  }

  /** Ids of the jobs queued and not yet back. */
  get queuedJobIds(): string[] {
    return this.#client.outstandingIds;
  }

  /** Jobs finished so far and their average run time on a worker. */
  get stats(): { finished: number; averageDurationMs: number } {
    return this.#client.stats;
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
        if (this.#error || this.#client.outstanding === 0 || this.#client.stopped) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(true);
        }
      };
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => {
              this.#waiters.delete(check);
              resolve(false);
            }, timeout * 1000);
      this.#waiters.add(check);
      check();
    });
    if (this.#error) throw this.#error;
    if (this.#client.outstanding > 0 && this.#client.stopped)
      throw new Stopped(`QueueManager stopped with ${this.#client.outstanding} jobs left`);
    if (settled) return;
    const left = this.#client.outstanding;
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
    if (this.#client.stopped) return;
    const stopped = this.#client.stop();
    this.#rejectPending(new Stopped("QueueManager: stopHandling() was called before the job came back"));
    this.#wake();
    await stopped;
  }

  /** A job queued here came back: to its submit, the processedCallback, or the results. */
  #settled(job: Job): void {
    const number = jobNumber(job);
    const pending = this.#pending.get(number);
    if (pending) {
      this.#pending.delete(number);
      if (job.status === Job.Status.PROCESSED) pending.resolve(job.retval);
      else pending.reject(new JobError(job.id, job.error ?? { name: "Error", message: "no error was reported" }));
      return;
    }
    if (!this.#callback) {
      this.#results.push(job, this.#client.outstanding - this.#pending.size);
      return;
    }
    try {
      this.#callback(job);
    } catch (error) {
      this.#error ??= error as Error;
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  #rejectPending(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}
