import type { JobDispatch, JobResult } from "../protocol.js";
import { decode, encode } from "../serialize.js";
import { toErrorInfo } from "../../stdlib/errors.js";

/** Runs one job against the bundle's exports; never throws: failures become FAILED results. */
export async function runJob(exports: Record<string, unknown>, job: JobDispatch): Promise<JobResult> {
  const startedAt = Date.now();
  const finish = (fields: Pick<JobResult, "ok" | "value" | "error">): JobResult => ({
    id: job.id, ...fields, startedAt, processedAt: Date.now(), workerPid: process.pid,
  });
  const fn = exports[job.fn];
  if (typeof fn !== "function") {
    return finish({ ok: false, error: toErrorInfo(new TypeError(`${job.fn} is not an exported function of the job script`)) });
  }
  let value: unknown;
  try {
    value = await fn(...decode<unknown[]>(job.args));
  } catch (error) {
    return finish({ ok: false, error: toErrorInfo(error) });
  }
  try {
    return finish({ ok: true, value: encode(value) });
  } catch (error) {
    const message = `Job ${job.id} (${job.fn}) returned a value that cannot be sent back: ${(error as Error).message}`;
    return finish({ ok: false, error: { name: "TypeError", message, stack: `TypeError: ${message}` } });
  }
}
