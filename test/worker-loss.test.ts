import t from "tap";
import { fixture, lastJson, processesGone, reliabilityRow, strmbrkr } from "./lib/cli.js";

const script = fixture("rel-loss.ts");
const run = (scenario: string, workers: number, env: Record<string, string> = {}) =>
  strmbrkr(["run", script, "--workers", String(workers), "--no-progress", "--", scenario], { env, timeoutMs: 60_000 });

t.test("a worker lost mid-job is replaced and its job re-dispatched; a poison job is quarantined", async (t) => {
  const result = await run("loss", 2);
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  const { jobs, workerCount } = lastJson(result.stdout);
  const [exitOnce, alwaysExit, killSelfOnce, timerThrowsOnce, throwsTwice, alwaysThrows] = jobs;
  t.match(exitOnce, { status: "processed", retval: 2, attempts: 2 }, "process.exit mid-job: re-dispatched, then done");
  t.match(killSelfOnce, { status: "processed", retval: 2, attempts: 2 }, "SIGKILL mid-job: re-dispatched, then done");
  t.match(timerThrowsOnce, { status: "processed", retval: 2, attempts: 2 }, "uncaught exception in a timer: re-dispatched, then done");
  t.match(alwaysExit, { status: "failed", error: { name: "WorkerLost" } }, "a job that always kills its worker comes back FAILED");
  t.match(alwaysExit.error.message, /was lost with exit code 9 \(2 workers lost running it; quarantined\)/);
  t.match(throwsTwice, { status: "processed", retval: 3, attempts: 3 }, "retries: 2 runs a throwing job again until it succeeds");
  t.match(
    alwaysThrows,
    { status: "failed", error: { name: "Error", message: "attempt 2 failed" }, attempts: 2 },
    "retries exhausted: FAILED with the last error",
  );
  t.equal(workerCount, 2, "the pool kept its size");
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: "worker loss: 6 jobs, 2 workers (1 poison job FAILED as WorkerLost, 1 FAILED after its retries)",
    fault: "process.exit, self-SIGKILL, throw in a timer, always-exit; throws with retries",
    queued: jobs.length,
    received: jobs.filter((job: { status: string }) => job.status !== "unprocessed").length,
    lost: 0,
    duplicated: 0,
    leftover: leftover.length,
  });
});

t.test("a worker that runs out of memory is replaced and its job re-dispatched", async (t) => {
  const result = await run("oom", 1, { NODE_OPTIONS: "--max-old-space-size=48" });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  t.match(lastJson(result.stdout).jobs[0], { status: "processed", retval: 2, attempts: 2 });
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: "out of memory: 1 job, 1 worker",
    fault: "heap exhausted under --max-old-space-size=48",
    queued: 1,
    received: 1,
    lost: 0,
    duplicated: 0,
    leftover: leftover.length,
  });
});

t.test("a worker past STRMBRKR_WORKER_MAX_MEMORY_MB is recycled between jobs", async (t) => {
  const result = await run("memory", 1, { STRMBRKR_WORKER_MAX_MEMORY_MB: "100" });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  const { jobs, workerCount } = lastJson(result.stdout);
  t.equal(jobs[0].status, "processed");
  t.not(jobs[1].retval, jobs[0].retval, "the next job ran on a fresh worker");
  t.equal(jobs[2].retval, jobs[1].retval, "the fresh worker stays");
  t.equal(workerCount, 1);
  t.match(result.stderr, /uses \d+ MiB \(limit 100\); replacing it/);
  t.same(await processesGone(result.instanceId), [], "no process left");
});
