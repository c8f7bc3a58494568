/**
 * When a run's key-value store starts. A script whose code names KeyValueStore gets it as soon as
 * its workers are up (test/blocked-main.test.ts: its jobs use it while main busy-loops); one that
 * does not gets no store process at all, unless something reaches the store all the same, which
 * then starts it. `strmbrkr kvs --instance` on a run with no store says so in one line.
 */
import t from "tap";
import { fixture, lastJson, processesGone, strmbrkr, strmbrkrWatched } from "./lib/cli.js";
import { waitForLine } from "./lib/kvs-helpers.js";

const storeProcesses = (started: { command: string }[]) => started.filter(({ command }) => /runtime\/kvs\/main\.js/.test(command));
/** With debug logging, a store that starts says where it serves. */
const debug = { STRMBRKR_LOGGING_LEVEL: "DEBUG" };
const storeServed = (stderr: string) => /strmbrkr\.kvs - DEBUG - serving on /.test(stderr);

t.test("a script that never names KeyValueStore starts no store", async (t) => {
  let asked: Promise<void> | undefined;
  const run = await strmbrkrWatched(["run", fixture("store-unnamed.ts"), "--workers", "2", "--", "wait"], {
    timeoutMs: 60_000,
    env: debug,
    onSpawn: (child, id) => {
      asked = waitForLine(child.stdout!, /^ready$/).then(async () => {
        const get = await strmbrkr(["kvs", "get", "anything", "--instance", id], { timeoutMs: 15_000 });
        t.equal(get.code, 2, "strmbrkr kvs on it exits 2", { stderr: get.stderr });
        t.equal(get.stderr.trim().split("\n").length, 1, "with one line on stderr", { stderr: get.stderr });
        t.match(get.stderr, /the run with instance id \S+ has no key-value store running/, "which says the run has no store");
        child.kill("SIGUSR2");
      });
      asked.catch(() => child.kill("SIGTERM"));
    },
  });
  await asked;
  t.equal(run.code, 0, "the run ends normally", { stderr: run.stderr });
  t.same(lastJson(run.stdout).squares, [1, 4, 9], "its jobs ran");
  t.same(storeProcesses(run.started), [], "no store process was seen");
  t.notOk(storeServed(run.stderr), "no store started");
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
});

t.test("a script that reaches the store without naming it gets one", async (t) => {
  const run = await strmbrkrWatched(["run", fixture("store-unnamed.ts"), "--workers", "2", "--", "reach"], {
    timeoutMs: 60_000,
    env: debug,
  });
  t.equal(run.code, 0, "the run ends normally", { stderr: run.stderr });
  t.same(lastJson(run.stdout), { squares: [1, 4, 9], stored: [1, 4, 9] }, "main reads back what the jobs stored");
  t.ok(storeServed(run.stderr), "a store started, on the jobs' first call");
  // What makes "no store process was seen" above (and every "nothing started" in config.test.ts) mean something.
  t.equal(storeProcesses(run.started).length, 1, "the watch saw the store process start", { started: run.started });
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
});
