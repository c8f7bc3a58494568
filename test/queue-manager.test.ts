import t from "tap";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScenario, sharedRun, type TapTest } from "./lib/scenario.js";

const SCRIPT = "jobs-queue.ts";
const run = (t: TapTest, scenario: string, options: Parameters<typeof runScenario>[3] = {}) =>
  runScenario(t, SCRIPT, scenario, { workers: 2, ...options });
// These scenarios share one run: "fresh" first, while main's queue is untouched; "wait" before any
// other job of main's queue finishes (it counts them); each drains what it queued on main's queue.
const shared = sharedRun(SCRIPT, ["fresh", "immediate", "wait", "captured", "callback", "throwing-callback", "non-job", "two-queues"], {
  workers: 2,
});
const tempCwd = (t: TapTest, name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `strmbrkr-jobs-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const sorted = (ids: string[]) => [...ids].sort();

t.test("a fresh QueueManager has nothing queued, nothing to return and nothing to wait for", async (t) => {
  const summary = await shared(t, "fresh");
  const empty = { processed: true, ids: [], results: 0, stats: { finished: 0, averageDurationMs: 0 } };
  t.same(summary.main, empty, "the queue main is given");
  t.same(summary.fresh, empty, "a new QueueManager");
  t.equal(summary.blockError, null, "blockUntilProcessed resolves at once");
});

t.test("jobs queued right after new QueueManager() are delivered", async (t) => {
  const summary = await shared(t, "immediate");
  t.equal(summary.error, null, "blockUntilProcessed({ timeout: 3 }) resolves", { error: summary.error });
  t.equal(summary.job.status, "processed");
  t.equal(summary.job.retval, "now");
});

t.test("a job sends its arguments as they were at queueJobs, though the caller's array or object changes next", async (t) => {
  const summary = await shared(t, "captured");
  t.same(summary, { jobs: 900, results: 900, wrong: 0 }, "every job got the values of its own turn of the loop");
});

t.test("queue, then wait: ids are outstanding until the jobs come back, getResults drains", async (t) => {
  const summary = await shared(t, "wait");
  t.same(summary.queued, { processed: false, ids: summary.jobIds }, "just after queueJobs: not processed, every id outstanding");
  t.equal(summary.after.processed, true, "after blockUntilProcessed: processed");
  t.same(summary.after.ids, [], "no id outstanding");
  t.equal(summary.after.stats.finished, 3, "stats count the three jobs");
  t.ok(summary.after.stats.averageDurationMs >= 40, `average duration ${summary.after.stats.averageDurationMs} ms covers the 50 ms naps`);
  t.same(sorted(summary.results.map((r: any) => r.id)), sorted(summary.jobIds), "getResults returns every job");
  t.same(summary.results.map((r: any) => [r.status, r.retval]).sort(), [
    ["processed", "a"],
    ["processed", "b"],
    ["processed", "c"],
  ]);
  t.equal(summary.again, 0, "a second getResults is empty");
});

t.test("blockUntilProcessed timeout: JobTimeoutError naming the jobs left, and a KVS dump in the cwd", async (t) => {
  const cwd = tempCwd(t, "dump");
  const { summary } = await run(t, "timeout", { cwd });
  t.equal(summary.isJobTimeoutError, true, "instanceof JobTimeoutError");
  t.equal(summary.error.name, "JobTimeoutError");
  t.equal(summary.error.code, "ERR_STRMBRKR_JOB_TIMEOUT");
  t.match(summary.error.message, /^2 jobs left\b/, "says how many jobs are left");
  t.equal(summary.jobsLeft, 2);
  t.equal(summary.left, 2, "the jobs are still outstanding");
  t.ok(summary.waitedMs >= 250 && summary.waitedMs < 3_000, `waited about the 0.3 s asked (${summary.waitedMs} ms)`);
  const dumps = readdirSync(cwd).filter((name) => /^kvs_dump_.+\.json$/.test(name));
  t.equal(dumps.length, 1, `one kvs_dump_*.json in the cwd (found ${readdirSync(cwd).join(", ") || "nothing"})`);
  if (dumps[0]) {
    const dump = JSON.parse(readFileSync(join(cwd, dumps[0]), "utf8"));
    t.equal(dump.marker, "set by jobs-queue.ts", "the dump holds what main stored");
  }
});

t.test("blockUntilProcessed timeout with dumpOnTimeout false writes no dump", async (t) => {
  const cwd = tempCwd(t, "nodump");
  const { summary } = await run(t, "timeout", { cwd, args: ["no-dump"] });
  t.equal(summary.isJobTimeoutError, true, "instanceof JobTimeoutError");
  t.match(summary.error.message, /^2 jobs left\b/);
  t.same(readdirSync(cwd), [], "nothing written to the cwd");
});

t.test("processedCallback receives each finished job; getResults stays empty", async (t) => {
  const summary = await shared(t, "callback");
  t.same(sorted(summary.seen.map((job: any) => job.id)), sorted(summary.jobIds), "the callback saw every job once");
  t.same(
    summary.seen.map((job: any) => [job.status, job.retval]).sort(),
    [
      ["processed", "x"],
      ["processed", "y"],
      ["processed", "z"],
    ],
    "finished, with their values",
  );
  t.equal(summary.results, 0, "getResults returns nothing");
});

t.test("a throwing processedCallback: blockUntilProcessed rejects with its error and getResults throws it", async (t) => {
  const summary = await shared(t, "throwing-callback");
  t.equal(summary.calls, 1, "the callback ran");
  t.equal(summary.blockIsThrown, true, "blockUntilProcessed rejected with the very error", { got: summary.block });
  t.equal(summary.block.message, "callback exploded");
  t.equal(summary.resultsIsThrown, true, "getResults threw the very error", { got: summary.results });
});

t.test("queueJobs refuses anything but a Job with a TypeError, queueing nothing", async (t) => {
  const summary = await shared(t, "non-job");
  const { object, function: fn, mixed, null: nul } = summary.errors;
  for (const [what, error] of Object.entries({ object, function: fn, mixed, null: nul }) as [string, any][]) {
    t.equal(error?.class, "TypeError", `${what}: TypeError`);
  }
  t.match(object.message, /job 0 is not a Job \(got Object\)/);
  t.match(fn.message, /job 0 is not a Job \(got function nap\)/);
  t.match(mixed.message, /job 1 is not a Job \(got string\)/);
  t.match(nul.message, /job 0 is not a Job \(got null\)/);
  t.same(summary.queuedJobIds, [], "the valid job queued with an invalid one was not queued");
});

t.test("several QueueManagers on one broker each get only their own results", async (t) => {
  const summary = await shared(t, "two-queues");
  for (const [name, prefix] of [
    ["main", "main-"],
    ["other", "other-"],
    ["third", "third-"],
  ] as const) {
    const { queued, results } = summary[name];
    t.same(sorted(results.map(([id]: [string]) => id)), sorted(queued), `${name}: exactly the jobs it queued`);
    t.ok(
      results.every(([, retval]: [string, string]) => retval.startsWith(prefix)),
      `${name}: only its own values`,
      { results },
    );
  }
});
