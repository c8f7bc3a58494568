import t from "tap";
import { runScenario } from "./lib/scenario.js";

t.test("a thrown non-Error keeps its value: error.thrown holds its clone, the message shows it", { timeout: 60_000 }, async (t) => {
  const { summary } = await runScenario(t, "jobs-thrown.ts", "all", { timeoutMs: 50_000 });
  t.same(
    summary.submitted,
    {
      message: `Job ${/\d+-\d+/.exec(summary.submitted.message)?.[0]} failed: Error: non-Error value thrown: {"code":42,"why":"object"}`,
      remote: { code: 42, why: "object" },
      cause: { code: 42, why: "object" },
    },
    "submit: JobError's message, remote.thrown and cause.thrown",
  );
  t.same(
    summary.map,
    { message: "non-Error value thrown: Map(1) { 'big' => 10n }", isMap: true, big: "10" },
    "a Map travels as a Map (structured clone)",
  );
  t.same(
    summary.long,
    { messageLength: "non-Error value thrown: ".length + 200, tail: "xx…", thrownLength: 1000 },
    "the message is cut at 200 characters; the value is whole",
  );
  t.same(summary.returned, { value: { x: 3, y: 4 }, isPoint: false, proto: true }, "a returned class instance arrives as a plain object");
});
