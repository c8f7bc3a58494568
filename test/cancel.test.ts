import t from "tap";
import { runScenario, sharedRun, type TapTest } from "./lib/scenario.js";

const SCRIPT = "ts7-cancel.ts";
const run = (t: TapTest, scenario: string, workers = 1) => runScenario(t, SCRIPT, scenario, { workers });
// One run, one worker, for the scenarios that leave the store and the pool as the next expects: none
// records a job's name before cancel-held reads them, none waits on the keys hold and spin set, and
// timeouts, whose spinning jobs the watchdog kills, comes last.
const shared = sharedRun(SCRIPT, ["abort-before", "cancel-held", "cancel-many", "cancel-unknown", "bad-options", "timeouts"]);

t.test("higher priority jobs go to the worker first; equal priorities keep FIFO order (one worker)", async (t) => {
  const { summary } = await run(t, "priority");
  t.same(summary.order, ["c", "e", "s", "d", "h", "a", "b", "f", "g"]);
  t.same(summary.statuses, Array(9).fill("processed"), "the holder and the eight queued jobs");
});

t.test("cancel drops a waiting job: it ends FAILED with Cancelled and never runs", async (t) => {
  const { summary } = await run(t, "cancel-queued");
  t.equal(summary.accepted, true, "cancel returned true");
  t.equal(summary.y.status, "failed");
  t.equal(summary.y.error.name, "Cancelled");
  t.match(summary.y.error.message, /^Job \d+-\d+ \(record\) was cancelled before it started$/);
  t.equal(summary.x, "processed");
  t.equal(summary.z, "processed");
  t.same(summary.ran, ["x", "z"], "y never ran");
  t.equal(summary.again, false, "cancelling a finished job returns false");
});

t.test("cancel stops a running job: its worker is killed and replaced", async (t) => {
  const { summary, result } = await run(t, "cancel-running");
  t.equal(summary.accepted, true);
  t.equal(summary.twice, false, "a second cancel of the same job returns false");
  t.equal(summary.outcome.status, "failed");
  t.equal(summary.outcome.error.name, "Cancelled");
  t.match(
    summary.outcome.error.message,
    new RegExp(`was cancelled while running; its worker \\(pid ${summary.pid}\\) was killed and replaced$`),
  );
  t.equal(summary.after, 42, "a replacement worker runs the next job");
  t.notMatch(result.stderr, /Error/, "nothing else went wrong", { stderr: result.stderr });
  t.notMatch(result.stderr, / - WARNING - /, "the kill was asked for: no warning", { stderr: result.stderr });
  t.match(
    result.stderr,
    / - INFO - worker \d+\.\d+ exited to signal SIGKILL, as asked; starting a replacement\n/,
    "its exit is logged as INFO",
  );
});

t.test("aborting submit's signal cancels the running job: JobError caused by Cancelled", async (t) => {
  const { summary } = await run(t, "abort-submit");
  t.equal(summary.isJobError, true);
  t.equal(summary.causeIsCancelled, true);
  t.equal(summary.remote, "Cancelled");
  t.match(summary.message, /failed: Cancelled: Job \d+-\d+ \(spin\) was cancelled while running/);
  t.equal(summary.after, 8);
});

t.test("a signal aborted before queueing: the job fails with Cancelled and never reaches a worker", async (t) => {
  const summary = await shared(t, "abort-before");
  t.equal(summary.submit.class, "JobError");
  t.equal(summary.remote, "Cancelled");
  t.match(summary.submit.message, /was cancelled before it was queued: its signal was already aborted/);
  t.equal(summary.job.status, "failed");
  t.equal(summary.job.error.name, "Cancelled");
  t.same(summary.ran, [], "nothing ran");
});

t.test("aborting map's signal stops pulling input and cancels the jobs in flight", async (t) => {
  const { summary } = await run(t, "abort-map", 2);
  t.equal(summary.consumed, 10);
  t.ok(summary.pulled <= 10 + 4 + 1, `it stopped pulling (pulled ${summary.pulled})`);
  const cancelled = {
    class: "Cancelled",
    name: "Cancelled",
    message: "map was cancelled: its signal was aborted",
    code: "ERR_STRMBRKR_CANCELLED",
  };
  t.same(summary.thrown, cancelled, "map threw Cancelled at once");
  t.equal(summary.leftover, 0, "the jobs in flight were cancelled: none left outstanding");
  t.same(summary.emptyMap, cancelled, "a signal aborted before the map starts");
});

t.test("jobs a busy worker holds but has not started are cancelled without running", async (t) => {
  const summary = await shared(t, "cancel-held");
  t.same(summary.ran, ["long"], "none of the cancelled jobs ran");
  t.same(summary.short, Array(10).fill("Cancelled"));
  t.equal(summary.long, "processed");
  t.equal(summary.after, 6);
});

t.test("cancelling 1,000 of 3,000 batched jobs: each ends once, as Cancelled or with its value; the rest are untouched", async (t) => {
  const summary = await shared(t, "cancel-many");
  t.equal(summary.results, 3_000, "every job came back");
  t.equal(summary.unique, 3_000, "once each");
  t.equal(summary.wrong, 0, "cancelled ones Cancelled (or done first), the others processed with their value");
  t.ok(summary.cancelledCount > 0 && summary.cancelledCount <= 1_000, `some were cancelled (${summary.cancelledCount})`);
  t.equal(summary.after, 100, "the worker still takes jobs");
});

t.test("cancel of an unknown or finished job returns false and changes nothing", async (t) => {
  const summary = await shared(t, "cancel-unknown");
  t.same(summary, { unknown: false, finished: false, status: "processed" });
});

t.test("a per-job timeout works through submitWith and map", async (t) => {
  const summary = await shared(t, "timeouts");
  t.same(summary, { viaSubmit: "WatchdogTimeout", viaMap: "WatchdogTimeout" });
});

t.test("a bad priority or signal is refused when the Job is made", async (t) => {
  const summary = await shared(t, "bad-options");
  t.same(summary.priority, { class: "RangeError", name: "RangeError", message: "Job: priority must be a finite number, got NaN" });
  t.same(summary.signal, { class: "TypeError", name: "TypeError", message: "Job: signal must be an AbortSignal, got string" });
});
