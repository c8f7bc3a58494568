import type { ErrorInfo } from "./errors.js";

/** Any function a job may run: an export of the job script. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobFunction = (...args: any[]) => unknown;

export type JobStatus = "unprocessed" | "processed" | "failed";

export interface JobOptions {
  /** Seconds the job may run before its worker is killed; overrides the pool's watchdog. 0: no limit. */
  timeout?: number;
  /** Times to run the job again after it throws, with backoff (100 ms, doubling, at most 10 s). Default 0. */
  retries?: number;
  /** Jobs with a higher priority go to workers first; equal priorities keep FIFO order. Default 0. */
  priority?: number;
  /** Aborting it cancels the job, as `QueueManager.cancel` does: it ends FAILED with `Cancelled`. */
  signal?: AbortSignal;
}

/** When the job passed each stage of its pipeline, in epoch milliseconds. */
export interface PipelineReport {
  queued?: number;
  delegated?: number;
  started?: number;
  processed?: number;
  returned?: number;
}

let sequence = 0;

/** The stages of a job's pipeline, in order. */
export type PipelineStage = keyof PipelineReport;
const STAGES: readonly PipelineStage[] = ["queued", "delegated", "started", "processed", "returned"];
/** Pipeline times are kept as milliseconds since this: small integers, stored inline, where epoch milliseconds would each be a heap number. */
const TIME_BASE = Date.now();

/** Records when `job` passed `stage` (epoch ms; undefined leaves it unknown). For QueueManager, not part of the public API. */
export let stampPipeline: (job: Job, stage: PipelineStage, epochMs: number | undefined) => void;

/**
 * One call of an exported function of the job script, run by some worker.
 *
 * ```ts
 * const job = new Job(simulate, [42], { timeout: 60 });
 * queue.queueJobs(job);
 * ```
 */
export class Job<F extends JobFunction = JobFunction> {
  /** The original's status enum, with string values. */
  static readonly Status = Object.freeze({ UNPROCESSED: "unprocessed", PROCESSED: "processed", FAILED: "failed" } as const);

  /** Unique across the processes of a machine: `<pid>-<n>`. */
  readonly id: string;
  /** The function, or its export name. */
  readonly fn: F | string;
  readonly args: Parameters<F>;
  readonly timeout?: number;
  readonly retries: number;
  readonly priority: number;
  readonly signal?: AbortSignal;
  status: JobStatus = Job.Status.UNPROCESSED;
  /** What the function returned (resolved), once PROCESSED. */
  retval?: Awaited<ReturnType<F>>;
  /** Why it FAILED; the stack points at the job script's own lines. */
  error?: ErrorInfo;
  // Fields, not a PipelineReport object: a million queued jobs each save an object and five heap numbers.
  #queued?: number;
  #delegated?: number;
  #started?: number;
  #processed?: number;
  #returned?: number;

  static {
    stampPipeline = (job, stage, epochMs) => {
      const offset = epochMs === undefined ? undefined : epochMs - TIME_BASE;
      if (stage === "queued") job.#queued = offset;
      else if (stage === "delegated") job.#delegated = offset;
      else if (stage === "started") job.#started = offset;
      else if (stage === "processed") job.#processed = offset;
      else job.#returned = offset;
    };
  }

  /** When the job passed each stage, in epoch milliseconds (a fresh object each time). */
  get pipeline(): PipelineReport {
    const report: PipelineReport = {};
    const offsets = [this.#queued, this.#delegated, this.#started, this.#processed, this.#returned];
    STAGES.forEach((stage, i) => {
      if (offsets[i] !== undefined) report[stage] = TIME_BASE + offsets[i]!;
    });
    return report;
  }

  constructor(fn: F | string, args?: Parameters<F>, options: JobOptions = {}) {
    if (typeof fn !== "function" && (typeof fn !== "string" || fn === "")) {
      throw new TypeError(`Job: fn must be an exported function or its name, got ${fn === null ? "null" : typeof fn}`);
    }
    if (args !== undefined && !Array.isArray(args)) throw new TypeError(`Job: args must be an array, got ${typeof args}`);
    const { timeout, retries = 0, priority = 0, signal } = options;
    if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
      throw new RangeError(`Job: timeout must be a number of seconds >= 0, got ${String(timeout)}`);
    }
    if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`Job: retries must be an integer >= 0, got ${String(retries)}`);
    if (typeof priority !== "number" || !Number.isFinite(priority)) throw new RangeError(`Job: priority must be a finite number, got ${String(priority)}`);
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`Job: signal must be an AbortSignal, got ${typeof signal}`);
    this.id = `${process.pid}-${++sequence}`;
    this.retries = retries;
    this.priority = priority;
    if (signal) this.signal = signal;
    this.fn = fn;
    this.args = (args ?? []) as Parameters<F>;
    if (timeout !== undefined) this.timeout = timeout;
  }

  /** The function's name as given (export names are resolved at queueJobs). */
  get name(): string {
    return typeof this.fn === "string" ? this.fn : this.fn.name || "<anonymous>";
  }
}
