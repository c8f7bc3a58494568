/**
 * The report's arithmetic, without processes: exact percentiles, unfinished jobs, a run per `run`
 * record, the task stream's even thinning (runtime/util/even-sample.ts) bounded past its limit.
 */
import t from "tap";
import type { JournalRecord } from "../runtime/host/journal-format.js";
import { summarizeJournal } from "../runtime/host/journal-summary.js";
import { EvenSample } from "../runtime/util/even-sample.js";
import { frameLine } from "./lib/journal.js";

const journalOf = (records: JournalRecord[]) => Buffer.from(records.map(frameLine).join(""));
const run = (at: number): JournalRecord => ({ t: "run", v: 1, at, bundle: "b".repeat(64), script: "/s.ts" });
const queued = (id: string, fn = "f"): JournalRecord => ({ t: "queued", id, fn, sha: "0" });
const finished = (id: string, started: number, ms: number, pid = 7, status: "processed" | "failed" = "processed"): JournalRecord => ({
  t: "finished",
  id,
  status,
  started,
  processed: started + ms,
  pid,
});

t.test("EvenSample keeps every stride-th item, at most its limit, in order", async (t) => {
  const sample = new EvenSample<number>(10);
  for (let i = 0; i < 1000; i++) sample.add(i);
  t.equal(sample.seen, 1000);
  t.ok(sample.items.length < 10 && sample.items.length >= 5, `${sample.items.length} kept`);
  const stride = sample.items[1]! - sample.items[0]!;
  t.same(
    sample.items,
    sample.items.map((_, i) => i * stride),
    `items 0, ${stride}, ${2 * stride}, …`,
  );
  t.throws(() => new EvenSample(1), /limit must be an integer >= 2, got 1/);
});

t.test("durations, percentiles, workers, unfinished jobs, a summary per run", async (t) => {
  const records: JournalRecord[] = [run(1000)];
  for (let i = 1; i <= 100; i++) records.push(queued(`a-${i}`));
  records.push(queued("a-101", "g"));
  for (let i = 1; i <= 100; i++) records.push(finished(`a-${i}`, 2000 + i * 10, i, i % 2 === 0 ? 7 : 8, i === 50 ? "failed" : "processed"));
  records.push(run(9000), queued("b-1", "g"), finished("b-1", 9100, 5, 9));
  const report = summarizeJournal(journalOf(records), "j");
  t.equal(report.records, records.length);
  t.equal(report.runs.length, 2, "a summary per run record");
  const [first, second] = report.runs;
  t.match(first, { queued: 101, processed: 99, failed: 1, unfinished: 1, unfinishedJobs: [{ id: "a-101", fn: "g" }] });
  t.match(first!.functions[0], { fn: "f", queued: 100, processed: 99, failed: 1, unfinished: 0 });
  t.match(first!.functions[0]!.durations, { count: 100, p50Ms: 50, p95Ms: 95, maxMs: 100, sumMs: 5050 }, "exact percentiles");
  t.match(first!.functions[1], { fn: "g", queued: 1, unfinished: 1 });
  t.same(
    first!.workers.map(({ pid, jobs, failed, busyMs }) => [pid, jobs, failed, busyMs]),
    [
      [7, 50, 1, 2550],
      [8, 50, 0, 2500],
    ],
  );
  t.same(
    first!.slowest.map((job) => job.ms),
    [100, 99, 98, 97, 96, 95, 94, 93, 92, 91],
    "the ten slowest, slowest first",
  );
  t.equal(first!.end, 2000 + 1000 + 100, "the run ends at its last result");
  t.match(first!.failures, [{ id: "a-50", fn: "f" }]);
  t.match(second, { index: 2, queued: 1, processed: 1, workers: [{ pid: 9, jobs: 1 }] });
});

t.test("the task stream is thinned evenly past its limit; every other figure counts every job", async (t) => {
  const records: JournalRecord[] = [run(0)];
  for (let i = 0; i < 5000; i++) records.push(queued(`${i}`), finished(`${i}`, i, 1));
  const report = summarizeJournal(journalOf(records), "j", { limits: { slices: 1000 } });
  const [only] = report.runs;
  t.equal(only!.processed, 5000);
  t.equal(only!.stream.total, 5000);
  t.ok(only!.stream.kept <= 1000 && only!.stream.kept >= 500, `${only!.stream.kept} slices kept`);
  const starts = only!.stream.slices.map((slice) => slice.start);
  t.ok(
    starts.every((start, i) => i === 0 || start - starts[i - 1]! === starts[1]! - starts[0]!),
    "evenly spaced over the run",
  );
});
