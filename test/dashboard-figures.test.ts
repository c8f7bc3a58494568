/** The dashboard's arithmetic, without processes: duration buckets, quantiles, the Prometheus histogram, store summaries, the log tail. */
import { PassThrough } from "node:stream";
import t from "tap";
import { LogTail } from "../runtime/dashboard/log-tail.js";
import { runMetrics } from "../runtime/dashboard/metrics.js";
import { quantileMs, type RunMonitor } from "../runtime/dashboard/run-monitor.js";
import { summarize } from "../runtime/kvs/summarize.js";
import { bucketOf, DURATION_BOUNDS_MS, type DurationHistogram, type HubActivity } from "../runtime/wire/dashboard.js";

const histogramOf = (values: number[]): DurationHistogram => {
  const buckets = new Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0);
  for (const value of values) buckets[bucketOf(value)]!++;
  return { buckets, count: values.length, sumMs: values.reduce((a, b) => a + b, 0), maxMs: Math.max(...values) };
};

t.test("buckets: ten a decade, each value in the first bucket whose bound holds it", async (t) => {
  t.equal(DURATION_BOUNDS_MS[0], 0.01, "from 10 µs");
  t.equal(DURATION_BOUNDS_MS.at(-1), 1e6, "to 1,000 s");
  t.same(DURATION_BOUNDS_MS.slice(30, 40), [10, 12.5, 16, 20, 25, 31.5, 40, 50, 63, 80], "the R10 series");
  t.equal(DURATION_BOUNDS_MS[bucketOf(10)], 10, "a value on a bound is in that bound's bucket");
  t.equal(DURATION_BOUNDS_MS[bucketOf(10.01)], 12.5);
  t.equal(bucketOf(0), 0, "zero in the first");
  t.equal(bucketOf(5e6), DURATION_BOUNDS_MS.length, "past the last bound: the overflow bucket");
});

t.test("quantiles: within ~25 % (a bucket's width), never past the largest seen", async (t) => {
  const values = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 ms
  const histogram = histogramOf(values);
  const p50 = quantileMs(histogram, 0.5)!;
  const p95 = quantileMs(histogram, 0.95)!;
  t.ok(p50 > 500 / 1.26 && p50 < 500 * 1.26, `p50 ${p50} near 500`);
  t.ok(p95 > 950 / 1.26 && p95 <= 1000, `p95 ${p95} near 950`);
  const alike = quantileMs(histogramOf([7, 7, 7]), 0.95)!;
  t.ok(alike > 6.3 && alike <= 7, `all alike: within that value's bucket (6.3-8 ms), never above it (${alike})`);
  t.equal(quantileMs({ ...histogram, count: 0, buckets: histogram.buckets.map(() => 0) }, 0.5), null, "empty: null");
});

t.test("/metrics: the histogram in Prometheus's shape, cumulative, ending in +Inf = count", async (t) => {
  const activity: HubActivity = {
    at: 0,
    workers: [],
    waiting: 3,
    running: { square: 1 },
    durations: { square: histogramOf([0.5, 2, 2, 30, 4000]) },
    slices: [],
  };
  const monitor = { activity, store: undefined, functions: () => [] } as unknown as RunMonitor;
  const text = await runMetrics(monitor, { hub: () => undefined, store: () => undefined }).metrics();
  const bucket = (le: string) =>
    Number(
      new RegExp(`^strmbrkr_job_duration_seconds_bucket\\{le="${le.replace("+", "\\+")}",function="square"\\} (\\d+)$`, "m").exec(
        text,
      )?.[1],
    );
  t.equal(bucket("0.001"), 1, "≤ 1 ms: one");
  t.equal(bucket("0.0025"), 3, "≤ 2.5 ms: three");
  t.equal(bucket("0.05"), 4, "≤ 50 ms: four");
  t.equal(bucket("5"), 5, "≤ 5 s: all five");
  t.equal(bucket("+Inf"), 5);
  t.match(text, /^strmbrkr_job_duration_seconds_sum\{function="square"\} 4\.0345$/m, "the sum in seconds");
  t.match(text, /^strmbrkr_jobs_waiting 3$/m);
  t.match(text, /^strmbrkr_jobs_running\{function="square"\} 1$/m);
});

t.test("the store's summaries: type, size, a preview", async (t) => {
  t.same(summarize([1, 2, 3]), { type: "list", size: 3, preview: "[1,2,3]" });
  t.same(summarize("hello"), { type: "string", size: 5, preview: '"hello"' });
  t.same(summarize({ a: 1, b: 2 }), { type: "hash", size: 2, preview: '{"a":1,"b":2}' });
  t.same(summarize(new Uint8Array(10)).type, "binary");
  t.same(summarize(42), { type: "number", size: 1, preview: "42" });
  t.ok(summarize("x".repeat(10_000)).preview.length <= 200, "a long value is cut");
});

t.test("the log tail: whole lines, a carriage return starts over, colours dropped, 200 kept", async (t) => {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  const tail = new LogTail([stream]);
  t.teardown(() => tail.close());
  stream.write("\r\x1b[2K12/100 done");
  stream.write("\r\x1b[2K");
  stream.write("\x1b[31mred\x1b[0m line\npart");
  stream.write("ial\n");
  t.same(tail.lines, ["red line", "partial"], "the progress line's redraws leave nothing");
  for (let i = 0; i < 300; i++) stream.write(`line ${i}\n`);
  t.equal(tail.lines.length, 200);
  t.equal(tail.lines.at(-1), "line 299");
});
