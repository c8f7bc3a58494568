import t from "tap";
import { runScenario } from "./lib/scenario.js";

const SCRIPT = "jobs-workers.ts";

t.test("procCount must be an integer of at least 1", async (t) => {
  const { summary } = await runScenario(t, SCRIPT, "invalid");
  t.equal(summary.five?.class, "TypeError", '"five": TypeError');
  t.match(summary.five?.message, /procCount/, "names the option");
  t.match(summary.five?.message, /"five"/, "names the value");
  t.equal(summary.fraction?.class, "TypeError", "1.5: TypeError");
  t.equal(summary.zero?.class, "RangeError", "0: RangeError");
  t.match(summary.zero?.message, /procCount.*\b0\b/, "names the option and the value");
  t.equal(summary.negative?.class, "RangeError", "-2: RangeError");
  t.equal(summary.valid, null, "procCount 1 is fine");
});

t.test("started, workerCount and isProcessing follow startWorkers, a running job and stopWorkers", async (t) => {
  const { summary } = await runScenario(t, SCRIPT, "start-stop", { workers: 1 });
  const { main, extra } = summary;
  t.same(main.atStart, { started: true, workerCount: 1, isProcessing: false }, "main's pool: started with --workers 1, idle");
  t.ok(main.sawBusy, "isProcessing turned true while the job ran");
  t.same(main.busy, { started: true, workerCount: 1, isProcessing: true });
  t.equal(main.job.status, "processed");
  t.ok(main.sawIdle, "isProcessing turned false once the job was back");
  t.same(main.idle, { started: true, workerCount: 1, isProcessing: false });
  t.same(extra.before, { started: false, workerCount: 0, isProcessing: false }, "a new WorkerManager starts nothing");
  t.same(extra.running, { started: true, workerCount: 2, isProcessing: false }, "after startWorkers: two workers");
  t.same(extra.stopped, { started: false, workerCount: 0, isProcessing: false }, "after stopWorkers: none");
});

t.test("twice as many jobs as workers all complete, spread over the workers", async (t) => {
  const { summary } = await runScenario(t, SCRIPT, "many-jobs", { workers: 2 });
  t.equal(summary.workerCount, 2);
  t.equal(summary.jobs.length, 4);
  t.same(
    summary.jobs.map((job: any) => job.status),
    Array(4).fill("processed"),
    "every job PROCESSED",
  );
  t.equal(new Set(summary.jobs.map((job: any) => job.retval)).size, 2, "both workers ran jobs");
  t.equal(summary.after.workerCount, 2, "the pool keeps its size");
});

t.test("stopWorkers() lets a busy worker finish its job, and its result arrives", async (t) => {
  const { summary } = await runScenario(t, SCRIPT, "stop-busy", { workers: 1 });
  t.ok(summary.sawBusy, "the worker was busy when stopWorkers was called");
  t.ok(summary.stopCalledAt < summary.finishedAt, "stopWorkers was called before the job finished");
  t.ok(
    summary.finishedAt <= summary.stopDoneAt,
    `stopWorkers resolved after the job finished (${summary.stopDoneAt - summary.finishedAt} ms later)`,
  );
  t.same(summary.stopped, { started: false, workerCount: 0, isProcessing: false }, "stopped");
  t.equal(summary.error, null, "the job came back", { error: summary.error });
  t.equal(summary.job.status, "processed", "the job finished");
  t.type(summary.job.retval, "number");
});

t.test("stopWorkers({ noWait: true }) returns promptly and the job goes back to the queue", async (t) => {
  const { summary } = await runScenario(t, SCRIPT, "stop-nowait", { workers: 1 });
  t.ok(summary.sawBusy, "the worker was busy when stopWorkers was called");
  t.ok(summary.stopMs < 2_000, `stopWorkers returned in ${summary.stopMs} ms, not after the 10 s job`);
  t.same(summary.stopped, { started: false, workerCount: 0, isProcessing: false }, "stopped");
  t.same(summary.outstanding, [summary.jobId], "the job is still outstanding");
  t.equal(summary.error, null, "a new pool ran it", { error: summary.error });
  t.equal(summary.job.status, "processed");
  t.equal(summary.job.retval, 2, "on its second start");
});
