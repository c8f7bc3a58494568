import t from "tap";
import { processesOf, reliabilityRow } from "./lib/cli.js";
import { runScenario, type TapTest } from "./lib/scenario.js";

const SCRIPT = "jobs-watchdog.ts";
/** A configured 1 s limit that `--watchdog` overrides, so "0 disables" is tested without waiting 15 s. */
const ENV = { STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER: "1" };
const run = (t: TapTest, scenario: string, watchdog: number) => runScenario(t, SCRIPT, scenario, { workers: 2, watchdog, env: ENV });

/** A job the watchdog stopped: FAILED with WatchdogTimeout naming it and the limit, its worker killed, in time. */
function assertKilled(t: TapTest, job: any, limitSeconds: number) {
  t.equal(job.status, "failed", `${job.fn}: FAILED`);
  t.equal(job.error?.name, "WatchdogTimeout", `${job.fn}: error.name WatchdogTimeout`);
  t.ok(job.isWatchdogTimeout, `${job.fn}: the name of the WatchdogTimeout class strmbrkr exports`);
  t.equal(job.error?.code, "ERR_STRMBRKR_WATCHDOG", `${job.fn}: its code`);
  t.match(job.error?.message, job.id, `${job.fn}: the message names the job`);
  t.match(job.error?.message, `(${job.fn})`, `${job.fn}: the message names the function`);
  t.match(job.error?.message, ` ${limitSeconds} s `, `${job.fn}: the message names the ${limitSeconds} s limit`);
  t.ok(job.killedPidGone, `${job.fn}: the worker named in the message (pid ${job.killedPid}) is dead`);
  t.ok(job.outMs >= limitSeconds * 1000 - 50 && job.outMs < 4_000, `${job.fn}: back after about ${limitSeconds} s (${job.outMs} ms)`);
}

/** The pool is whole again and later jobs ran on workers other than the killed ones. */
function assertRecovered(t: TapTest, summary: any) {
  t.equal(summary.workerCountBefore, 2, "two workers to begin with");
  t.ok(summary.backToSize, "workerCount came back to its size");
  t.equal(summary.workerCountAfter, 2, "two workers after the kills");
  const killed = summary.stuck.map((job: any) => job.killedPid).filter(Boolean);
  for (const job of summary.later) {
    t.equal(job.status, "processed", `a later ${job.fn} job still runs`, { error: job.error });
    t.notOk(killed.includes(job.retval), `it ran on a replacement worker (pid ${job.retval})`);
  }
}

t.test("--watchdog 1 kills a sleeping and a spinning job after 1 s, and the pool is replaced", async (t) => {
  const { summary, result } = await run(t, "pool-limit", 1);
  t.same(
    summary.stuck.map((job: any) => job.fn),
    ["nap", "spin"],
  );
  for (const job of summary.stuck) assertKilled(t, job, 1);
  for (const job of summary.stuck) {
    t.match(
      job.error?.message,
      /; to allow longer, raise it with --watchdog SECONDS, STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER or WorkerManager's watchdogTerminateAfter \(0 disables\), or give the job a timeout option \(seconds\)$/,
      `${job.fn}: says how to allow longer`,
    );
  }
  assertRecovered(t, summary);
  const jobs = [...summary.stuck, ...summary.later];
  reliabilityRow(t, {
    scenario: `watchdog: ${jobs.length} jobs, 2 workers (2 FAILED as WatchdogTimeout, pool back to 2)`,
    fault: "a sleeping and a `while (true) {}` job past --watchdog 1",
    queued: jobs.length,
    received: jobs.filter((job: any) => job.status !== "unprocessed").length,
    lost: 0,
    duplicated: 0,
    leftover: processesOf(result.instanceId).length,
  });
});

t.test("a job's own timeout kills a sleeping and a spinning job, with no pool watchdog", async (t) => {
  const { summary } = await run(t, "job-limit", 0);
  t.same(
    summary.stuck.map((job: any) => job.fn),
    ["nap", "spin"],
  );
  for (const job of summary.stuck) assertKilled(t, job, 0.5);
  for (const job of summary.stuck)
    t.match(
      job.error?.message,
      /; to allow longer, raise the job's timeout option \(seconds; 0 disables\)$/,
      `${job.fn}: points at its own timeout`,
    );
  assertRecovered(t, summary);
});

t.test("WorkerManager({ watchdogTerminateAfter: 0.5 }) kills a sleeping and a spinning job of its pool", async (t) => {
  const { summary } = await run(t, "manager-limit", 0);
  t.same(
    summary.stuck.map((job: any) => job.fn),
    ["nap", "spin"],
  );
  for (const job of summary.stuck) assertKilled(t, job, 0.5);
  assertRecovered(t, summary);
});

t.test("--watchdog 0 disables the pool's limit: a job runs past the configured 1 s, a per-job limit still applies", async (t) => {
  const { summary } = await run(t, "pool-disabled", 0);
  assertKilled(t, summary.stuck[0], 0.5);
  const [long] = summary.later;
  t.equal(long.status, "processed", "the 1.5 s job without a limit finished", { error: long.error });
  t.ok(long.outMs >= 1_500, `it ran its full 1.5 s (${long.outMs} ms)`);
});

t.test("a job's timeout overrides --watchdog 1: 0 means no limit, 5 a longer one", async (t) => {
  const { summary } = await run(t, "job-disabled", 1);
  assertKilled(t, summary.stuck[0], 1);
  for (const [long, timeout] of [
    [summary.later[0], 0],
    [summary.later[1], 5],
  ]) {
    t.equal(long.status, "processed", `the 1.5 s job with timeout ${timeout} finished`, { error: long.error });
    t.ok(long.outMs >= 1_500, `it ran its full 1.5 s (${long.outMs} ms)`);
  }
});
