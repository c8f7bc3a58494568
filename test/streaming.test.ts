import t from "tap";
import { sharedRun } from "./lib/scenario.js";

const SCRIPT = "ts7-streaming.ts";
// Every scenario waits for its own jobs (map-failure, whose map stops early, last): all share one run.
const run = sharedRun(SCRIPT, ["results", "map-many", "ordered", "back-pressure", "map-failure"], { workers: 2 });
const sorted = <T>(values: T[]) => [...values].sort();

t.test("results() yields every queued job exactly once, then ends", async (t) => {
  const summary = await run(t, "results");
  t.equal(summary.seen.length, 50);
  t.same(sorted(summary.seen), sorted(summary.jobIds), "every job once");
  t.equal(new Set(summary.seen).size, 50, "no duplicates");
  t.equal(summary.processed, true, "nothing outstanding when it ends");
  t.equal(summary.left, 0, "it drained the buffer getResults reads");
});

t.test("map over 10,000 inputs with inFlight 16 yields every result", async (t) => {
  const summary = await run(t, "map-many");
  t.equal(summary.count, 10_000);
  t.equal(summary.sum, summary.expectedSum);
  t.equal(summary.leftover, 0, "no job left outstanding");
});

t.test("ordered map keeps input order; unordered yields all of them", async (t) => {
  const summary = await run(t, "ordered");
  const inputs = Array.from({ length: 200 }, (_, i) => i);
  t.same(summary.orderedOut, inputs, "in input order");
  t.same(
    [...summary.unordered].sort((a: number, b: number) => a - b),
    inputs,
    "every value",
  );
});

t.test("map pulls its input with back-pressure: never more than inFlight jobs held", async (t) => {
  const summary = await run(t, "back-pressure");
  t.equal(summary.pulled, 500);
  t.equal(summary.consumed, 500);
  t.ok(summary.maxHeld <= summary.inFlight, `at most ${summary.inFlight} held (saw ${summary.maxHeld})`);
  t.equal(summary.maxHeld, summary.inFlight, "and it did fill the window");
});

t.test("a failed job throws JobError from the map iterator", async (t) => {
  const summary = await run(t, "map-failure");
  t.same(summary.values, [1, 2, 3], "values before the failure");
  t.equal(summary.isJobError, true);
  t.equal(summary.code, "ERR_STRMBRKR_JOB");
  t.equal(summary.remote.name, "TypeError");
  t.equal(summary.remote.message, "seven is not allowed");
});
