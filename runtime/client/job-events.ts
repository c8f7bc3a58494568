import type { JobResult } from "../wire/jobs.js";
import type { Job } from "./job.js";

/**
 * The job event stream the dashboard and the journal share: a JobClient counts `runStats` (the
 * progress line's and the dashboard's figures) at these two points, and tells the JobEvents its
 * context holds, when one is installed (`strmbrkr run --journal`): a run without one pays one
 * `undefined` check per job.
 */
export interface JobEvents {
  /**
   * A job is queued (not one aborted before it was queued). `args` is its arguments' encoding
   * (runtime/wire/serialize.ts), the same bytes for the same values in every run, when it is made
   * already; undefined for short primitives, not encoded until the job leaves: `encode(job.args)`
   * (a Job's args are its own copy, unchanged). Returning a recorded result answers the job with
   * it instead of sending it (`--resume`); `ended` is then not called.
   */
  queued(job: Job, fn: string, args: Buffer | undefined): RecordedResult | undefined;
  /** A queued job's result came back (or it failed without one); `value` is its encoded return value or thrown non-Error. */
  ended(job: Job, result: JobResult, value: Buffer): void;
}

/** A processed result kept from an earlier run: the encoded value and the times it was computed at (epoch ms). */
export interface RecordedResult {
  value: Buffer;
  delegatedAt?: number;
  startedAt?: number;
  processedAt?: number;
}
