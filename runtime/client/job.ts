import type { ErrorInfo } from "../util/errors.js";

/** Any function a job may run: an export of the job script. */
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

/** The stages of a job's pipeline, in order. */
export type PipelineStage = keyof PipelineReport;
const STAGES: readonly PipelineStage[] = ["queued", "delegated", "started", "processed", "returned"];
/** Pipeline times are kept as milliseconds since this: small integers, stored inline, where epoch milliseconds would each be a heap number. */
const TIME_BASE = Date.now();

/** Records when `job` passed `stage` (epoch ms; undefined leaves it unknown). For QueueManager, not part of the public API. */
export let stampPipeline: (job: Job, stage: PipelineStage, epochMs: number | undefined) => void;

let sequence = 0;
/** What every job id made in this process starts with: `<pid>-`, then the job's number. */
export const JOB_ID_PREFIX = `${process.pid}-`;
/** The number in `job.id`, unique in this process: QueueManager keys its jobs by it (a number costs no string per job). */
export let jobNumber: (job: Job) => number;
/** The number of a job id made in this process; undefined for any other string. */
export function jobNumberOf(id: string): number | undefined {
  if (!id.startsWith(JOB_ID_PREFIX)) return undefined;
  const n = Number(id.slice(JOB_ID_PREFIX.length));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
export const jobIdOf = (n: number): string => JOB_ID_PREFIX + n;

/** The options most jobs have, shared: a million jobs need no options object each. */
const DEFAULT_OPTIONS: Readonly<JobOptions> = Object.freeze({ retries: 0, priority: 0 });

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

  // The id is kept as its number and the options as one (usually shared) object: a queued job's
  // size is what a million of them cost the host.
  #number: number;
  #options: Readonly<JobOptions>;
  /** The function, or its export name. */
  readonly fn: F | string;
  readonly args: Parameters<F>;
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
    jobNumber = (job) => job.#number;
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
    if (typeof priority !== "number" || !Number.isFinite(priority))
      throw new RangeError(`Job: priority must be a finite number, got ${String(priority)}`);
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw new TypeError(`Job: signal must be an AbortSignal, got ${typeof signal}`);
    this.#number = ++sequence;
    this.#options =
      timeout === undefined && retries === 0 && priority === 0 && signal === undefined
        ? DEFAULT_OPTIONS
        : { timeout, retries, priority, signal };
    this.fn = fn;
    // A copy: an array the caller reuses for the next job cannot change this one's arguments.
    this.args = (args ? args.slice() : []) as Parameters<F>;
  }

  /** Unique across the processes of a machine: `<pid>-<n>`. */
  get id(): string {
    return jobIdOf(this.#number);
  }

  /** Seconds the job may run before its worker is killed; undefined: the pool's watchdog decides. */
  get timeout(): number | undefined {
    return this.#options.timeout;
  }

  get retries(): number {
    return this.#options.retries!;
  }

  get priority(): number {
    return this.#options.priority!;
  }

  get signal(): AbortSignal | undefined {
    return this.#options.signal;
  }

  /** What `JSON.stringify` and `console.log` show: the id and options are accessors. */
  toJSON(): Record<string, unknown> {
    const { id, name, args, status, retval, error, timeout, retries, priority } = this;
    return { id, fn: name, args, status, retval, error, timeout, retries, priority, pipeline: this.pipeline };
  }

  [Symbol.for("nodejs.util.inspect.custom")](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    return `Job ${inspect(this.toJSON(), options)}`;
  }

  /** The function's name as given (export names are resolved at queueJobs). */
  get name(): string {
    return typeof this.fn === "string" ? this.fn : this.fn.name || "<anonymous>";
  }
}
