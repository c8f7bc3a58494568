import t from "tap";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fixture, ROOT } from "./lib/cli.js";
import { sharedRun } from "./lib/scenario.js";

const SCRIPT = "ts7-submit.ts";
// Every scenario awaits its own jobs, and only "separate" queues any (submitted ones are not in getResults): one run.
const run = sharedRun(SCRIPT, ["values", "nested", "failure", "separate"], { workers: 2 });

t.test("submit resolves with the function's return value; submitWith takes job options", async (t) => {
  const summary = await run(t, "values");
  t.same(summary.squares, [1, 4, 9, 16]);
  t.equal(summary.greeting, "hello ts?");
  t.equal(summary.withOptions, "hello options!");
});

t.test("a job submits jobs of its own by function reference (nested, from a worker)", async (t) => {
  const summary = await run(t, "nested");
  t.equal(summary.sum, 1 + 4 + 9 + 16);
});

t.test("a failed submit rejects with JobError carrying the job id and the remote name, message and source-mapped stack", async (t) => {
  const summary = await run(t, "failure");
  t.equal(summary.isJobError, true, "instanceof JobError");
  t.equal(summary.name, "JobError");
  t.equal(summary.code, "ERR_STRMBRKR_JOB");
  t.match(summary.jobId, /^\d+-\d+$/, "the job id");
  t.equal(summary.message, `Job ${summary.jobId} failed: RangeError: cannot divide`);
  t.same(summary.remote.name, "RangeError");
  t.same(summary.remote.message, "cannot divide");
  t.equal(summary.causeIsRangeError, true, "cause is the rebuilt RangeError");
  const path = fixture(SCRIPT);
  const line =
    readFileSync(path, "utf8")
      .split("\n")
      .findIndex((l) => l.includes("SUBMIT-THROW-LINE")) + 1;
  t.ok(summary.stack.startsWith("RangeError: cannot divide\n"), "stack is the remote stack", { stack: summary.stack });
  t.match(summary.stack, `${path}:${line}:`, `the stack points at ${SCRIPT}:${line}`);
  t.equal(summary.remote.stack, summary.stack);
});

t.test("submitted jobs are not in getResults; blockUntilProcessed waits for them", async (t) => {
  const summary = await run(t, "separate");
  t.same(summary.results, [{ id: summary.queuedId, retval: 25 }], "only the queued job");
  t.equal(summary.submitted, 36);
  t.equal(summary.processed, true);
});

t.test("tsc refuses a submit whose argument does not match the function's parameter (TS2345)", async (t) => {
  const tsc = spawnSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, "--noEmit", "-p", fixture("types/tsconfig.json")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  t.equal(tsc.status, 2, "tsc fails", { stdout: tsc.stdout, stderr: tsc.stderr });
  t.match(tsc.stdout, /wrong-submit\.ts\(9,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/);
  t.equal(tsc.stdout.trim().split("\n").length, 1, "and nothing else", { stdout: tsc.stdout });
});
