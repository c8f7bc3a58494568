import type { JobDispatch, JobResult } from "../wire/jobs.js";
import { decode, encode } from "../wire/serialize.js";
import { stacklessErrorInfo, toErrorInfo } from "../util/errors.js";

/** Runs one job against the bundle's exports; never throws: failures become FAILED results. */
export async function runJob(exports: Record<string, unknown>, job: JobDispatch, maxMessageBytes: number): Promise<JobResult> {
  const startedAt = Date.now();
  const started = performance.now();
  const finish = (fields: Pick<JobResult, "ok" | "value" | "error">): JobResult => ({
    // runMs to the microsecond: its 17 digits were a tenth of a tiny job's bytes through the hub.
    id: job.id,
    ...fields,
    delegatedAt: job.delegatedAt,
    startedMs: startedAt - job.delegatedAt,
    processedMs: Date.now() - startedAt,
    workerPid: process.pid,
    runMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
  const fn = exports[job.fn];
  if (typeof fn !== "function") {
    return finish({ ok: false, error: toErrorInfo(new TypeError(`${job.fn} is not an exported function of the job script`)) });
  }
  let value: unknown;
  try {
    value = await fn(...decode<unknown[]>(job.args));
  } catch (error) {
    // A thrown non-Error travels too, in the value's place: the QueueManager puts it on `error.thrown`.
    return finish({
      ok: false,
      error: toErrorInfo(error),
      value: error instanceof Error ? undefined : encodeThrown(error, maxMessageBytes),
    });
  }
  let encoded: Buffer;
  try {
    encoded = encode(value);
  } catch (error) {
    return finish({
      ok: false,
      error: stacklessErrorInfo(
        new TypeError(`Job ${job.id} (${job.fn}) returned a value that cannot be sent back: ${(error as Error).message}`),
      ),
    });
  }
  if (encoded.length > maxMessageBytes) {
    return finish({
      ok: false,
      error: stacklessErrorInfo(
        new RangeError(`Job ${job.id} (${job.fn}) returned ${encoded.length} bytes, over STRMBRKR_MAX_MESSAGE_BYTES (${maxMessageBytes})`),
      ),
    });
  }
  return finish({ ok: true, value: encoded });
}

/** A thrown non-Error's encoding, or undefined when it cannot travel (then only its description does). */
function encodeThrown(value: unknown, maxMessageBytes: number): Buffer | undefined {
  try {
    const encoded = encode(value);
    return encoded.length <= maxMessageBytes ? encoded : undefined;
  } catch {
    return undefined;
  }
}
