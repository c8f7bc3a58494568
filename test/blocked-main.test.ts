/**
 * A main that blocks its event loop must not stall job delivery or KVS access: the broker and the
 * store run in their own processes. main queues 8 short jobs on 2 workers and busy-loops, without
 * yielding, until every job has left a marker file (or 60 s); each job writes to the KVS, reads
 * its write back, and records when it was done. All of that must happen inside the busy window,
 * while the results reach main only after it. The window ends on an event, not a clock, so a busy
 * machine makes it longer, never the test wrong.
 */
import t from "tap";
import { runFixture, scratchDir } from "./lib/kvs-helpers.js";

interface Stamp {
  index: number;
  startedAt: number;
  doneAt: number;
  readBack: boolean;
  pid: number;
}

const JOBS = 8;

t.test("jobs run and use the KVS while main busy-loops", async (t) => {
  const { summary: s } = await runFixture(t, "kvs-blocked-main.ts", {
    cwd: scratchDir(t),
    workers: 2,
    args: [String(JOBS), "50"],
    timeoutMs: 90_000,
  });
  const { busyStart, busyEnd } = s;
  t.equal(s.allDone, true, `every job finished while main was busy (${busyEnd - busyStart} ms)`);

  const jobs: any[] = s.jobs ?? [];
  t.equal(jobs.length, JOBS, `${JOBS} jobs reported`);
  t.ok(
    jobs.every((job) => job.status === "processed"),
    "every job was processed",
    { jobs },
  );

  const stamps: Stamp[] = s.stamps ?? [];
  t.equal(stamps.length, JOBS, "every job appended its stamp to the KVS");
  t.same(
    stamps.map((stamp) => stamp.index).sort((a, b) => a - b),
    [...Array(JOBS).keys()],
    "one stamp per job",
  );
  t.ok(
    stamps.every((stamp) => stamp.readBack),
    "every job read its own write back",
  );
  const late = stamps.filter((stamp) => !(stamp.startedAt >= busyStart && stamp.doneAt <= busyEnd));
  t.same(late, [], "every job started, wrote, read back and finished inside main's busy window", { busyStart, busyEnd, stamps });
  const appendedLate = jobs.filter((job) => !(job.retval?.appendedAt <= busyEnd));
  t.same(appendedLate, [], "every job's append to the KVS was answered inside the busy window", { busyEnd });
  t.ok(new Set(stamps.map((stamp) => stamp.pid)).size >= 1, "the jobs ran in worker processes");

  // the control: main itself really was blocked, so results could only reach it afterwards
  const returnedEarly = jobs.filter((job) => !(job.pipeline?.returned >= busyEnd));
  t.same(returnedEarly, [], "main received the results only after its busy loop", { busyEnd });
  const processedLate = jobs.filter((job) => !(job.pipeline?.processed <= busyEnd));
  t.same(processedLate, [], "the workers had processed every job before main's loop ended");
});
