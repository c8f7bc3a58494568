/**
 * A job's and a result's header JSON, written by hand (runtime/wire/job-json.ts): exactly what
 * JSON.stringify writes of the same fields in the usual shapes, and valid JSON that reads back as
 * JSON.stringify's would for odd ones (numbers that are not finite, strings that need escapes,
 * errors and leases, malformed types from a peer).
 */
import t from "tap";
import { jobJson, resultJson, type JobHeader } from "../runtime/wire/job-json.js";
import type { JobResult } from "../runtime/wire/jobs.js";

const JOB_FIELDS = ["id", "fn", "timeoutMs", "retries", "priority", "delegatedAt", "replyTo", "lease"] as const;
const RESULT_FIELDS = [
  "id",
  "ok",
  "error",
  "delegatedAt",
  "startedMs",
  "processedMs",
  "workerPid",
  "runMs",
  "memoryMb",
  "copied",
  "lease",
] as const;

/** JSON.stringify of `item`'s named fields, in that order (the payload and unknown fields left out). */
function stringified(item: object, fields: readonly string[]): string {
  const record = item as Record<string, unknown>;
  return JSON.stringify(Object.fromEntries(fields.filter((name) => name in record).map((name) => [name, record[name]])));
}

t.test("the usual shapes: byte for byte what JSON.stringify writes", async (t) => {
  const jobs: JobHeader[] = [
    { id: "31545-1", fn: "echo" },
    { id: "31545-99999", fn: "simulate", timeoutMs: 60_000, retries: 3, priority: -2 },
    { id: "7-1", fn: "work", delegatedAt: 1_733_334_455_667, replyTo: "/tmp/strmbrkr-x/results-7-1.sock" },
    { id: "7-2", fn: "work", priority: 0.5, delegatedAt: 1_733_334_455_667, lease: "AAECAw==" },
  ];
  for (const job of jobs) t.equal(jobJson(job), stringified(job, JOB_FIELDS), `job ${job.id}`);
  const results: Omit<JobResult, "value">[] = [
    { id: "31545-1", ok: true, delegatedAt: 1_733_334_455_667, startedMs: 0, processedMs: 0, workerPid: 31569, runMs: 0.003 },
    { id: "31545-2", ok: true, delegatedAt: 1_733_334_455_667, startedMs: 2, processedMs: 51, workerPid: 3, runMs: 50.125, memoryMb: 71.5 },
    { id: "31545-3", ok: false, error: { name: "TypeError", message: 'bad "x"\n', stack: "TypeError: …\n    at f (script.ts:3:9)" } },
    { id: "31545-4", ok: true, runMs: 1, copied: true, lease: { client: "AAECAw==", fn: "work" } },
    { id: "31545-5", ok: false, workerPid: 12 },
  ];
  for (const result of results) t.equal(resultJson(result), stringified(result, RESULT_FIELDS), `result ${result.id}`);
});

t.test("a payload and fields not in the header are left out", async (t) => {
  const job = { id: "1-1", fn: "f", args: new Uint8Array([1, 2]), extra: "x" };
  t.strictSame(JSON.parse(jobJson(job)), { id: "1-1", fn: "f" });
  const result = { id: "1-1", ok: true, value: new Uint8Array([1]), extra: 1 };
  t.strictSame(JSON.parse(resultJson(result)), { id: "1-1", ok: true });
});

/**
 * What JSON.stringify's header would read back as, but for what it leaves out and the header
 * writes as null: a required field (`required`) or a function.
 */
function readBack(item: object, fields: readonly string[], required: readonly string[]): Record<string, unknown> {
  const record = item as Record<string, unknown>;
  const expected = JSON.parse(stringified(item, fields)) as Record<string, unknown>;
  for (const name of fields) {
    if (typeof record[name] === "function" || (required.includes(name) && !(name in expected))) expected[name] = null;
  }
  return expected;
}

t.test("odd values: valid JSON, read back as JSON.stringify's would be", async (t) => {
  const odd = (item: object) => item as JobHeader & Omit<JobResult, "value">;
  const items = [
    { id: 'quote " backslash \\ newline \n tab \t nul \u0000 é 🎉 \u2028', fn: "f$unicode_é" },
    { id: "1-1", fn: "f", timeoutMs: Number.NaN, retries: Number.POSITIVE_INFINITY, priority: -0, delegatedAt: 1e21 },
    { id: 5, fn: null, timeoutMs: "60", priority: true, replyTo: 7, lease: { nested: [1, "two"] } },
    { id: "1-2", ok: true, startedMs: Number.NaN, processedMs: Number.NEGATIVE_INFINITY, runMs: 1e-7, memoryMb: 2 ** 60 },
    { id: undefined, ok: undefined, error: { name: "Error", message: "m", cause: { nested: true } }, copied: false },
    { id: "1-3", ok: "yes", workerPid: "12", lease: "not an object", delegatedAt: () => 1 },
  ];
  for (const [i, item] of items.entries()) {
    t.strictSame(JSON.parse(jobJson(odd(item))), readBack(item, JOB_FIELDS, ["id", "fn"]), `job ${i}`);
    t.strictSame(JSON.parse(resultJson(odd(item))), readBack(item, RESULT_FIELDS, ["id", "ok"]), `result ${i}`);
  }
});
