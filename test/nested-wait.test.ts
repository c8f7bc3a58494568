/**
 * A job that queues jobs and waits for them holds its worker; the broker must hold none of those
 * jobs behind it there (broker.ts #open, WorkerSlot.waitsOnItsJobs). Before, once the parent's
 * function was timed as long, its successor (one of its own children) was sent to its worker just
 * before it was expected to end: the parent waited for a child that waited for the parent, until
 * the watchdog killed the worker.
 */
import t from "tap";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

t.test("a job waiting on its own jobs never gets one of them held behind it", { timeout: 90_000 }, async (t) => {
  // A watchdog well above a round's ~0.2 s: a deadlock shows as the watchdog's failure, not a hang.
  const result = await strmbrkr(["run", fixture("nested-wait.ts"), "--workers", "2", "--no-progress", "--watchdog", "20"], {
    timeoutMs: 80_000,
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-2000) });
  const { rounds } = lastJson(result.stdout);
  t.equal(rounds.length, 3, "three rounds");
  for (const [i, round] of rounds.entries()) {
    t.equal(round.status, "processed", `round ${i}: the parent processed`, { error: round.error });
    t.equal(round.childPids?.length, round.children, `round ${i}: all ${round.children} children processed`);
    t.notOk(round.childPids?.includes(round.pid), `round ${i}: no child ran on the parent's worker`);
  }
  t.notMatch(result.stderr, /watchdog/, "no watchdog fired");
  t.same(await processesGone(result.instanceId), [], "no process left");
});
