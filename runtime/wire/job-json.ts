import type { JobDispatch, JobResult } from "./jobs.js";

/*
 * The JSON of a job's or a result's header in a batch (runtime/wire/job-batch.ts), written field by
 * field instead of by JSON.stringify: the host writes one per job it queues, the hub one per job it
 * dispatches, a worker one per result, and JSON.stringify took about twice as long for these small
 * objects (BENCHMARKS.md, "Figures behind choices in the code"). What is written is what
 * JSON.stringify would write of the fields named here (others are left out; a payload travels
 * beside the header, never in it), and always valid JSON, whatever a malformed item holds.
 */

/** A job as the host submits it (no `delegatedAt`) or the hub dispatches it, without its arguments. */
export type JobHeader = Omit<JobDispatch, "args" | "delegatedAt"> & { delegatedAt?: number };

/** A job without its arguments. */
export function jobJson(job: JobHeader): string {
  return `{"id":${any(job.id)},"fn":${any(job.fn)}${numberField("timeoutMs", job.timeoutMs)}${numberField("retries", job.retries)}${numberField("priority", job.priority)}${numberField("delegatedAt", job.delegatedAt)}${field("replyTo", job.replyTo)}${field("lease", job.lease)}}`;
}

/** A result without its value. */
export function resultJson(result: Omit<JobResult, "value">): string {
  return `{"id":${any(result.id)},"ok":${any(result.ok)}${field("error", result.error)}${numberField("delegatedAt", result.delegatedAt)}${numberField("startedMs", result.startedMs)}${numberField("processedMs", result.processedMs)}${numberField("workerPid", result.workerPid)}${numberField("runMs", result.runMs)}${numberField("memoryMb", result.memoryMb)}${field("copied", result.copied)}${field("lease", result.lease)}}`;
}

/** A value's JSON; null where JSON.stringify writes nothing (undefined, a function). */
const any = (value: unknown): string => JSON.stringify(value) ?? "null";

/** `,"name":value` ("" for undefined). */
const field = (name: string, value: unknown): string => (value === undefined ? "" : `,"${name}":${any(value)}`);

/** `field` for a number, written without JSON.stringify when finite (as it would write it). */
const numberField = (name: string, value: number | undefined): string =>
  value === undefined ? "" : `,"${name}":${typeof value === "number" && Number.isFinite(value) ? value : any(value)}`;
