/**
 * Dispatch of long jobs: a job whose function takes long (or is not timed yet) goes to a worker
 * that holds nothing else, so a long job never holds up a short one while another worker idles (a
 * worker busy in synchronous code cannot even be asked to give a held job back); once timed, its
 * successor is sent just before it is expected to end, while the queue is deep. Every job runs
 * exactly once.
 */
import t from "tap";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

t.test("a short job never waits behind a long one while a worker is free; each job runs once", { timeout: 60_000 }, async (t) => {
  const result = await strmbrkr(["run", fixture("dispatch-long.ts"), "--workers", "2", "--no-progress"], { timeoutMs: 50_000 });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-2000) });
  const { long, short1, short2, firstCount, many, manyIds } = lastJson(result.stdout);
  t.equal(firstCount, 3, "three results for three jobs");
  for (const job of [long, short1, short2]) t.equal(job.status, "processed", `${job.id} processed`);
  t.ok(short1.endedAt < long.endedAt && short2.endedAt < long.endedAt, "both short jobs ended before the long one", {
    long,
    short1,
    short2,
  });
  t.not(short1.pid, long.pid, "the first short job ran beside the long one, not after it");
  t.not(short2.pid, long.pid, "so did the second");
  t.same(many.map((job: any) => job.id).sort(), [...manyIds].sort(), "12 jobs of 100 ms, sent ahead: each came back once");
  t.ok(
    many.every((job: any) => job.status === "processed"),
    "all processed",
  );
  t.equal(new Set(many.map((job: any) => job.pid)).size, 2, "on both workers");
  t.same(await processesGone(result.instanceId), [], "no process left");
});
