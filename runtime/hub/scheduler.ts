import { DIRECT_MAX_JOBS } from "../transport/direct.js";
import type { JobRequest } from "../wire/jobs.js";
import { LONG_JOB_MS, MAX_AHEAD, NEXT_LEAD_MS, TARGET_AHEAD_MS, type JobTimes } from "./credit.js";

/**
 * The broker's dispatch policy: which jobs go to which worker next, when a long job's successor
 * goes, and when a failed job runs again. Plain functions of the queue and the workers' credit: no
 * sockets, no timers, no clock. The broker carries out their answers (broker.ts).
 */

/** A job the broker holds for its client, from submit until it ends. */
export interface QueuedJob {
  client: Buffer;
  request: JobRequest;
  /** How many workers died while running it. */
  lost: number;
  /** How many times it threw (for jobs with `retries`). */
  failures: number;
}

/** The jobs waiting for a worker, best first (hub/priority-queue.ts). */
export interface JobQueue {
  readonly length: number;
  shift(): QueuedJob | undefined;
  /** Puts jobs back at the front of their priority, in their order. */
  unshift(jobs: QueuedJob[]): void;
}

/** What the scheduler knows of a worker: its credit. */
export interface WorkerCredit {
  /** Jobs it holds, the one it runs included. */
  readonly held: number;
  /** Expected milliseconds of work it holds. */
  readonly aheadMs: number;
  /** Finishing what it holds, then leaving: it takes no new jobs. */
  readonly retiring: boolean;
}

/** Jobs for one worker, in the order it runs them. */
export interface Dispatch<W extends WorkerCredit> {
  worker: W;
  jobs: QueuedJob[];
  /** The worker's `aheadMs` once it holds them. */
  aheadMs: number;
  /** A small dispatch: its jobs ask for direct copies of their results (runtime/transport/direct.ts). */
  copies: boolean;
}

/** The priority a job waits at: higher first, undefined means 0. */
export const priorityOf = (job: QueuedJob): number => job.request.priority ?? 0;

/** Expected run time of a job; a function not timed yet counts as a whole worker's credit, so it goes to a worker alone. */
export function expectedMs(times: JobTimes, job: QueuedJob): number {
  const expected = times.expectedMs(job.request.fn);
  return Number.isFinite(expected) ? expected : TARGET_AHEAD_MS;
}

/** Whether a job is timed as long (over LONG_JOB_MS): no direct copy; its successor planned when it runs alone. */
export function isLong(times: JobTimes, job: QueuedJob): boolean {
  const expected = times.expectedMs(job.request.fn);
  return Number.isFinite(expected) && expected > LONG_JOB_MS;
}

/** Workers that take new jobs (not retiring). */
export function openWorkers(workers: readonly WorkerCredit[]): number {
  let open = 0;
  for (const worker of workers) if (!worker.retiring) open++;
  return open;
}

/**
 * Takes from `queue` the jobs each worker gets now, in batches: a worker is filled up to its
 * credit (TARGET_AHEAD_MS of expected work; a worker holding nothing always gets one job), at
 * most MAX_AHEAD jobs at once, and what the queue holds is shared over the open workers, so a
 * short queue does not all go to the first. Retiring workers get nothing. Workers are served in
 * the order given.
 */
export function schedule<W extends WorkerCredit>(queue: JobQueue, workers: readonly W[], times: JobTimes): Dispatch<W>[] {
  const dispatches: Dispatch<W>[] = [];
  let open = openWorkers(workers);
  for (const worker of workers) {
    if (queue.length === 0) break;
    if (worker.retiring) continue;
    const share = Math.ceil(queue.length / open--); // the tail of the queue, shared fairly
    const jobs: QueuedJob[] = [];
    let held = worker.held;
    let aheadMs = worker.aheadMs;
    while (jobs.length < share && jobs.length < MAX_AHEAD && queue.length > 0) {
      const next = queue.shift()!;
      const expected = expectedMs(times, next);
      if (held > 0 && aheadMs + expected > TARGET_AHEAD_MS) {
        queue.unshift([next]);
        break;
      }
      jobs.push(next);
      held++;
      aheadMs += expected;
    }
    if (jobs.length > 0)
      dispatches.push({ worker, jobs, aheadMs, copies: jobs.length <= DIRECT_MAX_JOBS && !jobs.some((job) => isLong(times, job)) });
  }
  return dispatches;
}

/**
 * A worker runs one long job at a time, so no job waits behind another while a worker idles;
 * but then each job also waits for the round trip that reports its predecessor. So when the job
 * a worker runs alone is timed as long, its successor is sent NEXT_LEAD_MS before the job is
 * expected to end: this says how long from now, or undefined when there is no successor to plan.
 */
export function successorDelayMs(worker: WorkerCredit, running: QueuedJob, times: JobTimes): number | undefined {
  if (worker.held !== 1 || !isLong(times, running)) return undefined;
  return Math.max(0, times.expectedMs(running.request.fn) - NEXT_LEAD_MS);
}

/**
 * When that time comes: the successor taken from `queue`, if the worker still holds one job and
 * the queue holds more jobs than there are open workers, so each other worker has one of its own
 * (the most a job can then wait behind another is that one's overrun, near the end of a queue of
 * jobs that vary).
 */
export function takeSuccessor(worker: WorkerCredit, queue: JobQueue, workers: readonly WorkerCredit[]): QueuedJob | undefined {
  if (worker.retiring || worker.held !== 1 || queue.length <= openWorkers(workers)) return undefined;
  return queue.shift();
}

/** Retry backoff after the nth failure: 100 ms, doubling, at most 10 s. */
export const retryDelayMs = (failures: number): number => Math.min(100 * 2 ** (failures - 1), 10_000);

/** How long a job that just threw waits before it runs again, or undefined when it has no retries left. */
export function retryAfterMs(job: QueuedJob): number | undefined {
  return job.failures < (job.request.retries ?? 0) ? retryDelayMs(job.failures + 1) : undefined;
}
