/**
 * `strmbrkr report JOURNAL --trace FILE` on a real run's journal: a Chrome trace (JSON object form)
 * with a well-formed event for each finished job, a named track per worker the journal names, the
 * failed jobs marked; written 0600; the summary still printed.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { strmbrkr } from "./lib/cli.js";
import { reportRun } from "./lib/journal.js";

const isCount = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;

t.test("one complete event per finished job, a named track per worker", { timeout: 90_000 }, async (t) => {
  const { dir, journal, finished, pids } = await reportRun(t);
  const trace = join(dir, "run.trace.json");
  const result = await strmbrkr(["report", journal, "--trace", trace], { timeoutMs: 30_000 });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr });
  t.match(result.stdout, /^journal .*: 1 run, 121 records\n/, "the summary is printed");
  t.match(result.stdout, `\ntrace (60 jobs): ${trace}\n`, "and where the trace went");
  t.equal(statSync(trace).mode & 0o777, 0o600, "the trace is 0600");

  const parsed = JSON.parse(readFileSync(trace, "utf8"));
  t.equal(parsed.displayTimeUnit, "ms");
  t.ok(Array.isArray(parsed.traceEvents), "traceEvents is an array");
  const events: any[] = parsed.traceEvents;
  const bad = events.filter(
    (event) =>
      typeof event.name !== "string" ||
      !["X", "M"].includes(event.ph) ||
      !isCount(event.pid) ||
      !isCount(event.tid) ||
      (event.ph === "X" && (!isCount(event.ts) || !isCount(event.dur) || typeof event.args?.id !== "string")) ||
      (event.ph === "M" && typeof event.args !== "object"),
  );
  t.same(bad, [], "every event has a name, a phase, a pid and a tid; each X integer ts and dur >= 0 (µs) and a job id");

  const slices = events.filter((event) => event.ph === "X");
  t.equal(slices.length, finished.length, "one X event per finished job");
  t.same(slices.map((event) => event.args.id).sort(), finished.map((record) => record.id).sort(), "named by the jobs' ids");
  const byId = new Map(finished.map((record) => [record.id, record]));
  const wrong = slices.filter((event) => {
    const record = byId.get(event.args.id)!;
    return (
      event.pid !== 1 ||
      event.tid !== record.pid ||
      event.args.status !== record.status ||
      event.dur !== (record.processed - record.started) * 1000 ||
      !["square", "nap"].includes(event.name) ||
      (record.status === "failed") !== (event.cname === "terrible")
    );
  });
  t.same(wrong, [], "each on run 1, its worker's track, named by its function, its status and duration as recorded, red when failed");
  t.equal(slices.filter((event) => event.args.status === "failed").length, 6, "the six failures");
  t.equal(slices.filter((event) => event.name === "nap").length, 20, "the twenty naps");

  const origin = Math.min(...finished.map((record) => record.started));
  const first = slices.find((event) => event.args.id === finished.find((record) => record.started === origin)!.id);
  t.ok(first.ts >= 0 && first.ts < 60_000_000, "times are microseconds from the run's start");

  const threads = events.filter((event) => event.ph === "M" && event.name === "thread_name");
  t.same(
    threads.map((event) => [event.pid, event.tid, event.args.name]).sort(),
    pids.map((pid) => [1, pid, `worker ${pid}`]).sort(),
    "a thread_name event per worker, naming it",
  );
  const process = events.find((event) => event.ph === "M" && event.name === "process_name");
  t.same([process.pid, process.args.name], [1, "run 1: journal-report.ts"], "the run is named after its script");
});
