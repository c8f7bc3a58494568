/**
 * A call of queueJobs whose jobs share a priority sends its first 32 ahead of the rest, so workers
 * start while the rest are encoded (runtime/client/job-client.ts FIRST_BATCH_JOBS); one whose
 * priorities differ is sent whole, so the broker orders all of it.
 */
import t from "tap";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

t.test("jobs keep their order across the first batch; mixed priorities are ordered whole", { timeout: 60_000 }, async (t) => {
  const result = await strmbrkr(["run", fixture("first-batch.ts"), "--workers", "1", "--no-progress"], { timeoutMs: 50_000 });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-2000) });
  const { samePriority, urgentLast } = lastJson(result.stdout);
  t.same(
    samePriority,
    Array.from({ length: 100 }, (_, i) => i),
    "100 jobs of one priority ran in the order queued",
  );
  t.equal(urgentLast[99], 0, "the priority-5 job queued last ran first");
  t.same(
    urgentLast.slice(0, 99),
    Array.from({ length: 99 }, (_, i) => i + 1),
    "then the others, in order",
  );
  t.same(await processesGone(result.instanceId), [], "no process left");
});
