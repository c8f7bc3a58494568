import t from "tap";
import { readFileSync } from "node:fs";
import { fixture } from "./lib/cli.js";
import { sharedRun, type TapTest } from "./lib/scenario.js";

const SCRIPT = "jobs-basic.ts";
const scriptPath = fixture(SCRIPT);
// Every scenario waits for the jobs it queued and drains them: all share one run, one worker.
const run = sharedRun(SCRIPT, [
  "ids",
  "processed",
  "thrown",
  "thrown-async",
  "undefined",
  "by-name",
  "not-exported",
  "unknown-name",
  "bad-args",
  "unserialisable",
]);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

t.test("each job gets a unique id and comes back with its own result", async (t) => {
  const summary = await run(t, "ids");
  t.equal(new Set(summary.ids).size, 6, "six distinct ids");
  for (const id of summary.ids) t.type(id, "string");
  t.same(summary.before, Array(6).fill("unprocessed"), "a new job is UNPROCESSED");
  t.same(summary.statuses, { UNPROCESSED: "unprocessed", PROCESSED: "processed", FAILED: "failed" }, "Job.Status values");
  t.same(
    summary.outcomes.map((o: any) => [o.id, o.status, o.retval, o.returned]),
    summary.ids.map((id: string, i: number) => [id, "processed", i * 2, true]),
    "every job PROCESSED with the value of its own arguments, and returned by getResults",
  );
});

t.test("a job's return value comes back as retval", async (t) => {
  const summary = await run(t, "processed");
  t.equal(summary.status, "processed");
  t.equal(summary.retval, 42);
  t.notOk(summary.error, "no error");
});

/** The fixture's line marked with `marker`, 1-based. */
const lineOf = (marker: string) =>
  readFileSync(scriptPath, "utf8")
    .split("\n")
    .findIndex((line) => line.includes(marker)) + 1;

/** The stack starts with the error and points at the fixture's own line where it was thrown. */
function assertStack(t: TapTest, stack: string | undefined, header: string, fn: string, marker: string) {
  const line = lineOf(marker);
  t.ok(line > 0, `the fixture marks the line with ${marker}`);
  t.ok(stack?.startsWith(`${header}\n`), "the stack starts with the error", { stack });
  t.match(stack, new RegExp(`\\b${fn} \\(${escape(scriptPath)}:${line}:\\d+\\)`), `the stack names ${fn} at ${SCRIPT}:${line}`);
}

t.test("a job that throws is FAILED with the error's name, message, code and a source-mapped stack", async (t) => {
  const summary = await run(t, "thrown");
  t.equal(summary.status, "failed");
  t.equal(summary.retvalType, "undefined", "no retval");
  t.equal(summary.error?.name, "RangeError");
  t.equal(summary.error?.message, "bad input: seven");
  t.equal(summary.error?.code, "E_BAD_INPUT", "a string code is kept");
  assertStack(t, summary.error?.stack, "RangeError: bad input: seven", "fail", "SYNC-THROW-LINE");
});

t.test("an async job that throws its own Error class after an await is FAILED with that name and line", async (t) => {
  const summary = await run(t, "thrown-async");
  t.equal(summary.status, "failed");
  t.equal(summary.error?.name, "InputError");
  t.equal(summary.error?.message, "too late");
  assertStack(t, summary.error?.stack, "InputError: too late", "failLater", "ASYNC-THROW-LINE");
});

t.test("a job that returns undefined is PROCESSED", async (t) => {
  const summary = await run(t, "undefined");
  t.equal(summary.status, "processed");
  t.equal(summary.retvalType, "undefined");
  t.notOk(summary.error, "no error");
});

t.test('new Job("exportName") runs the export of that name', async (t) => {
  const summary = await run(t, "by-name");
  t.equal(summary.status, "processed");
  t.equal(summary.retval, 42);
  t.equal(summary.name, "double");
});

t.test("queueJobs refuses a function that is not an export of the script, naming it and the script", async (t) => {
  const summary = await run(t, "not-exported");
  t.equal(summary.error?.class, "TypeError");
  t.match(summary.error?.message, summary.jobId, "names the job");
  t.match(summary.error?.message, /\bhidden\b/, "names the function");
  t.match(summary.error?.message, scriptPath, "names the script");
  t.same(summary.queuedJobIds, [], "nothing was queued");
});

t.test("queueJobs refuses an unknown export name, naming it and the script, and queues none of the call's jobs", async (t) => {
  const summary = await run(t, "unknown-name");
  t.equal(summary.error?.class, "TypeError");
  t.match(summary.error?.message, summary.jobId, "names the job");
  t.match(summary.error?.message, /\bnoSuchExport\b/, "names the export");
  t.match(summary.error?.message, scriptPath, "names the script");
  t.same(summary.queuedJobIds, [], "the valid job of the same call was not queued either");
});

t.test("queueJobs refuses a function or symbol argument, naming the job and the argument's index", async (t) => {
  const summary = await run(t, "bad-args");
  t.equal(summary.function.error?.class, "TypeError");
  t.match(summary.function.error?.message, summary.function.jobId, "names the job");
  t.match(summary.function.error?.message, /argument 1\b/, "names the index");
  t.match(summary.function.error?.message, /function/, "says it is a function");
  t.equal(summary.symbol.error?.class, "TypeError");
  t.match(summary.symbol.error?.message, summary.symbol.jobId, "names the job");
  t.match(summary.symbol.error?.message, /argument 0\b/, "names the index");
  t.match(summary.symbol.error?.message, /symbol/, "says it is a symbol");
  t.same(summary.queuedJobIds, [], "nothing was queued");
});

t.test("a job returning a value that cannot be sent back is FAILED with a clear error; the worker goes on", async (t) => {
  const summary = await run(t, "unserialisable");
  t.equal(summary.bad.status, "failed");
  t.equal(summary.bad.error?.name, "TypeError");
  t.match(summary.bad.error?.message, summary.bad.id, "names the job");
  t.match(summary.bad.error?.message, /giveFunction/, "names the function");
  t.match(summary.bad.error?.message, /cannot be sent back/, "says why");
  t.equal(summary.nested.status, "failed", "a function inside the returned object fails it too");
  t.equal(summary.nested.error?.name, "TypeError");
  t.match(summary.nested.error?.message, /giveObjectWithMethod.*cannot be sent back/);
  t.equal(summary.after.status, "processed", "the next job still runs");
  t.equal(summary.after.retval, 8);
});
