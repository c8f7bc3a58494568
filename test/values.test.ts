import t from "tap";
import { sharedRun } from "./lib/scenario.js";

/**
 * Each case sends one value to a job that returns it: the worker must see the right type, and
 * main must get back a value deep-strict-equal to the one it sent (jobs-values.ts compares them).
 */
const CASES: [name: string, type: string][] = [
  ["map", "Map"],
  ["set", "Set"],
  ["date", "Date"],
  ["uint8array", "Uint8Array"],
  ["float64array", "Float64Array"],
  ["bigint", "bigint"],
  ["undefined", "undefined"],
  ["nested", "Object"],
  ["cycle", "Object"],
];

// Each case waits for its one job: all share one run.
const run = sharedRun("jobs-values.ts", [...CASES.map(([name]) => name), "args"]);

for (const [name, type] of CASES) {
  t.test(`${name} survives the round trip through a job`, async (t) => {
    const summary = await run(t, name);
    t.equal(summary.status, "processed", "the echo job is PROCESSED", { error: summary.error });
    t.equal(summary.seenByWorker, type, `the worker received a ${type}`);
    t.equal(summary.returnedType, type, `main got a ${type} back`);
    t.equal(summary.returned, summary.sent, "the value printed the same after the round trip");
    t.ok(summary.equal, "deep-strict-equal to the value sent");
  });
}

t.test("several arguments, undefined among them and last, reach the job in place", async (t) => {
  const summary = await run(t, "args");
  t.equal(summary.status, "processed", "the job is PROCESSED", { error: summary.error });
  t.equal(summary.count, 4, "the job got all four arguments, the trailing undefined included");
  t.same(summary.seen, ["bigint", "undefined", "Map", "undefined"]);
  t.ok(summary.equal, "the arguments the job returned equal those sent");
});
